// Stage 4: the typeset HTML → the screen PDF and the print PDF, with Chromium (one browser, one tab,
// one print) and pdf-lib. Knows the assembled book; nothing of the EPUB.
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import type {Browser, Page} from 'puppeteer-core';
import {faceList} from '../3-assemble/fonts.js';
import {printSheets, type AssembledBook} from '../3-assemble/index.js';
import {openConfinedPage} from './browser.js';
import {finishPdfs, type OutlineEntry} from './finish.js';
import {readFurnitureStyle, type Sheet} from './furniture.js';
import type {Cache} from '../cache.js';
import {POINTS_PER_PIXEL} from '../pdf-content.js';
import {planLayoutCheck, type LayoutReport, type LayoutUnit} from './layout-check.js';
import {listHeadings, measureSlots, paginate, prepareLocators, type PageInfo, type PlannedPart} from './paginate.js';

export {BrowserUnavailableError, ChromiumFailedError, explainChromiumFailure, launchBrowser} from './browser.js';
export type {PageInfo} from './paginate.js';
export type {LayoutReport} from './layout-check.js';

export interface PdfOptions {
  /** Creation date written into the PDFs. */
  date: Date;
  /** Upper bound for one Chromium print, so that a hung renderer ends the build. */
  timeoutMs?: number;
  /** Pad the print PDF with blank pages to a multiple of 4. */
  pad?: boolean;
  /** Told what is being done (“printing”, “1214 pages: heads, folios, boxes”), for a progress display. */
  onProgress?: (detail: string) => void;
  /** Keeps each part's layout check between builds. */
  cache?: Cache;
  /** Told when Chromium has printed (other work may then be given to it while the PDFs are finished). */
  onPrinted?: () => void;
}

export interface PrintedPage extends PageInfo {
  /** The first characters of text printed on the page (for the EPUB's print page equivalents). */
  startText: string;
}

export interface PdfResult {
  screen: Uint8Array;
  print: Uint8Array;
  pages: PrintedPage[];
  /** The HTML as printed, page numbers written in. */
  html: string;
  /** Each image's resolution at the size it is printed. */
  images: ImageResolution[];
  /** What the layout check measured on the typeset lines. */
  layout: LayoutReport;
  /** Requests Chromium made for something other than this build's files (all refused). */
  refused: string[];
}

export async function renderPdfs(book: AssembledBook, htmlDir: string, browser: Browser, options: PdfOptions): Promise<PdfResult> {
  const {page, refused} = await openConfinedPage(browser, htmlDir);
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  try {
    // Print media from the start: measured as printed, and laid out once before the print, not twice.
    await page.emulateMediaType('print');
    await page.goto(pathToFileURL(path.join(htmlDir, 'index.html')).href, {waitUntil: 'load', timeout: timeoutMs});
    const parts: PlannedPart[] = book.parts.map((part) => ({
      id: part.id,
      kind: part.kind,
      title: part.title,
      startsOnRecto: part.startsOnRecto,
      hasRunningHeads: part.hasRunningHeads,
    }));
    await prepareLocators(page, parts);
    await fontsLoaded(page);
    // Everything the print needs is measured before it, in print media and the print text width (so
    // with the lines of the print): each measurement after the print would lay the book out again.
    // The line check only reports, and may wait: with many parts to measure (a first build) it runs
    // after the print, in Chromium while the PDFs are finished here (measured on 1,214 pages: 0.5 s
    // less than holding up the print); with few (a rebuild after an edit), now, as it costs little.
    const lineCheck = await planLayoutCheck(page, {parts: layoutUnits(book, options.cache), cache: options.cache});
    const checkedEarly = lineCheck.unmeasured <= parts.length / 4 ? await lineCheck.run() : undefined;
    const images = await imageResolutions(page);
    const slots = await measureSlots(page);
    const headings = await listHeadings(page);
    const width = (await page.evaluate(() => document.body.getBoundingClientRect().width)) * POINTS_PER_PIXEL;
    options.onProgress?.('printing');
    const pagination = await paginate(page, parts, slots, headings, {
      timeoutMs,
      slotText: (data, pageCount) => (data.printSheets ? printSheets(options.pad ? Math.ceil(pageCount / 4) * 4 : pageCount, Number(data.printSheets)) : undefined),
    });
    options.onPrinted?.();
    const checking = checkedEarly ? Promise.resolve(checkedEarly) : lineCheck.run();
    checking.catch(() => undefined);
    options.onProgress?.(`${pagination.pages.length} pages: heads, folios, boxes`);
    const {screen, print, pageStarts} = await finishPdfs({
      body: pagination.pdf,
      furniture: {style: await readFurnitureStyle(), fonts: book.fonts, sheets: sheetsOf(book, pagination.pages), width},
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
    });
    const layout = await checking;
    // The page as printed, its page numbers written in, without the locators.
    const html = await page.evaluate((texts: [string, string][]) => {
      document.getElementById('page-locators')?.remove();
      for (const [id, text] of texts) document.getElementById(id)!.textContent = text;
      return `<!DOCTYPE html>\n${document.documentElement.outerHTML}\n`;
    }, pagination.slots.map((slot) => [slot.id, slot.text] as [string, string]));
    const pages = pagination.pages.map((info, index) => ({...info, startText: pageStarts[index] ?? ''}));
    return {screen, print, pages, layout, images, html, refused};
  } finally {
    await page.close();
  }
}

async function fontsLoaded(page: Page) {
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
}

export interface ImageResolution {
  /** As in the HTML: images/<name>. */
  src: string;
  dpi: number;
  /** Printed width, millimetres. */
  width: number;
}

/** Pixels per inch of each picture at its printed size (a CSS pixel is 1/96 inch). */
async function imageResolutions(page: Page): Promise<ImageResolution[]> {
  return page.evaluate(() =>
    [...document.images].map((image) => {
      const width = image.getBoundingClientRect().width;
      return {src: image.getAttribute('src') ?? '', dpi: Math.round(image.naturalWidth / (width / 96)), width: Math.round((width / 96) * 25.4)};
    }),
  );
}

/** What each page carries: none on a part's opening page; the book's title on versos, the part's on rectos. */
function sheetsOf(book: AssembledBook, pages: PageInfo[]): Sheet[] {
  return pages.map((info) => {
    const furnished = info.role !== 'blank' && info.part.hasRunningHeads;
    const head = furnished && info.role === 'body' ? (info.side === 'verso' ? book.config.title : info.part.title) : undefined;
    return {side: info.side, head, folio: furnished ? info.label : undefined};
  });
}

/** The parts, each with what its lines depend on: its HTML, the stylesheets (but fonts.css) and the faces. */
function layoutUnits(book: AssembledBook, cache?: Cache): LayoutUnit[] {
  const styles = book.assets.filter((asset) => asset.path.startsWith('styles/') && asset.path !== 'styles/fonts.css').map((asset) => asset.data);
  return book.parts.map((part) => ({id: part.id, key: cache?.key('layout', part.html, faceList(book.fonts), ...styles)}));
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
