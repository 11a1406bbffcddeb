// Stage 4: the typeset HTML → the screen PDF and the print PDF, with Chromium (one browser, one tab)
// and pdf-lib. Knows the assembled book; nothing of the EPUB.
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import type {Browser, Page} from 'puppeteer-core';
import {printSheets, SHEET_FRACTIONS, type AssembledBook} from '../3-assemble/index.js';
import {renderTemplate} from '../3-assemble/templates.js';
import {openConfinedPage} from './browser.js';
import {finishPdfs, type OutlineEntry} from './finish.js';
import {checkLayout, type LayoutReport} from './layout-check.js';
import {paginate, type PageInfo, type PlannedPart} from './paginate.js';

export {BrowserUnavailableError, launchBrowser} from './browser.js';
export type {PageInfo} from './paginate.js';
export type {LayoutReport} from './layout-check.js';

export interface PdfOptions {
  /** Creation date written into the PDFs. */
  date: Date;
  /** Upper bound for one Chromium print, so that a hung renderer ends the build. */
  timeoutMs?: number;
  /** Pad the print PDF with blank pages to a multiple of 4. */
  pad?: boolean;
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
      pageCountTexts: (pageCount) => {
        const printed = options.pad ? Math.ceil(pageCount / 4) * 4 : pageCount;
        return SHEET_FRACTIONS.map((fraction) => [`[data-print-sheets="${fraction}"]`, printSheets(printed, fraction)]);
      },
    });
    const layout = await checkLayout(page);
    const furniture = await printFurniture(page, book, pagination.pages, timeoutMs);
    const {screen, print, pageStarts} = await finishPdfs({
      body: pagination.pdf,
      furniture,
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
    return {screen, print, pages, passes: pagination.passes, layout, refused};
  } finally {
    await page.close();
  }
}

async function fontsLoaded(page: Page) {
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
}

/** Running heads and folios: one sheet per page, printed over the pages by finishPdfs. */
async function printFurniture(page: Page, book: AssembledBook, pages: PageInfo[], timeoutMs: number): Promise<Uint8Array> {
  const sheets = pages.map((info) => {
    const furnished = info.role !== 'blank' && info.part.hasRunningHeads;
    return {
      side: info.side,
      // None on a part's opening page; the book's title on versos, the part's on rectos.
      head: furnished && info.role === 'body' ? (info.side === 'verso' ? book.config.title : info.part.title) : null,
      folio: furnished ? info.label : null,
    };
  });
  const html = await renderTemplate('furniture.html.ejs', {lang: book.config.lang, pages: sheets});
  await page.setContent(html, {waitUntil: 'load', timeout: timeoutMs});
  await fontsLoaded(page);
  return page.pdf({preferCSSPageSize: true, printBackground: true, tagged: false, timeout: timeoutMs});
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
