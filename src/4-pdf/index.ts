// Stage 4: the typeset HTML → the screen PDF and the print PDF, with Chromium (one browser, one tab)
// and pdf-lib. Knows the assembled book; nothing of the EPUB.
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import type {Browser, Page} from 'puppeteer-core';
import {printSheets, SHEET_FRACTIONS, type AssembledBook} from '../3-assemble/index.js';
import {openConfinedPage} from './browser.js';
import {finishPdfs, type OutlineEntry} from './finish.js';
import {readFurnitureStyle, type Sheet, type TextBlock} from './furniture.js';
import {checkLayout, type LayoutReport} from './layout-check.js';
import {paginate, type PageInfo, type PagePlan, type PlannedPart} from './paginate.js';

export {BrowserUnavailableError, ChromiumFailedError, explainChromiumFailure, launchBrowser} from './browser.js';
export type {PageInfo, PagePlan} from './paginate.js';
export type {LayoutReport} from './layout-check.js';

export interface PdfOptions {
  /** Creation date written into the PDFs. */
  date: Date;
  /** Upper bound for one Chromium print, so that a hung renderer ends the build. */
  timeoutMs?: number;
  /** Pad the print PDF with blank pages to a multiple of 4. */
  pad?: boolean;
  /** The page plan of the previous build of this book (see paginate). */
  previousPlan?: PagePlan;
  /** Told what is being done (“print 2: 308 pages”), for a progress display. */
  onProgress?: (detail: string) => void;
}

export interface PrintedPage extends PageInfo {
  /** The first characters of text printed on the page (for the EPUB's print page equivalents). */
  startText: string;
}

export interface PdfResult {
  screen: Uint8Array;
  print: Uint8Array;
  pages: PrintedPage[];
  /** How many times the book was printed before its page numbers settled. */
  passes: number;
  plan: PagePlan;
  /** The HTML as printed: blank pages inserted, page numbers written in. */
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
    await page.goto(pathToFileURL(path.join(htmlDir, 'index.html')).href, {waitUntil: 'load', timeout: timeoutMs});
    await fontsLoaded(page);
    const parts: PlannedPart[] = book.parts.map((part) => ({
      id: part.id,
      kind: part.kind,
      title: part.title,
      startsOnRecto: part.startsOnRecto,
      hasRunningHeads: part.hasRunningHeads,
      anchors: part.headings.map((heading) => heading.id),
    }));
    const pagination = await paginate(page, parts, {
      timeoutMs,
      previousPlan: options.previousPlan,
      onProgress: options.onProgress,
      pageCountTexts: (pageCount) => {
        const printed = options.pad ? Math.ceil(pageCount / 4) * 4 : pageCount;
        return SHEET_FRACTIONS.map((fraction) => [`[data-print-sheets="${fraction}"]`, printSheets(printed, fraction)]);
      },
    });
    options.onProgress?.(`${pagination.pages.length} pages: checking lines`);
    const layout = await checkLayout(page);
    const images = await imageResolutions(page);
    // The page as printed (blank pages in, table-of-contents numbers filled in), without the locators.
    const html = await page.evaluate(() => {
      document.getElementById('page-locators')?.remove();
      return `<!DOCTYPE html>\n${document.documentElement.outerHTML}\n`;
    });
    options.onProgress?.(`${pagination.pages.length} pages: heads, folios, boxes`);
    const printCss = String(book.assets.find((asset) => asset.path === 'styles/print.css')?.data ?? '');
    const {screen, print, pageStarts} = await finishPdfs({
      body: pagination.pdf,
      furniture: {style: await readFurnitureStyle(), fonts: book.fonts, sheets: sheetsOf(book, pagination.pages), block: await textBlock(page, printCss)},
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
    const pages = pagination.pages.map((info, index) => ({...info, startText: pageStarts[index] ?? ''}));
    return {screen, print, pages, passes: pagination.passes, plan: pagination.plan, layout, images, html, refused};
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

/**
 * The text block as print.css sets it: its left edge on a recto (the @page :right left margin, which
 * Chromium computes for us) and its width (the body's). Versos mirror rectos, as inner and outer margins
 * do. Stylesheets loaded from files cannot be read by the page, so print.css is read from a copy inlined
 * for the moment.
 */
async function textBlock(page: Page, printCss: string): Promise<TextBlock> {
  const copy = await page.addStyleTag({content: printCss});
  const inPixels = await copy.evaluate((element) => {
    // (No named helpers in here: the page does not have the compiler's helper that names them.)
    let margin = '0';
    for (const selector of ['', ':right']) {
      for (const rule of (element as HTMLStyleElement).sheet!.cssRules) {
        if (rule instanceof CSSPageRule && rule.selectorText === selector && rule.style.marginLeft) margin = rule.style.marginLeft;
      }
    }
    const probe = document.createElement('div');
    probe.style.width = margin;
    document.body.append(probe);
    const left = probe.getBoundingClientRect().width;
    probe.remove();
    element.remove();
    return {left, width: document.body.getBoundingClientRect().width};
  });
  return {rectoLeft: inPixels.left * 0.75, width: inPixels.width * 0.75};
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
