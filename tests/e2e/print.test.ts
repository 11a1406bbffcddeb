// The two PDFs of a six-case book (cases of different lengths, so some end on odd pages and need a blank
// verso after them), checked the way a print house and a reader would: with the PDFs' own text, page
// labels, boxes and fonts — not with the pipeline's internal numbers.
import {readFile} from 'node:fs/promises';
import {PDFArray, PDFDict, PDFDocument, PDFName} from 'pdf-lib';
import {beforeAll, describe, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {build, type BuildResult} from '../../src/build.js';
import {folioOf, manuscriptTexts, markedContentTexts, missingInOrder, normalise, openingPage, pdffonts, pdfPages, tableOfContents, temporaryDirectory, writeManuscript, type PdfPage, type StructureNode} from '../helpers.js';

const EPOCH = 1760313600; // 2025-10-13T00:00:00Z
const TITLES = ['一', '二', '三', '四', '五', '六'].map((number) => `案例${number}：探路内涵式发展，临平经开区加快迈向未来智造城`);
const POINTS_PER_MM = 72 / 25.4;

let manuscript: string;
let result: BuildResult;
const pages: Record<'screen' | 'print', PdfPage[]> = {screen: [], print: []};

beforeAll(async () => {
  manuscript = await writeManuscript(
    await syntheticCasebook({
      cases: 6,
      vary: true,
      book: 'toc: sections\nhalftitle: true\nidentifier: 978-7-5178-0000-2\nedition: 2025年10月第1版\nprinting: 2025年10月第1次印刷\ncip: |\n  杭州路径 / 浙报集团杭州分社编\n',
    }),
  );
  const previous = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = String(EPOCH);
  try {
    result = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('print')});
  } finally {
    if (previous === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = previous;
  }
  expect(result.ok).toBe(true);
  pages.screen = await pdfPages(result.outputs!.screenPdf!);
  pages.print = await pdfPages(result.outputs!.printPdf!);
});

const FOLIO = /^(\d+|[ivxlcdm]+)$/;

describe.each(['screen', 'print'] as const)('the %s PDF', (kind) => {
  it('prints in the table of contents the folio of the page each case opens on', () => {
    for (const entry of tableOfContents(pages[kind], TITLES)) {
      expect(entry.opening, entry.title).toBeGreaterThan(0);
      expect(entry.printed, entry.title).toBe(entry.folio);
    }
  });

  it('opens every case on a right-hand (odd) page, without a running head', () => {
    for (const title of TITLES) {
      const opening = openingPage(pages[kind], title);
      expect((opening + 1) % 2, title).toBe(1);
      expect(pages[kind][opening]!.artifacts, title).toEqual([folioOf(pages[kind][opening]!)]);
    }
  });

  it('leaves the inserted blank pages truly empty: no text, no head, no folio', () => {
    const blanks = pages[kind].map((page, index) => ({page, number: index + 1})).filter(({page}) => page.text.trim() === '' && page.artifacts.length === 0);
    expect(blanks.length).toBeGreaterThan(1);
    for (const {number} of blanks) expect(number % 2, `page ${number}`).toBe(0);
  });

  it('labels pages as they are printed: roman in the front matter, arabic from the first case', () => {
    const list = pages[kind];
    const firstCase = openingPage(list, TITLES[0]!);
    expect(list.slice(0, 4).map((page) => page.label)).toEqual(['i', 'ii', 'iii', 'iv']);
    expect(list[firstCase]!.label).toBe('1');
    for (const page of list) {
      const folio = folioOf(page);
      if (folio) expect(page.label).toBe(folio);
    }
  });

  it('runs the book title over versos and the case title over rectos', () => {
    const list = pages[kind];
    for (const [index, title] of TITLES.entries()) {
      const start = openingPage(list, title);
      const end = index + 1 < TITLES.length ? openingPage(list, TITLES[index + 1]!) : list.length;
      for (let page = start + 1; page < end; page++) {
        if (list[page]!.artifacts.length === 0) continue; // the blank verso before the next case
        const head = list[page]!.artifacts.find((text) => !FOLIO.test(text));
        expect(head, `page ${page + 1}`).toBe((page + 1) % 2 === 0 ? '杭州路径' : title);
      }
    }
  });

  it('contains every paragraph of the manuscript, in order', async () => {
    expect(missingInOrder(await manuscriptTexts(manuscript), pages[kind].map((page) => page.text).join(''))).toEqual([]);
  });

  it('embeds every font, none of them Type 3', async () => {
    const fonts = await pdffonts(kind === 'print' ? result.outputs!.printPdf! : result.outputs!.screenPdf!);
    expect(fonts.filter((font) => !font.embedded || font.type !== 'CID TrueType' || !/^[A-Z]{6}\+/.test(font.name))).toEqual([]);
  });
});

describe('the print PDF', () => {
  it('has trim, bleed and media boxes on every page: 170×240 mm, 3 mm bleed, crop marks outside', async () => {
    const document = await PDFDocument.load(await readFile(result.outputs!.printPdf!));
    const screen = await PDFDocument.load(await readFile(result.outputs!.screenPdf!), {updateMetadata: false});
    for (const [index, page] of document.getPages().entries()) {
      // The trim as on the screen PDF's page (rectos and versos each placed on the sheet as printed).
      if (index < screen.getPageCount()) expect(page.getTrimBox()).toEqual(screen.getPage(index).getCropBox());
      const trim = page.getTrimBox();
      const bleed = page.getBleedBox();
      const media = page.getMediaBox();
      expect(trim.width).toBeCloseTo(170 * POINTS_PER_MM, 0);
      expect(Math.abs(trim.width - 170 * POINTS_PER_MM)).toBeLessThan(0.5);
      expect(Math.abs(trim.height - 240 * POINTS_PER_MM)).toBeLessThan(0.5);
      expect(Math.abs(trim.x - bleed.x - 3 * POINTS_PER_MM)).toBeLessThan(0.5);
      expect(Math.abs(bleed.width - 176 * POINTS_PER_MM)).toBeLessThan(0.5);
      expect(Math.abs(bleed.height - 246 * POINTS_PER_MM)).toBeLessThan(0.5);
      expect(media.x).toBeLessThan(bleed.x - 5 * POINTS_PER_MM);
      expect(media.width).toBeGreaterThan(bleed.width + 10 * POINTS_PER_MM);
      expect(page.node.get(PDFName.of('Annots'))).toBeUndefined();
    }
    // Nor the objects of the screen PDF's structure tree, links and bookmarks, which nothing refers to.
    const types = document.context.enumerateIndirectObjects().map(([, object]) => (object instanceof PDFDict ? object.get(PDFName.of('Type'))?.toString() : undefined));
    for (const type of ['/StructElem', '/StructTreeRoot', '/Annot', '/Outlines']) expect(types).not.toContain(type);
    expect(types).toContain('/Page');
  });

  it('prints black as black ink only, and passes preflight with no error', () => {
    const report = result.stats!.preflight.print!;
    expect(report.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
    expect(report.findings.map((finding) => finding.message).join('\n')).not.toMatch(/RGB/);
  });

  it('sets a 版权页 with the figures of this book', () => {
    const copyright = normalise(pages.print[3]!.text);
    expect(copyright).toContain('图书在版编目（CIP）数据');
    expect(copyright).toContain('开本710毫米×1000毫米1/16');
    expect(copyright).toContain(`印张${Math.round((pages.print.length / 16) * 100) / 100}`);
    expect(copyright).toMatch(/字数\d+千字/);
    expect(copyright).toContain('书号ISBN978-7-5178-0000-2');
    expect(copyright).toContain('版次2025年10月第1版');
  });
});

describe('the screen PDF', () => {
  it('is cropped to the trim, has live links, a structure tree and the metadata of the book', async () => {
    const document = await PDFDocument.load(await readFile(result.outputs!.screenPdf!), {updateMetadata: false});
    const first = document.getPage(0);
    expect(Math.abs(first.getMediaBox().width - 170 * POINTS_PER_MM)).toBeLessThan(0.5);
    expect(Math.abs(first.getMediaBox().height - 240 * POINTS_PER_MM)).toBeLessThan(0.5);
    const links = document.getPages().reduce((count, page) => count + (page.node.lookupMaybe(PDFName.of('Annots'), PDFArray)?.size() ?? 0), 0);
    expect(links).toBeGreaterThan(TITLES.length);
    expect(document.catalog.lookupMaybe(PDFName.of('StructTreeRoot'), PDFDict)).toBeDefined();
    expect(document.getTitle()).toBe('杭州路径');
    expect(document.getSubject()).toBe('合成样书');
    expect(document.getKeywords()).toContain(TITLES[0]);
    expect(document.getCreationDate()?.toISOString()).toBe(new Date(EPOCH * 1000).toISOString());
    expect(String(document.catalog.get(PDFName.of('Lang')))).toContain('zh-CN');
  });

  it('keeps the 22 mm inner margin clear on every page: left on rectos, right on versos', () => {
    const trimWidth = 170 * POINTS_PER_MM;
    const inner = 22 * POINTS_PER_MM;
    const outer = trimWidth - inner - 367.5;
    const set = pages.screen.filter((page) => page.textSpan);
    expect(set.length).toBeGreaterThan(pages.screen.length / 2);
    for (const [index, page] of pages.screen.entries()) {
      if (!page.textSpan) continue;
      const [spine, edge] = index % 2 === 0 ? [page.textSpan.left, trimWidth - page.textSpan.right] : [trimWidth - page.textSpan.right, page.textSpan.left];
      expect(spine, `page ${index + 1}: inner margin`).toBeGreaterThan(inner - 0.5);
      expect(edge, `page ${index + 1}: outer margin`).toBeGreaterThan(outer - 0.5);
    }
  });

  it('has bookmarks that match the table of contents, sections nested under their case', async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const document = await pdfjs.getDocument({data: new Uint8Array(await readFile(result.outputs!.screenPdf!))}).promise;
    const outline = (await document.getOutline())!;
    expect(outline.map((item) => item.title)).toEqual(['内涵式发展看杭州', '目录', ...TITLES]);
    const toc = normalise(pages.screen.filter((page) => normalise(page.text).startsWith('目录')).map((page) => page.text).join(''));
    for (const item of outline.slice(2)) {
      expect(item.items.length).toBeGreaterThan(0);
      for (const section of item.items) expect(toc).toContain(normalise(section.title));
      expect(openingPage(pages.screen, item.title)).toBe(await pageIndexOf(item.dest));
      // A section's bookmark and its table-of-contents number go to the page its heading is printed on.
      // (Every case has the same sections: the table of contents is read on from the case's entry.)
      let from = toc.indexOf(normalise(item.title));
      for (const section of item.items) {
        const index = await pageIndexOf(section.dest);
        expect(normalise(pages.screen[index]!.text), section.title).toContain(normalise(section.title));
        const entry = new RegExp(`${normalise(section.title)}…+(\\d+)`, 'g');
        entry.lastIndex = from;
        const printed = entry.exec(toc);
        expect(printed?.[1], section.title).toBe(folioOf(pages.screen[index]!));
        from = entry.lastIndex;
      }
    }

    async function pageIndexOf(dest: unknown): Promise<number> {
      const destination = typeof dest === 'string' ? await document.getDestination(dest) : dest;
      return document.getPageIndex((destination as [{num: number; gen: number}])[0]);
    }
  });

  it('tags each table-of-contents number as text of its entry, after the title', async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const document = await pdfjs.getDocument({data: new Uint8Array(await readFile(result.outputs!.screenPdf!))}).promise;
    const number = pages.screen.findIndex((page) => normalise(page.text).startsWith('目录')) + 1;
    const page = await document.getPage(number);
    const texts = await markedContentTexts(page);
    // Each structure element's marked contents, in order; a NonStruct element's belong to its parent
    // (a title broken into clauses and words comes as a run of them).
    const elements: string[][] = [];
    const contents = (node: StructureNode): string[] =>
      (node.children ?? []).flatMap((child) => (child.type === 'content' ? [normalise(texts.get(child.id!) ?? '')] : child.role === 'NonStruct' ? contents(child) : []));
    const walk = (node: StructureNode) => {
      const own = node.role === 'NonStruct' ? [] : contents(node);
      if (own.length > 0) elements.push(own);
      for (const child of node.children ?? []) if (child.type !== 'content') walk(child);
    };
    walk((await page.getStructTree()) as StructureNode);
    const entry = elements.find((own) => own.join('').startsWith(normalise(TITLES[0]!)));
    expect(entry, JSON.stringify(elements)).toBeDefined();
    expect(entry!.at(-1)).toBe(tableOfContents(pages.screen, TITLES)[0]!.printed);
  });
});
