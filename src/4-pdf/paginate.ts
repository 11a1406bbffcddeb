// Chromium cannot insert the blank page before a case that would start on a verso (`break-before:
// recto`), nor print target-counter() page numbers. So: print (a quick print with nothing painted, or
// the real one when the previous build's plan is at hand), read from the PDF where every part and
// section starts (its named destinations), insert blank pages and write the table-of-contents numbers
// into the page, and print again until what is printed is what was predicted.
import {PDFArray, PDFDict, PDFName, PDFNumber, PDFRef, type PDFDocument, type PDFObject} from 'pdf-lib';
import {openPdf} from '../pdf-content.js';
import type {Page} from 'puppeteer-core';

export interface PlannedPart {
  id: string;
  kind: string;
  title: string;
  startsOnRecto: boolean;
  hasRunningHeads: boolean;
  /** Ids inside the part whose pages are wanted too (section headings). */
  anchors: string[];
}

export type PageRole = 'opening' | 'body' | 'blank';

export interface PageInfo {
  /** 1-based position in the PDF. */
  number: number;
  /** The printed folio and the PDF page label: “iv”, “17”. */
  label: string;
  side: 'recto' | 'verso';
  role: PageRole;
  part: PlannedPart;
}

export interface Destination {
  /** 1-based page number. */
  page: number;
  /** Distance from the page's bottom edge, in PDF points. */
  y: number;
}

export interface Pagination {
  /** The last print, opened: the one whose page numbers are the printed ones. */
  pdf: PDFDocument;
  pages: PageInfo[];
  destinations: Map<string, Destination>;
  passes: number;
  /** What was done to the page: kept by the build for the next one, whose first print it makes final. */
  plan: PagePlan;
}

/** Blank pages and page-number texts written into the page before it is printed. */
export interface PagePlan {
  /** Ids of the parts that get a blank page before them. */
  blanksBefore: string[];
  /** [CSS selector, text] pairs: table-of-contents numbers, the 印张. */
  texts: [string, string][];
}

export interface PrintOptions {
  timeoutMs: number;
  /** Texts that depend on the page count, as [CSS selector, text] (the 版权页's 印张). */
  pageCountTexts?: (pageCount: number) => [string, string][];
  /** The previous build's plan: when the pages have not moved, the first print is the last. */
  previousPlan?: PagePlan;
  onProgress?: (detail: string) => void;
}

const MAX_PASSES = 6;

export async function paginate(page: Page, parts: PlannedPart[], options: PrintOptions): Promise<Pagination> {
  const targets = parts.flatMap((part) => [part.id, ...part.anchors]);
  // Chromium writes a named destination only for elements that some link points to; hidden links are
  // enough, and print nothing.
  await page.evaluate((ids: string[]) => {
    const holder = document.createElement('div');
    holder.hidden = true;
    holder.id = 'page-locators';
    for (const id of ids) {
      const link = document.createElement('a');
      link.href = `#${id}`;
      holder.append(link);
    }
    document.body.append(holder);
  }, targets);
  // With the previous build's plan the first print is likely the last; without it, a quick print with
  // nothing painted finds where things fall first.
  let discovering = !options.previousPlan;
  if (options.previousPlan) await applyPlan(page, options.previousPlan);

  let pageCount = 0;
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    options.onProgress?.(`print ${pass}${discovering ? ' (layout only)' : ''}${pageCount ? `: ${pageCount} pages` : ''}`);
    const pdf = discovering ? await printLayoutOnly(page, options) : await printPdf(page, options);
    const layout = await readLayout(pdf);
    pageCount = layout.pageCount;
    const starts = parts.map((part) => {
      const destination = layout.destinations.get(part.id);
      if (!destination) throw new Error(`the printed PDF has no page for part #${part.id}`);
      return destination.page;
    });

    // Parts that start on a verso get a blank page before them, or lose the one an earlier pass added.
    // Each change moves every later page by one: `shifts[i]` is the move of part i's pages.
    const blanks = new Set(await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.blank-page')].map((element) => element.dataset.before!)));
    const shifts: number[] = [];
    let shift = 0;
    parts.forEach((part, index) => {
      if (part.startsOnRecto && (starts[index]! + shift) % 2 === 0) {
        shift += blanks.has(part.id) ? -1 : 1;
        if (blanks.has(part.id)) blanks.delete(part.id);
        else blanks.add(part.id);
      }
      shifts.push(shift);
    });
    const pages = describePages(parts, starts.map((start, index) => start + shifts[index]!), layout.pageCount + shift, blanks);

    // Texts that depend on the pages: table-of-contents numbers, and what the caller asks for.
    const fills: [string, string][] = [...(options.pageCountTexts?.(pages.length) ?? [])];
    parts.forEach((part, index) => {
      for (const target of [part.id, ...part.anchors]) {
        const destination = layout.destinations.get(target);
        if (destination) fills.push([`[data-page-of="${target}"]`, pages[destination.page + shifts[index]! - 1]!.label]);
      }
    });
    const plan: PagePlan = {blanksBefore: [...blanks], texts: fills};
    const changed = await applyPlan(page, plan);
    if (changed === 0 && !discovering) return {pdf: layout.document, pages, destinations: layout.destinations, passes: pass, plan};
    // A print that needed changes is followed by a real one; a real one that needed changes, by a quick one.
    discovering = changed > 0 && !discovering;
  }
  throw new Error(`the page numbers did not settle after ${MAX_PASSES} passes`);
}

/** Writes blank pages and texts into the page; returns how many things changed. */
async function applyPlan(page: Page, plan: PagePlan): Promise<number> {
  return page.evaluate(
    (wanted: string[], texts: [string, string][]) => {
      let changes = 0;
      for (const blank of document.querySelectorAll<HTMLElement>('.blank-page')) {
        if (!wanted.includes(blank.dataset.before!)) {
          blank.remove();
          changes++;
        }
      }
      for (const id of wanted) {
        const part = document.getElementById(id);
        if (!part || document.querySelector(`.blank-page[data-before="${id}"]`)) continue;
        const blank = document.createElement('div');
        blank.className = 'blank-page';
        blank.dataset.before = id;
        blank.setAttribute('aria-hidden', 'true');
        part.before(blank);
        changes++;
      }
      for (const [selector, text] of texts) {
        for (const element of document.querySelectorAll(selector)) {
          if (element.textContent === text) continue;
          element.textContent = text;
          changes++;
        }
      }
      return changes;
    },
    plan.blanksBefore,
    plan.texts,
  );
}

/** Folios: lower-case roman for the front matter, arabic from the first case, which is page 1. */
function describePages(parts: PlannedPart[], starts: number[], pageCount: number, blanksBefore: Set<string>): PageInfo[] {
  const firstCase = parts.findIndex((part) => part.kind === 'case');
  const bodyStart = firstCase >= 0 ? starts[firstCase]! : pageCount + 1;
  const blankPages = new Set(parts.flatMap((part, index) => (blanksBefore.has(part.id) ? [starts[index]! - 1] : [])));
  const pages: PageInfo[] = [];
  let partIndex = 0;
  for (let number = 1; number <= pageCount; number++) {
    while (partIndex + 1 < parts.length && starts[partIndex + 1]! <= number) partIndex++;
    pages.push({
      number,
      label: number >= bodyStart ? String(number - bodyStart + 1) : toRoman(number),
      side: number % 2 === 1 ? 'recto' : 'verso',
      role: starts[partIndex] === number ? 'opening' : blankPages.has(number) ? 'blank' : 'body',
      part: parts[partIndex]!,
    });
  }
  return pages;
}

function toRoman(value: number): string {
  const numerals: [number, string][] = [[1000, 'm'], [900, 'cm'], [500, 'd'], [400, 'cd'], [100, 'c'], [90, 'xc'], [50, 'l'], [40, 'xl'], [10, 'x'], [9, 'ix'], [5, 'v'], [4, 'iv'], [1, 'i']];
  let result = '';
  for (const [amount, numeral] of numerals) {
    while (value >= amount) {
      result += numeral;
      value -= amount;
    }
  }
  return result;
}

async function printPdf(page: Page, options: PrintOptions): Promise<Uint8Array> {
  return page.pdf({preferCSSPageSize: true, printBackground: true, tagged: true, outline: false, timeout: options.timeoutMs});
}

/**
 * A print with nothing painted: `visibility: hidden` changes no position, so the pages and destinations
 * are those of the real print, in less than half its time (no glyphs, no fonts to embed).
 */
async function printLayoutOnly(page: Page, options: PrintOptions): Promise<Uint8Array> {
  const style = await page.addStyleTag({content: '* { visibility: hidden !important; }'});
  try {
    return await page.pdf({preferCSSPageSize: true, tagged: false, outline: false, timeout: options.timeoutMs});
  } finally {
    await style.evaluate((element) => element.remove());
  }
}

/** Page count and named destinations (catalog /Dests, 1-based pages) of a Chromium PDF. */
export async function readLayout(pdf: Uint8Array): Promise<{document: PDFDocument; pageCount: number; destinations: Map<string, Destination>}> {
  const document = await openPdf(pdf);
  const pageNumbers = new Map<string, number>();
  document.getPages().forEach((page, index) => pageNumbers.set(page.ref.toString(), index + 1));
  const destinations = new Map<string, Destination>();
  const dests = document.catalog.lookupMaybe(PDFName.of('Dests'), PDFDict);
  for (const [name, value] of dests?.entries() ?? []) {
    const array = document.context.lookup(value as PDFObject, PDFArray);
    const ref = array.get(0);
    const page = ref instanceof PDFRef ? pageNumbers.get(ref.toString()) : undefined;
    const y = array.lookupMaybe(3, PDFNumber)?.asNumber() ?? 0;
    if (page) destinations.set(decodeName(name.asString()), {page, y});
  }
  return {document, pageCount: document.getPageCount(), destinations};
}

/** PDF names escape bytes as #xx: `/case#2D01` → `case-01`. */
function decodeName(name: string): string {
  return decodeURIComponent(name.slice(1).replace(/#([0-9a-f]{2})/gi, '%$1'));
}
