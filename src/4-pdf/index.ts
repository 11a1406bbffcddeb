// Stage 4: the typeset HTML → the screen PDF and the print PDF, with Chromium (one browser, one tab,
// one print) and pdf-lib. Knows the assembled book; nothing of the EPUB.
import {rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import type {PDFDocument} from 'pdf-lib';
import type {Page} from 'puppeteer-core';
import {printSheets, type AssembledBook, type PageGeometry} from '../3-assemble/index.js';
import {openConfinedPage, type ConfinedPage} from './browser.js';
import {composePages} from './compose.js';
import {finishPdfs, type OutlineEntry} from './finish.js';
import {readFurnitureStyle, type Sheet} from './furniture.js';
import type {Cache} from '../cache.js';
import {POINTS_PER_PIXEL} from '../pdf-content.js';
import {planLayoutCheck, type LayoutExample, type LayoutReport as LineReport, type LayoutRule} from './layout-check.js';
import {summarizeCompositions, type CompositionExample, type CompositionRule} from './compose.js';
import {listHeadings, measureSlots, paginate, prepareLocators, printPage, withSlotTexts, type PageInfo, type PlannedPart} from './paginate.js';
import {keepPrint, openKeptPrint, planPrint, printSettings, readKeptPrint, splitPlan, wholePrint, type ImageResolution, type Printed, type PrintPlan} from './reprint.js';

export {BrowserUnavailableError, ChromiumFailedError, explainChromiumFailure, launchBrowser, openConfinedPage, type ConfinedPage} from './browser.js';
export type {PageInfo} from './paginate.js';
export type {CompositionExample} from './compose.js';
export type {ImageResolution} from './reprint.js';

export interface PdfOptions {
  /** Creation date written into the PDFs. */
  date: Date;
  /** Upper bound for one Chromium print, so that a hung renderer ends the build. */
  timeoutMs?: number;
  /** Pad the print PDF with blank pages to a multiple of 4. */
  pad?: boolean;
  /** Told what is being done (“printing”, “1214 pages: heads, folios, boxes”), for a progress display. */
  onProgress?: (detail: string) => void;
  /** Keeps each part's layout check, and the last print (a rebuild prints only the parts that changed). */
  cache?: Cache;
  /** Told when Chromium has printed (other work may then be given to it while the PDFs are finished). */
  onPrinted?: () => void;
  /**
   * Print the whole book even when only some parts changed: the build sent to print, so that its PDF
   * carries one set of font subsets (each print spliced in brings its own).
   */
  whole?: boolean;
}

/** What the layout check measured on every line, and composing the pages on every page, of the book. */
export interface LayoutReport {
  counts: Record<LayoutRule | CompositionRule | 'page-count', number>;
  /** Blocks of text measured. */
  blocks: number;
  /** Examples of the line rules' findings. */
  examples: LayoutExample[];
  /** Examples of the pages' findings, with their place in the manuscript: every overflow is among them. */
  problems: CompositionExample[];
  /** Figures and tables moved to the top of a later page. */
  floated: number;
}

export interface PrintedPage extends PageInfo {
  /** The first characters of text printed on the page (for the EPUB's print page equivalents). */
  startText: string;
}

export interface PdfResult {
  screen: Uint8Array;
  print: Uint8Array;
  /** The print PDF as written, open (the preflight reads it). */
  printDocument: PDFDocument;
  pages: PrintedPage[];
  /** The HTML as printed, page numbers written in. */
  html: string;
  /** Each image's resolution at the size it is printed. */
  images: ImageResolution[];
  /** What the layout check measured on the typeset lines. */
  layout: LayoutReport;
  /** Requests Chromium made for something other than this build's files (all refused). */
  refused: string[];
  /** The parts Chromium printed (the others' pages were taken from the last print). */
  printed: string[];
  /** How many prints Chromium made them in (two, at once, for a large book printed whole). */
  prints: number;
  /** Parts whose running head is wider than the text block (drawn cut short). */
  longHeads: string[];
}

/**
 * Prints the book in `tab` (a page confined to `htmlDir`, which it closes when done), given while Chromium
 * may still be starting: what needs no Chromium is done meanwhile.
 */
export async function renderPdfs(book: AssembledBook, htmlDir: string, tab: Promise<ConfinedPage>, options: PdfOptions): Promise<PdfResult> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const cache = options.cache;
  // The tabs it prints in (a second one for two prints at once).
  const tabs: ConfinedPage[] = [];
  try {
    const parts: PlannedPart[] = book.parts.map((part) => ({
      id: part.id,
      kind: part.kind,
      title: part.title,
      runningHead: part.runningHead,
      startsOnRecto: part.startsOnRecto,
      hasRunningHeads: part.hasRunningHeads,
    }));
    // A part's lines, and so its print, depend on its HTML and on the book's settings.
    const shared = printSettings(book);
    const units = book.parts.map((part) => ({id: part.id, key: cache?.key('layout', part.html, ...shared)}));
    let tabOpen = false;
    void tab.then(() => (tabOpen = true), () => undefined);
    const lineCheck = await planLayoutCheck(tab.then((opening) => opening.page), {parts: units, cache});
    const settings = cache?.key('print', ...shared) ?? '';
    let kept = cache && !options.whole ? await readKeptPrint(cache, settings) : undefined;
    let plan = planPrint(book, units, lineCheck.unmeasured, kept);
    // The kept print, if it is to be used, is read while this process would otherwise wait for Chromium:
    // while the tab opens, or else while the page's fonts load (measured: 50–100 ms sooner than before the
    // page is loaded). One that cannot be read is no kept print: wholePrint then gives none, and the whole
    // book is printed.
    let keptPdf: PDFDocument | undefined;
    let keptOpened = false;
    const openKept = () => {
      if (keptOpened) return;
      keptOpened = true;
      if (kept && (plan.html || plan.print.length === 0)) keptPdf = openKeptPrint(kept);
    };
    if (!tabOpen || plan.print.length === 0) openKept();
    tabs.push(await tab);
    const {page} = tabs[0]!;
    const chromium = await page.browser().version();
    if (kept && kept.chromium !== chromium) {
      kept = keptPdf = undefined;
      plan = planPrint(book, units, lineCheck.unmeasured);
    }

    // The line check only reports, and may wait: with many parts to measure (a first build) it runs
    // after the print, in Chromium while the PDFs are finished here (measured on 1,214 pages: 0.5 s
    // less than holding up the print); with few (a rebuild after an edit), before it, as it costs little.
    let checkedEarly: LineReport | undefined;
    // Two prints (a large book printed whole) are made at once, the second in a tab of its own.
    const tabFor = async (index: number) => tabs[index] ?? (tabs[index] = await openConfinedPage(page.browser(), htmlDir));
    const printIn = (plans: PrintPlan[]) =>
      Promise.all(plans.map(async ({html, print: ids, targets}, index) =>
        printParts((await tabFor(index)).page, htmlDir, {html, name: `print-${index + 1}.html`, ids, targets, geometry: book.geometry, timeoutMs, onProgress: options.onProgress}, {
          whileFontsLoad: openKept,
          beforePrint: async () => {
            if (plans.length === 1 && lineCheck.unmeasured.length <= parts.length / 4) checkedEarly = await lineCheck.run();
          },
        }),
      ));
    const plansOf = (whole: PrintPlan) => (options.whole ? [whole] : splitPlan(book, whole));
    let plans = plansOf(plan);
    let raw = await wholePrint(units, {settings, chromium}, plan.print.length > 0 ? await printIn(plans) : [], keptPdf && {print: kept!, pdf: keptPdf});
    if (!raw) {
      // The kept print could not take the new parts: print the whole book after all.
      plans = [{print: book.parts.map((part) => part.id), targets: []}];
      raw = (await wholePrint(units, {settings, chromium}, await printIn(plans)))!;
    }
    options.onPrinted?.();
    const checking = checkedEarly ? Promise.resolve(checkedEarly) : lineCheck.run(tabs.map((opened, index) => ({page: opened.page, parts: plans[index]?.print ?? []})));
    checking.catch(() => undefined);
    if (cache && raw.changed) keepPrint(cache, raw.kept);

    const measured = raw.kept.parts;
    const pagination = await paginate(raw.pdf, parts, measured.flatMap((part) => part.slots), measured.flatMap((part) => part.headings), {
      slotText: (data, pageCount) =>
        data.printSheets ? printSheets(options.pad ? Math.ceil(pageCount / 4) * 4 : pageCount, Number(data.printSheets)) : data.wordCount !== undefined ? book.wordCount : undefined,
    });
    // The HTML as printed is written in Chromium while the PDFs are finished here.
    const writingHtml = withSlotTexts(page, book.html, pagination.slots);
    writingHtml.catch(() => undefined);
    options.onProgress?.(`${pagination.pages.length} pages: heads, folios, boxes`);
    const {screen, print, cutHeads} = await finishPdfs({
      body: pagination.pdf,
      furniture: {style: await readFurnitureStyle(), fonts: book.fonts, sheets: sheetsOf(book, pagination.pages), width: raw.kept.width, height: book.geometry.textHeight, top: book.geometry.margins.top},
      slots: pagination.slots,
      pages: pagination.pages,
      destinations: pagination.destinations,
      outline: outlineOf(book),
      info: {
        title: book.config.title,
        subject: book.config.subtitle,
        authors: [...(book.config.authors ?? []), ...(book.config.editors ?? [])],
        keywords: book.parts.filter((part) => part.kind === 'case').map((part) => part.title),
        lang: book.config.lang,
        date: options.date,
      },
      trim: book.geometry.trim,
      bleed: book.geometry.bleed,
      pad: options.pad,
      cache,
    });
    const lines = await checking;
    const composed = summarizeCompositions(raw.kept.parts);
    const layout: LayoutReport = {counts: {...lines.counts, ...composed.counts}, blocks: lines.blocks, examples: lines.examples, problems: composed.examples, floated: composed.floated};
    const html = await writingHtml;
    const starts = raw.kept.parts.flatMap((part) => part.pageStarts);
    let printedPage = 0;
    const pages = pagination.pages.map((info) => ({...info, startText: info.role === 'blank' ? '' : starts[printedPage++] ?? ''}));
    const refused = tabs.flatMap((tab) => tab.refused);
    return {screen, print, printDocument: pagination.pdf, pages, layout, images: measured.flatMap((part) => part.images), html, refused, printed: plans.flatMap((done) => done.print), prints: plans.filter((done) => done.print.length > 0).length, longHeads: parts.filter((part) => part.runningHead && cutHeads.includes(part.runningHead)).map((part) => part.id)};
  } finally {
    // A tab not yet awaited closes with the browser.
    await Promise.all(tabs.map((tab) => tab.page.close()));
  }
}

/**
 * Loads the book's page (or `html`, the page with only some parts), measures what the pagination needs
 * and prints it. Everything is measured before the print, in print media and the print text width (so
 * with the lines of the print): each measurement after the print would lay the book out again.
 */
async function printParts(
  page: Page,
  htmlDir: string,
  options: {html?: string; name: string; ids: string[]; targets: string[]; geometry: PageGeometry; timeoutMs: number; onProgress?: (detail: string) => void},
  hooks: {whileFontsLoad: () => void; beforePrint: () => Promise<void>},
): Promise<Printed> {
  // Print media from the start: measured as printed, and laid out once before the print, not twice.
  await page.emulateMediaType('print');
  // A page with some parts only is written beside index.html (its links are relative), and removed once loaded.
  const file = path.join(htmlDir, options.html ? options.name : 'index.html');
  if (options.html) await writeFile(file, options.html);
  try {
    await page.goto(pathToFileURL(file).href, {waitUntil: 'load', timeout: options.timeoutMs});
  } finally {
    if (options.html) await rm(file, {force: true});
  }
  hooks.whileFontsLoad();
  const placeholders = await prepareLocators(page, [...options.ids, ...options.targets]);
  await fontsLoaded(page);
  const compositions = await composePages(page, options.ids, options.geometry);
  await hooks.beforePrint();
  const images = await imageResolutions(page);
  const slots = await measureSlots(page);
  const headings = await listHeadings(page);
  const width = (await page.evaluate(() => document.body.getBoundingClientRect().width)) * POINTS_PER_PIXEL;
  options.onProgress?.(options.html ? `printing ${options.ids.length} part${options.ids.length === 1 ? '' : 's'}` : 'printing');
  const pdf = await printPage(page, options.timeoutMs);
  const ofPart = <T extends {part: string}>(list: T[], id: string) => list.filter((item) => item.part === id);
  return {
    pdf,
    width,
    placeholders,
    parts: options.ids.map((id, index) => ({id, slots: ofPart(slots, id), headings: ofPart(headings, id), images: ofPart(images, id), composition: compositions[index]!})),
  };
}

/**
 * Waits until the web fonts the page's text needs are loaded. A font is asked for only when the layout
 * needs it, and the layout may not have run yet when the page has loaded (seen on a busy machine: the
 * pages were composed with fallback glyphs, then printed with the real ones): the layout is forced first.
 */
async function fontsLoaded(page: Page) {
  await page.evaluate(async () => {
    do {
      document.body.getBoundingClientRect();
      await document.fonts.ready;
    } while (document.fonts.status !== 'loaded');
  });
}

/** Pixels per inch of each picture at its printed size (a CSS pixel is 1/96 inch). */
async function imageResolutions(page: Page): Promise<ImageResolution[]> {
  return page.evaluate(() =>
    [...document.images].map((image) => {
      const width = image.getBoundingClientRect().width;
      return {
        src: image.getAttribute('src') ?? '',
        dpi: Math.round(image.naturalWidth / (width / 96)),
        width: Math.round((width / 96) * 25.4),
        part: image.closest('.part')?.id ?? '',
      };
    }),
  );
}

/** What each page carries: none on a part's opening page; the book's title on versos, the part's on rectos. */
function sheetsOf(book: AssembledBook, pages: PageInfo[]): Sheet[] {
  return pages.map((info) => {
    const furnished = info.role !== 'blank' && info.part.hasRunningHeads;
    const head = furnished && info.role === 'body' ? (info.side === 'verso' ? book.config.title : info.part.runningHead) : undefined;
    return {side: info.side, head, folio: furnished ? info.label : undefined};
  });
}


function outlineOf(book: AssembledBook): OutlineEntry[] {
  return book.parts
    .filter((part) => part.kind === 'front' || part.kind === 'case' || part.kind === 'toc')
    .map((part) => ({
      title: part.title,
      target: part.id,
      children: part.headings.filter((heading) => heading.depth === 2).map((heading) => ({title: heading.text, target: heading.id, children: []})),
    }));
}
