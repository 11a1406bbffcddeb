// clreq and GB/T 15834, measured on the typeset book: the layout check's counts over every line of a
// manuscript full of hard cases, and the typography itself measured in Chromium on the built HTML.
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import type {Browser, Page} from 'puppeteer-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {launchBrowser} from '../../src/4-pdf/browser.js';
import {build, type BuildResult} from '../../src/build.js';
import {hardCasesManuscript} from '../fixtures/hard-cases.js';
import {findOutput, manuscriptTexts, missingInOrder, pdffonts, pdfPageTexts, temporaryDirectory, writeManuscript} from '../helpers.js';

let manuscript: string;
let outDir: string;
let result: BuildResult;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  manuscript = await writeManuscript(hardCasesManuscript());
  outDir = await temporaryDirectory('hard-cases');
  result = await build({manuscriptDir: manuscript, outDir});
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(pathToFileURL(path.join(outDir, 'html/index.html')).href);
  await page.emulateMediaType('print');
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('the hard cases', () => {
  it('build, and no line breaks a rule', () => {
    expect(result.ok).toBe(true);
    const {counts, blocks} = result.stats!.layout;
    expect(blocks).toBeGreaterThan(400);
    expect(counts).toEqual({
      'line-start-closing': 0,
      'line-end-opening': 0,
      'split-dash-ellipsis': 0,
      'single-character-last-line': 0,
      'space-between-han': 0,
      overflow: 0,
      'off-grid': 0,
      'underfilled-page': 0,
      'widow-orphan': 0,
      'short-title-line': 0,
      'page-count': 0,
    });
  });

  it('lose no text', async () => {
    const pdf = await findOutput(outDir, '.pdf', '-print.pdf');
    expect(missingInOrder(await manuscriptTexts(manuscript), (await pdfPageTexts(pdf)).join(''))).toEqual([]);
  });

  it('are set in real faces only: regular and bold of serif, sans and kai, none synthetic, none Type 3', async () => {
    const fonts = await pdffonts(await findOutput(outDir, '.pdf', '-print.pdf'));
    expect(fonts.filter((font) => !font.embedded || font.type !== 'CID TrueType')).toEqual([]);
    const families = new Set(fonts.map((font) => font.name.replace(/^[A-Z]{6}\+/, '').replace(/(ExtraLight|Thin)-/, '-')));
    expect(families).toEqual(new Set(['NotoSerifSC-Regular', 'NotoSerifSC-Bold', 'NotoSansSC-Regular', 'NotoSansSC-Bold', 'LXGWWenKai-Regular', 'LXGWWenKai-Bold']));
  });
});

describe('the typography, measured in Chromium', () => {
  it('sets paragraphs at 10.5 pt on 1.75, justified, with a two-character indent and no space between them', async () => {
    const style = await page.evaluate(() => {
      const paragraph = document.querySelector<HTMLElement>('.case > p')!;
      const next = paragraph.nextElementSibling as HTMLElement;
      const computed = getComputedStyle(paragraph);
      return {
        fontSize: computed.fontSize,
        lineHeight: computed.lineHeight,
        indent: computed.textIndent,
        align: computed.textAlign,
        gap: next.getBoundingClientRect().top - paragraph.getBoundingClientRect().bottom,
      };
    });
    expect(style).toEqual({fontSize: '14px', lineHeight: '24.5px', indent: '28px', align: 'justify', gap: 0});
  });

  it('compresses adjacent punctuation to half width (。” ，“ ：“) in body text and in the commentary', async () => {
    const widths = await page.evaluate(() => {
      const found: {pair: string; width: number; em: number}[] = [];
      for (const block of document.querySelectorAll<HTMLElement>('.case p')) {
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
          for (const match of node.data.matchAll(/[。，：][“”]/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + 1);
            found.push({pair: match[0], width: range.getBoundingClientRect().width, em: parseFloat(getComputedStyle(node.parentElement!).fontSize)});
          }
        }
      }
      return found;
    });
    expect(widths.length).toBeGreaterThan(10);
    expect(widths.filter(({width, em}) => Math.abs(width / em - 0.5) > 0.05)).toEqual([]);
  });

  it('puts about 1/8 em between Han characters and Latin letters or digits, without space characters', async () => {
    const gaps = await page.evaluate(() => {
      const paragraph = [...document.querySelectorAll<HTMLElement>('.case p')].find((element) => element.textContent!.startsWith('Version 2.0'))!;
      const node = paragraph.firstChild as Text;
      const width = (from: number, to: number) => {
        const range = document.createRange();
        range.setStart(node, from);
        range.setEnd(node, to);
        return range.getBoundingClientRect().width;
      };
      const em = parseFloat(getComputedStyle(paragraph).fontSize);
      const at = node.data.indexOf('630亿元');
      // “突破630”: the advance of 破 beyond one em is the space the browser added before the digits.
      return {text: node.data.slice(at - 2, at + 5), beforeDigits: (width(at - 1, at) - em) / em};
    });
    expect(gaps.text).toBe('突破630亿元');
    expect(gaps.beforeDigits).toBeGreaterThan(0.1);
    expect(gaps.beforeDigits).toBeLessThan(0.26);
  });

  it('marks Chinese emphasis with dots under the characters, not slanted', async () => {
    const style = await page.evaluate(() => {
      const computed = getComputedStyle(document.querySelector('em.emphasis-dots')!);
      return {style: computed.textEmphasisStyle, position: computed.textEmphasisPosition, fontStyle: computed.fontStyle};
    });
    expect(style).toEqual({style: 'circle', position: 'under', fontStyle: 'normal'});
  });

  it('uses the sans for headings, the kai for quotations and commentary, and keeps headings with what follows', async () => {
    const fonts = await page.evaluate(() => ({
      heading: getComputedStyle(document.querySelector('.case h1')!).fontFamily,
      quotation: getComputedStyle(document.querySelector('.case blockquote p')!).fontFamily,
      commentary: getComputedStyle(document.querySelector('.commentary p')!).fontFamily,
      breakAfter: getComputedStyle(document.querySelector('.commentary h2')!).breakAfter,
      widows: getComputedStyle(document.querySelector('.case p')!).widows,
    }));
    expect(fonts.heading).toMatch(/^"Noto Sans SC"/);
    expect(fonts.quotation).toMatch(/^"Kai Punctuation", "LXGW WenKai"/);
    expect(fonts.commentary).toMatch(/^"Kai Punctuation", "LXGW WenKai"/);
    expect(fonts.breakAfter).toBe('avoid');
    expect(fonts.widows).toBe('2');
  });
});
