// The layout check finds each kind of bad line it claims to find (lines forced with <br>), and finds
// nothing in good lines: a check that cannot fail would prove nothing about the book.
import type {Browser} from 'puppeteer-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {launchBrowser} from '../../src/4-pdf/browser.js';
import {checkLayout} from '../../src/4-pdf/layout-check.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function measure(body: string) {
  const page = await browser.newPage();
  await page.setContent(`<!DOCTYPE html><html lang="zh-CN"><body style="width: 20em">${body}</body></html>`);
  const report = await checkLayout(page);
  await page.close();
  return report.counts;
}

describe('checkLayout', () => {
  it('counts each kind of bad line', async () => {
    expect(await measure('<p>城市发展<br>，品质提升</p>')).toMatchObject({'line-start-closing': 1});
    expect(await measure('<p>城市发展<br>”品质提升</p>')).toMatchObject({'line-start-closing': 1});
    expect(await measure('<p>城市发展“<br>品质”提升</p>')).toMatchObject({'line-end-opening': 1});
    expect(await measure('<p>命题—<br>—作为</p>')).toMatchObject({'split-dash-ellipsis': 1});
    expect(await measure('<p>新地标…<br>…可以说</p>')).toMatchObject({'split-dash-ellipsis': 1});
    expect(await measure('<p>城市发展品质提升<br>城</p>')).toMatchObject({'single-character-last-line': 1});
    expect(await measure('<p>城市 发展</p><h2>追新\n从要素</h2>')).toMatchObject({'space-between-han': 2});
  });

  it('counts nothing in well-set lines', async () => {
    const counts = await measure('<p>城市发展，<br>品质提升“内涵”——<br>集约高效……<br>宜居新城。</p><h2>追“新”\u3000从要素驱动</h2><p>HGT51F 与 Version 2.0</p>');
    expect(Object.values(counts)).toEqual([0, 0, 0, 0, 0]);
  });
});
