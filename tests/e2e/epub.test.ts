// The EPUB of a book with images, tables and footnotes, checked as stores and libraries check it
// (EPUBCheck, Ace by DAISY), read as a reading system reads it, and built twice to compare the bytes.
import {readFile} from 'node:fs/promises';
import JSZip from 'jszip';
import {beforeAll, describe, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {build, type BuildResult} from '../../src/build.js';
import {gradientPng} from '../fixtures/png.js';
import {ace, epubcheck, epubText, manuscriptTexts, missingInOrder, normalise, pdfPages, temporaryDirectory, writeManuscript} from '../helpers.js';

const EXTRA_CASE = `---
title: 图表与注释
authors:
  - 胡金
---

临平经开区规上工业总产值突破630亿元[^1]，同比增长6.4%。

::figure[一张渐变的图]{src="../images/gradient.png" alt="从红到绿的渐变色块"}

| 指标 | 数值 |
| --- | ---: |
| 规上工业总产值 | 630亿元 |
| 同比增长 | 6.4% |

## 小节

研发费用30.93亿元[^2]。

[^1]: 数据来源：临平经开区。
[^2]: 同比增长5%。
`;

let manuscript: string;
const builds: BuildResult[] = [];
let zip: JSZip;

async function file(name: string): Promise<string> {
  return zip.file(`OEBPS/${name}`)!.async('string');
}

beforeAll(async () => {
  const files = await syntheticCasebook({cases: 3, vary: true, book: 'identifier: 978-7-5178-0000-2\n'});
  manuscript = await writeManuscript({...files, 'cases/004-figures.md': EXTRA_CASE, 'images/gradient.png': gradientPng(1600, 900)});
  const previous = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = '1760313600';
  try {
    for (let run = 0; run < 2; run++) builds.push(await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('epub')}));
  } finally {
    if (previous === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = previous;
  }
  expect(builds.map((result) => result.ok)).toEqual([true, true]);
  zip = await JSZip.loadAsync(await readFile(builds[0]!.outputs!.epub));
});

describe('the EPUB', () => {
  it('passes EPUBCheck with no error and no warning', async () => {
    const check = await epubcheck(builds[0]!.outputs!.epub);
    expect(check.messages).toEqual([]);
  });

  it('passes Ace by DAISY with no violation', async () => {
    const report = await ace(builds[0]!.outputs!.epub);
    expect(report.violations).toEqual([]);
    expect(report.outcome).toBe('pass');
  });

  it('is byte for byte the same when built twice with SOURCE_DATE_EPOCH', async () => {
    const [first, second] = await Promise.all(builds.map((result) => readFile(result.outputs!.epub)));
    expect(first!.length).toBeGreaterThan(0);
    expect(Buffer.compare(first!, second!)).toBe(0);
  });

  it('keeps every paragraph, in order, with Chinese as characters and table scopes', async () => {
    expect(missingInOrder(await manuscriptTexts(manuscript), await epubText(builds[0]!.outputs!.epub))).toEqual([]);
    const figures = await file('case-004-figures.xhtml');
    expect(figures).not.toMatch(/&#x?[0-9a-f]+;/i);
    expect(figures).toContain('<th scope="col">指标</th>');
    expect(figures).toMatch(/<img src="images\/[0-9a-f]{16}\.png" alt="从红到绿的渐变色块" width="1600" height="900"/);
    expect(figures).toContain('role="doc-noteref"');
  });

  it('gives the 版权页 its 字数, which its HTML leaves to be written in', async () => {
    expect(await file('copyright-page.xhtml')).toMatch(/<dt>字数<\/dt><dd><span class="page-slot" data-word-count="">\d+千字<\/span><\/dd>/);
  });

  it('declares zh-Hans, the identifier, a cover, accessibility metadata and the pagination source', async () => {
    const opf = await file('content.opf');
    expect(opf).toContain('xml:lang="zh-Hans"');
    expect(opf).toContain('<dc:language>zh-Hans</dc:language>');
    expect(opf).toContain('<dc:identifier id="book-id">urn:isbn:9787517800002</dc:identifier>');
    expect(opf).toContain('<meta property="dcterms:modified">2025-10-13T00:00:00Z</meta>');
    expect(opf).toMatch(/href="images\/cover\.jpg" media-type="image\/jpeg" properties="cover-image"/);
    for (const feature of ['structuralNavigation', 'tableOfContents', 'alternativeText', 'pageNavigation', 'printPageNumbers']) {
      expect(opf).toContain(`<meta property="schema:accessibilityFeature">${feature}</meta>`);
    }
    expect(opf).toMatch(/schema:accessibilityHazard">none</);
    expect(opf).toMatch(/schema:accessibilitySummary">.+</);
    expect(opf).toContain('<dc:source id="pagination-source">urn:isbn:9787517800002</dc:source>');
    for (const name of ['cover.xhtml', 'title-page.xhtml', 'case-001-case.xhtml', 'case-004-figures.xhtml']) expect(await file(name)).toContain('xml:lang="zh-Hans"');
    expect(zip.file('OEBPS/toc.ncx')).not.toBeNull();
  });

  it('navigates: a doc-toc nesting each case’s sections, landmarks, a page list', async () => {
    const nav = await file('toc.xhtml');
    expect(nav).toContain('role="doc-toc"');
    expect(nav).toMatch(/<a href="case-001-case\.xhtml">案例一：[^<]+<\/a>\s*<ol>\s*<li><a href="case-001-case\.xhtml#case-001-case-s1">/);
    for (const landmark of ['cover', 'toc', 'bodymatter']) expect(nav).toContain(`epub:type="${landmark}"`);
    expect(nav).toContain('role="doc-pagelist"');
  });

  it('puts each page-break marker where that page of the print PDF begins', async () => {
    const printPages = await pdfPages(builds[0]!.outputs!.printPdf!);
    const nav = await file('toc.xhtml');
    const entries = [...nav.matchAll(/<li><a href="([^"#]+)#page-([^"]+)">([^<]+)<\/a><\/li>/g)].map(([, href, id, label]) => ({href: href!, id: id!, label: label!}));
    const withText = printPages.filter((page) => page.text.trim() !== '' && !normalise(page.text).startsWith('目录'));
    expect(entries.map((entry) => entry.label)).toEqual(withText.map((page) => page.label));
    for (const entry of entries) {
      const xhtml = await file(entry.href);
      const marker = new RegExp(`<span[^>]*id="page-${entry.id}"[^>]*>(?:</span>)?`).exec(xhtml)!;
      const after = normalise(xhtml.slice(marker.index + marker[0].length).replace(/<[^>]*>/g, ''));
      // Print adds what the stylesheet generates: list numbers, the 〔待查： of a query.
      const printed = normalise(printPages.find((page) => page.label === entry.label)!.text).replace(/^〔待查：/, '').replace(/\d+\.(?=\D)/g, '');
      expect(after.slice(0, 6), `page ${entry.label}`).toBe(printed.slice(0, 6));
    }
  });

  it('stays small', () => {
    expect(builds[0]!.stats!.sizes.epub).toBeLessThan(1024 * 1024);
  });
});
