// The last touches Chromium cannot make, done in place with pdf-lib (which keeps Chromium's structure
// tree and /Lang): running heads and folios printed over each page as artifacts, page labels equal to
// the printed folios, bookmarks matching the table of contents, metadata, and the page boxes of the
// two PDFs — the screen PDF cropped to the trim, the print PDF with bleed, crop marks and no links.
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFPage,
  PDFRef,
} from 'pdf-lib';
import {POINTS_PER_MM, removeUnreachable, SAVE_FAST} from '../pdf-content.js';
import type {SubsetFontFile} from '../3-assemble/fonts.js';
import type {Cache} from '../cache.js';
import {asArtifact, drawSheet, DrawnFonts, furnitureTexts, round, SharedContent, type FurnitureStyle, type Sheet} from './furniture.js';
import type {Destination, PageInfo, Slot} from './paginate.js';
import {printFrame, writeSlots} from './slots.js';

export interface OutlineEntry {
  title: string;
  target: string;
  children: OutlineEntry[];
}

export interface DocumentInfo {
  title: string;
  subject?: string;
  authors: string[];
  keywords: string[];
  lang: string;
  date: Date;
}

export interface FinishInput {
  /** Chromium's PDF, opened; changed in place, it is left as the print PDF. */
  body: PDFDocument;
  furniture: {style: FurnitureStyle; fonts: SubsetFontFile[]; sheets: Sheet[]; /** The text block's width and height, points, and its top below the trim's, millimetres. */ width: number; height: number; top: number};
  /** Texts that depend on the page numbers, written in where the page left room for them. */
  slots: Slot[];
  pages: PageInfo[];
  destinations: Map<string, Destination>;
  outline: OutlineEntry[];
  info: DocumentInfo;
  /** Trim size and bleed, in millimetres. */
  trim: {width: number; height: number};
  bleed: number;
  /** Pad the print PDF with blank pages to a multiple of 4 (whole sheets for the binder). */
  pad?: boolean;
  /** Keeps the fonts of what is drawn here, cut down to its characters. */
  cache?: Cache;
}

/** Crop marks: they start at the bleed edge and are this long; the media leaves this margin around them. */
const MARK_LENGTH_MM = 5;
const MARK_MARGIN_MM = 2;

/** Both PDFs, and the running heads that had to be cut short to fit the text block. */
export async function finishPdfs(input: FinishInput): Promise<{screen: Uint8Array; print: Uint8Array; cutHeads: string[]}> {
  const document = input.body;
  const pages = document.getPages();
  if (pages.length !== input.pages.length) throw new Error(`the PDF has ${pages.length} pages, ${input.pages.length} were planned`);

  // Chromium sets every page as a recto (styles/print.css): the text block is where its page area is.
  // Read before the screen PDF's boxes are set: they change what pdf-lib reports as the page's size.
  const frame = printFrame(pages);
  const sheet = pages[0]!.getSize();
  const mm = (value: number) => value * POINTS_PER_MM;
  const block = {left: frame.a * frame.left, width: input.furniture.width, top: mm(input.furniture.top), height: input.furniture.height};
  /** A recto's trim box is centred on the sheet Chromium drew; a verso's mirrors it about the text block. */
  const trimBox = (index: number) => {
    const rectoX = (sheet.width - mm(input.trim.width)) / 2;
    const inner = block.left - rectoX;
    const x = index % 2 === 0 ? rectoX : block.left + block.width + inner - mm(input.trim.width);
    return {x, y: (sheet.height - mm(input.trim.height)) / 2, width: mm(input.trim.width), height: mm(input.trim.height)};
  };

  const {style, sheets} = input.furniture;
  const fonts = await DrawnFonts.embed(document, input.furniture.fonts, [...furnitureTexts(sheets, style), ...input.slots], input.cache);
  writeSlots(document, input.slots, fonts);
  const content = new SharedContent(document);
  const cutHeads = new Set<string>();
  for (const [index, page] of pages.entries()) {
    wrapExistingContent(page);
    const head = sheets[index]!.head;
    if (drawSheet(page, sheets[index]!, style, fonts, block, trimBox(index), content) !== head) cutHeads.add(head!);
  }
  await fonts.finish();

  setPageLabels(document, input.pages);
  setOutline(document, input.outline, input.destinations);
  setInfo(document, input.info);

  for (const [index, page] of pages.entries()) {
    const trim = trimBox(index);
    page.setMediaBox(trim.x, trim.y, trim.width, trim.height);
    page.setCropBox(trim.x, trim.y, trim.width, trim.height);
    page.setTrimBox(trim.x, trim.y, trim.width, trim.height);
    page.setBleedBox(trim.x, trim.y, trim.width, trim.height);
  }
  const screen = await document.save(SAVE_FAST);

  // The press needs no links, bookmarks or structure tree (its links would point at removed
  // annotations). Its black is black ink only: made so when the print was opened (makeBlackPure).
  for (const key of ['StructTreeRoot', 'MarkInfo', 'Outlines', 'PageMode']) document.catalog.delete(PDFName.of(key));
  if (input.pad) {
    while (document.getPageCount() % 4 !== 0) pages.push(document.addPage([sheet.width, sheet.height]));
  }
  for (const [index, page] of pages.entries()) {
    const trim = trimBox(index);
    const bleed = mm(input.bleed);
    const reach = bleed + mm(MARK_LENGTH_MM + MARK_MARGIN_MM);
    page.setMediaBox(trim.x - reach, trim.y - reach, trim.width + 2 * reach, trim.height + 2 * reach);
    page.setCropBox(trim.x - reach, trim.y - reach, trim.width + 2 * reach, trim.height + 2 * reach);
    page.setBleedBox(trim.x - bleed, trim.y - bleed, trim.width + 2 * bleed, trim.height + 2 * bleed);
    page.setTrimBox(trim.x, trim.y, trim.width, trim.height);
    content.append(page, cropMarks(trim, bleed, mm(MARK_LENGTH_MM)));
    page.node.delete(PDFName.of('Annots'));
    page.node.delete(PDFName.of('StructParents'));
  }
  removeUnreachable(document);
  // Without object streams: twice as fast to write; the press gets a larger file, which it does not mind.
  const print = await document.save({...SAVE_FAST, useObjectStreams: false});
  return {screen, print, cutHeads: [...cutHeads]};
}

/**
 * Chromium leaves its coordinate flip in force at the end of a page. pdf-lib's normalize() fences the
 * existing content in q … Q, with one q stream and one Q stream shared by all pages (a pair of its own
 * for each page cost half a second of compression at 1,200 pages); what is drawn next comes after the Q.
 */
function wrapExistingContent(page: PDFPage) {
  page.node.normalize();
}

function cropMarks(trim: {x: number; y: number; width: number; height: number}, offset: number, length: number): string {
  const left = trim.x;
  const right = trim.x + trim.width;
  const bottom = trim.y;
  const top = trim.y + trim.height;
  const lines: string[] = [];
  const line = (x1: number, y1: number, x2: number, y2: number) => lines.push(`${round(x1)} ${round(y1)} m ${round(x2)} ${round(y2)} l S`);
  for (const x of [left, right]) {
    for (const y of [bottom, top]) {
      const outwardX = x === left ? -1 : 1;
      const outwardY = y === bottom ? -1 : 1;
      line(x + outwardX * offset, y, x + outwardX * (offset + length), y);
      line(x, y + outwardY * offset, x, y + outwardY * (offset + length));
    }
  }
  // Registration colour, so that the marks appear on every printing plate.
  return asArtifact(`q 1 1 1 1 K 0.25 w\n${lines.join('\n')}\nQ`);
}

/** /PageLabels: roman for the front matter, arabic from the first case, as printed. */
function setPageLabels(document: PDFDocument, pages: PageInfo[]) {
  const nums: (number | PDFDict)[] = [];
  pages.forEach((page, index) => {
    const roman = /^[ivxlcdm]+$/.test(page.label);
    const previous = pages[index - 1];
    const previousRoman = previous ? /^[ivxlcdm]+$/.test(previous.label) : undefined;
    if (index === 0 || roman !== previousRoman) {
      nums.push(index, document.context.obj({S: roman ? 'r' : 'D', St: roman ? romanValue(page.label) : Number(page.label)}));
    }
  });
  document.catalog.set(PDFName.of('PageLabels'), document.context.obj({Nums: nums}));
}

function romanValue(label: string): number {
  const values: Record<string, number> = {i: 1, v: 5, x: 10, l: 50, c: 100, d: 500, m: 1000};
  let total = 0;
  [...label].forEach((character, index) => {
    const value = values[character]!;
    total += value < (values[label[index + 1] ?? ''] ?? 0) ? -value : value;
  });
  return total;
}

/** Bookmarks built from our table of contents (Chromium's would list every heading of every page). */
function setOutline(document: PDFDocument, entries: OutlineEntry[], destinations: Map<string, Destination>) {
  const pageRefs = document.getPages().map((page) => page.ref);
  const context = document.context;
  const rootRef = context.nextRef();

  const build = (items: OutlineEntry[], parentRef: PDFRef): {first?: PDFRef; last?: PDFRef; count: number} => {
    const refs = items.map(() => context.nextRef());
    let count = 0;
    items.forEach((item, index) => {
      const destination = destinations.get(item.target);
      const children = build(item.children, refs[index]!);
      const dict = context.obj({
        Title: PDFHexString.fromText(item.title),
        Parent: parentRef,
        ...(index > 0 ? {Prev: refs[index - 1]!} : {}),
        ...(index < items.length - 1 ? {Next: refs[index + 1]!} : {}),
        ...(children.first ? {First: children.first, Last: children.last!, Count: children.count} : {}),
      }) as PDFDict;
      if (!destination) throw new Error(`the printed PDF has no page for the bookmark “${item.title}” (#${item.target})`);
      dict.set(PDFName.of('Dest'), context.obj([pageRefs[destination.page - 1]!, PDFName.of('XYZ'), PDFNumber.of(0), PDFNumber.of(destination.y), PDFNumber.of(0)]) as PDFArray);
      context.assign(refs[index]!, dict);
      count += 1 + children.count;
    });
    return {first: refs[0], last: refs.at(-1), count};
  };

  const top = build(entries, rootRef);
  context.assign(rootRef, context.obj({Type: 'Outlines', ...(top.first ? {First: top.first, Last: top.last!, Count: top.count} : {})}));
  document.catalog.set(PDFName.of('Outlines'), rootRef);
  document.catalog.set(PDFName.of('PageMode'), PDFName.of('UseOutlines'));
}

function setInfo(document: PDFDocument, info: DocumentInfo) {
  document.setTitle(info.title, {showInWindowTitleBar: true});
  if (info.subject) document.setSubject(info.subject);
  if (info.authors.length > 0) document.setAuthor(info.authors.join('、'));
  document.setKeywords(info.keywords);
  document.setLanguage(info.lang);
  document.setCreator('hangzhou-lujing');
  document.setProducer('hangzhou-lujing (Chromium, pdf-lib)');
  document.setCreationDate(info.date);
  document.setModificationDate(info.date);
}
