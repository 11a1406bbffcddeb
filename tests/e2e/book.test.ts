// The real manuscript, built as an editor builds it, checked on the outputs themselves.
import {readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import {fromHtml} from 'hast-util-from-html';
import {beforeAll, describe, expect, it} from 'vitest';
import {selectAll} from 'hast-util-select';
import {ace, cli, epubcheck, epubText, findOutput, manuscriptTexts, missingInOrder, pdffonts, pdfPageTexts, PROJECT, temporaryDirectory, type CliResult} from '../helpers.js';

const MANUSCRIPT = path.join(PROJECT, 'manuscript');
let outDir: string;
let result: CliResult;

beforeAll(async () => {
  outDir = await temporaryDirectory('book');
  result = await cli(['build', '--manuscript', MANUSCRIPT, '--out', outDir]);
});

describe('npm run build on the real manuscript', () => {
  it('succeeds and reports the placeholders and queries with their positions', () => {
    expect(result.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^manuscript\/cases\/01-linping\.md:\d+:\d+: warning: figure “俯瞰临平经开区” has no image yet/m);
    expect(result.stderr.match(/\[figure-placeholder\]/g)).toHaveLength(4);
    expect(result.stderr).toMatch(/^manuscript\/cases\/01-linping\.md:\d+:\d+: warning: editorial query: 原文在此处断开/m);
  });

  it('writes one screen PDF, one print PDF, one EPUB and html/index.html', async () => {
    await expect(findOutput(outDir, '-print.pdf')).resolves.toBeTruthy();
    await expect(findOutput(outDir, '.pdf', '-print.pdf')).resolves.toBeTruthy();
    await expect(findOutput(outDir, '.epub')).resolves.toBeTruthy();
    const html = fromHtml(await readFile(path.join(outDir, 'html/index.html'), 'utf8'));
    const parts = selectAll('body > .part', html).map((part) => String(part.properties.id));
    expect(parts).toEqual(['title-page', 'copyright-page', 'front-01-series-introduction', 'toc', 'case-01-linping']);
    expect(selectAll('.case h2', html)).toHaveLength(4);
    expect(selectAll('.case figure.placeholder figcaption', html)).toHaveLength(4);
    expect(selectAll('.case section.commentary .signature .author', html)).toHaveLength(1);
  });

  it('puts every paragraph of every manuscript file, in order, into the PDFs', async () => {
    const expected = await manuscriptTexts(MANUSCRIPT);
    expect(expected.length).toBeGreaterThan(50);
    for (const pdf of [await findOutput(outDir, '.pdf', '-print.pdf'), await findOutput(outDir, '-print.pdf')]) {
      expect(missingInOrder(expected, (await pdfPageTexts(pdf)).join('\n'))).toEqual([]);
    }
  });

  it('puts every paragraph of every manuscript file, in order, into the EPUB', async () => {
    const expected = await manuscriptTexts(MANUSCRIPT);
    expect(missingInOrder(expected, await epubText(await findOutput(outDir, '.epub')))).toEqual([]);
  });

  it('embeds every font of both PDFs, none of them Type 3', async () => {
    for (const pdf of [await findOutput(outDir, '.pdf', '-print.pdf'), await findOutput(outDir, '-print.pdf')]) {
      const fonts = await pdffonts(pdf);
      expect(fonts.length).toBeGreaterThan(0);
      expect(fonts.filter((font) => !font.embedded || font.type === 'Type 3')).toEqual([]);
      expect(new Set(fonts.map((font) => font.type))).toEqual(new Set(['CID TrueType']));
    }
  });

  it('makes an EPUB that EPUBCheck passes with no error and no warning', async () => {
    const check = await epubcheck(await findOutput(outDir, '.epub'));
    expect(check.messages).toEqual([]);
    expect([check.fatals, check.errors, check.warnings]).toEqual([0, 0, 0]);
  });

  it('makes an EPUB that Ace by DAISY passes, well under 1 MB', async () => {
    const epub = await findOutput(outDir, '.epub');
    const report = await ace(epub);
    expect(report.violations).toEqual([]);
    expect(report.outcome).toBe('pass');
    expect((await stat(epub)).size).toBeLessThan(512 * 1024);
  });

  it('reports the layout check and preflight in its summary, all clean', () => {
    expect(result.stdout).toMatch(/Layout check \(\d+ blocks\): line-start-closing 0, line-end-opening 0, split-dash-ellipsis 0, single-character-last-line 0, space-between-han 0/);
    expect(result.stdout).toMatch(/Preflight of .*-print\.pdf: \d+ pages/);
    expect(result.stdout).toContain('no errors');
  });
});
