// Chromium cannot insert the blank page before a case that would start on a verso (`break-before:
// recto`), nor print target-counter() page numbers. Printing twice — once to find where things fall, once
// with the numbers written in — doubled Chromium's work (each print lays out the whole book), so the book
// is printed once and the rest is done on the PDF: blank pages are inserted into it, and the texts that
// depend on page numbers are computed here and written in by slots.ts.
//
// Where things fell is read from the PDF, as cheaply as Chromium allows. Each named destination costs it
// a look at every page (measured: 800 destinations added 3.2 s to the print of a 1,214-page book), so
// there is one only for each part (the table of contents links to most parts anyway); headings are found
// in Chromium's outline, which costs nothing, and a slot inside a link from the link's annotation.
import {PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFRef, PDFString, type PDFDocument, type PDFObject} from 'pdf-lib';
import type {Page} from 'puppeteer-core';
import {POINTS_PER_PIXEL} from '../pdf-content.js';
import {pointOf, printFrame, type PageFrame} from './slots.js';

export interface PlannedPart {
  id: string;
  kind: string;
  title: string;
  /** Over its rectos. */
  runningHead?: string;
  startsOnRecto: boolean;
  hasRunningHeads: boolean;
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
  /** The top of the element, in the page's PDF coordinates. */
  y: number;
}

/**
 * An empty inline box the templates leave for a text known only once the pages are counted: the page
 * of `data-page-of="id"`, or (through `slotText`) anything the caller derives from the page count, or
 * knows but keeps out of a part's HTML (the 版权页's 字数, which every case changes).
 * Its height is 0, so the top of its box lies on the baseline.
 */
export interface SlotRequest {
  id: string;
  /** The id of the part it is in. */
  part: string;
  /** The slot's data-* attributes. */
  data: Record<string, string>;
  /** CSS pixels. */
  width: number;
  fontSize: number;
  align: 'start' | 'end';
  /** The computed font-family list, without quotes. */
  families: string[];
  weight: number;
  /** The in-page link the slot is in (a table-of-contents entry), and where in its box the slot is. */
  link?: {target: string; dx: number; dy: number; width: number; height: number};
}

export interface Slot extends SlotRequest {
  text: string;
  /** 1-based page number. */
  page: number;
  /** The left end of the slot's baseline, in the page's PDF coordinates. */
  at: {x: number; y: number};
}

export interface Pagination {
  /** The print, opened, blank pages inserted. */
  pdf: PDFDocument;
  pages: PageInfo[];
  /** Every part's and every heading's. */
  destinations: Map<string, Destination>;
  slots: Slot[];
}

export interface PaginateOptions {
  /** A slot's text, for slots other than data-page-of: from the page count (印张), or from the book (字数). */
  slotText?: (data: Record<string, string>, pageCount: number) => string | undefined;
}

const SLOTS = '[data-page-of], [data-print-sheets], [data-word-count]';

/**
 * Gives every slot an id, and adds hidden links to `targets` (those in the page: the parts, and when only
 * some parts are printed, whatever the others link to) and to the slots that are in no link. When only
 * some parts are printed, their links to the others point at empty placeholders: Chromium writes no link
 * to an element that is not in the page (the splice keeps the others' own destinations).
 */
export async function prepareLocators(page: Page, targets: string[]): Promise<string[]> {
  // Chromium writes a named destination only for elements that some link points to; hidden links are
  // enough, and print nothing. Gives the ids it made placeholders for.
  return page.evaluate(
    (ids: string[], slotSelector: string) => {
      const holder = document.createElement('div');
      holder.hidden = true;
      holder.id = 'page-locators';
      // Numbered within their part, so that a part printed alone names its slots as in the whole book.
      const slots = [...document.querySelectorAll<HTMLElement>(slotSelector)];
      const counts = new Map<string, number>();
      for (const slot of slots) {
        const part = slot.closest('.part')?.id ?? '';
        counts.set(part, (counts.get(part) ?? 0) + 1);
        slot.id ||= `${part}-slot-${counts.get(part)}`;
      }
      const unlinked = slots.filter((slot) => !slot.closest('a[href^="#"]')).map((slot) => slot.id);
      for (const id of [...ids.filter((id) => document.getElementById(id)), ...unlinked]) {
        const link = document.createElement('a');
        link.href = `#${id}`;
        holder.append(link);
      }
      // Out of the flow, so that they add no page.
      const placeholders = document.createElement('div');
      placeholders.id = 'page-placeholders';
      placeholders.style.position = 'absolute';
      const linked = new Set([...document.querySelectorAll<HTMLAnchorElement>('a[href^="#"]')].map((link) => decodeURIComponent(link.hash.slice(1))));
      const missing = [...linked].filter((id) => !document.getElementById(id));
      for (const id of missing) {
        const placeholder = document.createElement('span');
        placeholder.id = id;
        placeholders.append(placeholder);
      }
      document.body.append(holder, placeholders);
      return missing;
    },
    targets,
    SLOTS,
  );
}

/** What each slot needs to be placed and written like the text around it. Needs the layout, as printed. */
export async function measureSlots(page: Page): Promise<SlotRequest[]> {
  return page.evaluate(
    (slotSelector: string) =>
      [...document.querySelectorAll<HTMLElement>(slotSelector)].map((slot) => {
        const style = getComputedStyle(slot);
        const box = slot.getBoundingClientRect();
        const link = slot.closest<HTMLAnchorElement>('a[href^="#"]');
        const linkBox = link?.getBoundingClientRect();
        return {
          id: slot.id,
          part: slot.closest('.part')?.id ?? '',
          data: {...slot.dataset} as Record<string, string>,
          width: box.width,
          fontSize: parseFloat(style.fontSize),
          align: (['end', 'right'].includes(style.textAlign) ? 'end' : 'start') as 'start' | 'end',
          families: style.fontFamily.split(',').map((family) => family.trim().replace(/^["']|["']$/g, '')),
          weight: Number(style.fontWeight),
          link: link && linkBox
            ? {target: decodeURIComponent(link.hash.slice(1)), dx: box.left - linkBox.left, dy: box.top - linkBox.top, width: linkBox.width, height: linkBox.height}
            : undefined,
        };
      }),
    SLOTS,
  );
}

export interface PageHeading {
  /** Its id, if any. */
  id: string;
  text: string;
  /** The id of the part it is in. */
  part: string;
}

/** The book's headings in document order, as Chromium's outline lists them. */
export async function listHeadings(page: Page): Promise<PageHeading[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('h1, h2, h3, h4, h5, h6')]
      .filter((heading) => heading.getClientRects().length > 0)
      .map((heading) => ({id: heading.id, text: heading.textContent ?? '', part: heading.closest('.part')?.id ?? ''})),
  );
}

/** Prints the page as it is laid out, tagged and with Chromium's outline of the headings. */
export async function printPage(page: Page, timeoutMs: number): Promise<Uint8Array> {
  return page.pdf({preferCSSPageSize: true, printBackground: true, tagged: true, outline: true, timeout: timeoutMs});
}

/** How many pages each part takes in a print as Chromium made it (each part starts a page). */
export function pagesOfParts(pdf: PDFDocument, ids: string[]): number[] {
  const pageIndex = new Map(pdf.getPages().map((page, index) => [page.ref, index]));
  const starts = new Map(readDestinations(pdf).map(([id, {ref}]) => [id, pageIndex.get(ref)!]));
  return ids.map((id, index) => {
    const start = starts.get(id);
    const next = index + 1 < ids.length ? starts.get(ids[index + 1]!) : pdf.getPageCount();
    if (start === undefined || next === undefined || next <= start) throw new Error(`the printed PDF has no pages for part #${id}`);
    return next - start;
  });
}

/** Chromium's print of the book (opened), its blank pages inserted, and what was printed where. */
export async function paginate(pdf: PDFDocument, parts: PlannedPart[], slots: SlotRequest[], headings: PageHeading[], options: PaginateOptions): Promise<Pagination> {
  // Destinations are read before pages are inserted, and follow their pages, which they name by reference.
  const located = [...readDestinations(pdf), ...readOutline(pdf, headings)];
  const links = readLinks(pdf);

  const pageAt = (ref: PDFRef) => pdf.getPages().findIndex((candidate) => candidate.ref === ref) + 1;
  const partRefs = parts.map((part) => {
    const found = located.find(([id]) => id === part.id);
    if (!found) throw new Error(`the printed PDF has no page for part #${part.id}`);
    return found[1].ref;
  });

  // A part that would start on a verso gets a blank page before it; each moves every later page by one.
  const blanksBefore = new Set<string>();
  const [width, height] = [pdf.getPage(0).getWidth(), pdf.getPage(0).getHeight()];
  for (const [index, part] of parts.entries()) {
    const start = pageAt(partRefs[index]!);
    if (part.startsOnRecto && start % 2 === 0) {
      blanksBefore.add(part.id);
      pdf.insertPage(start - 1, [width, height]);
    }
  }
  const pageNumbers = new Map(pdf.getPages().map((candidate, index) => [candidate.ref, index + 1]));
  const destinations = new Map(located.map(([id, {ref, y}]) => [id, {page: pageNumbers.get(ref)!, y}]));
  const pages = describePages(parts, partRefs.map((ref) => pageNumbers.get(ref)!), pdf.getPageCount(), blanksBefore);

  const written: Slot[] = slots.map((slot) => {
    const place = placeOf(slot, located, links);
    const target = slot.data.pageOf;
    const destination = target ? destinations.get(target) : undefined;
    if (target && !destination) throw new Error(`the printed PDF has no page for #${target}, whose page number the table of contents prints`);
    const text = destination ? pages[destination.page - 1]!.label : options.slotText?.(slot.data, pages.length);
    return {...slot, text: text ?? '', page: pageNumbers.get(place.ref)!, at: place.at};
  });
  return {pdf, pages, destinations, slots: written};
}

/**
 * The book's page (`html`, without the locators) with the slots' texts written in. Parsed apart from the
 * page loaded, which may hold only some parts; each part's slots are in the order they were measured.
 */
export async function withSlotTexts(page: Page, html: string, slots: Slot[]): Promise<string> {
  const texts = new Map<string, string[]>();
  for (const slot of slots) texts.set(slot.part, [...(texts.get(slot.part) ?? []), slot.text]);
  return page.evaluate(
    (source: string, slotSelector: string, partTexts: [string, string[]][]) => {
      const parsed = new DOMParser().parseFromString(source, 'text/html');
      for (const [id, list] of partTexts) {
        parsed.getElementById(id)?.querySelectorAll(slotSelector).forEach((slot, index) => {
          slot.textContent = list[index] ?? '';
        });
      }
      return `<!DOCTYPE html>\n${parsed.documentElement.outerHTML}\n`;
    },
    html,
    SLOTS,
    [...texts],
  );
}

interface Located {
  ref: PDFRef;
  x: number;
  y: number;
}

/** Where a slot was printed: from its link's annotation (the one of the link's size), or its own destination. */
function placeOf(slot: SlotRequest, located: [string, Located][], links: Map<string, LinkAnnotation[]>): {ref: PDFRef; at: {x: number; y: number}} {
  if (slot.link) {
    const {target, dx, dy, width, height} = slot.link;
    const size = (link: LinkAnnotation) => Math.abs(link.width - width * POINTS_PER_PIXEL) + Math.abs(link.height - height * POINTS_PER_PIXEL);
    const link = (links.get(target) ?? []).reduce<LinkAnnotation | undefined>((best, candidate) => (!best || size(candidate) < size(best) ? candidate : best), undefined);
    if (!link) throw new Error(`the printed PDF has no link to #${target} for the page-number slot #${slot.id}`);
    return {ref: link.ref, at: {x: link.left + dx * POINTS_PER_PIXEL, y: link.top - dy * POINTS_PER_PIXEL}};
  }
  const found = located.find(([id]) => id === slot.id);
  if (!found) throw new Error(`the printed PDF has no place for the page-number slot #${slot.id}`);
  return {ref: found[1].ref, at: {x: found[1].x, y: found[1].y}};
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

/**
 * The named destinations (catalog /Dests) of a Chromium PDF, in the page's PDF coordinates: Chromium
 * places them as if the page had no margins.
 */
function readDestinations(document: PDFDocument): [string, Located][] {
  const dests = document.catalog.lookupMaybe(PDFName.of('Dests'), PDFDict);
  const pages = new Map(document.getPages().map((page) => [page.ref, page]));
  const result: [string, Located][] = [];
  // Only the margins are used, the same on every page.
  let frame: PageFrame | undefined;
  for (const [name, value] of dests?.entries() ?? []) {
    const array = document.context.lookup(value as PDFObject, PDFArray);
    const ref = array.get(0);
    if (!(ref instanceof PDFRef) || !pages.has(ref)) continue;
    frame ??= printFrame(document.getPages());
    const point = pointOf(frame, {x: array.lookupMaybe(2, PDFNumber)?.asNumber() ?? 0, y: array.lookupMaybe(3, PDFNumber)?.asNumber() ?? 0});
    result.push([destinationId(name), {ref, ...point}]);
  }
  return result;
}

/**
 * The headings' places, from the outline Chromium makes of every heading in document order, which is
 * then removed (the finishing makes the book's own). Entries are matched to headings by order, and
 * checked by text.
 */
function readOutline(document: PDFDocument, headings: PageHeading[]): [string, Located][] {
  const context = document.context;
  const outlines = document.catalog.lookupMaybe(PDFName.of('Outlines'), PDFDict);
  const entries: (Located & {title: string})[] = [];
  const visit = (first: PDFObject | undefined) => {
    for (let ref = first; ref instanceof PDFRef; ) {
      const item = context.lookup(ref, PDFDict);
      const title = item.lookup(PDFName.of('Title'));
      const dest = item.lookupMaybe(PDFName.of('Dest'), PDFArray);
      const page = dest?.get(0);
      if (page instanceof PDFRef && (title instanceof PDFString || title instanceof PDFHexString)) {
        const coordinate = (index: number) => dest!.lookupMaybe(index, PDFNumber)?.asNumber() ?? 0;
        entries.push({title: title.decodeText(), ref: page, x: coordinate(2), y: coordinate(3)});
      }
      visit(item.get(PDFName.of('First')));
      const next = item.get(PDFName.of('Next'));
      context.delete(ref);
      ref = next;
    }
  };
  visit(outlines?.get(PDFName.of('First')));
  const outlinesRef = document.catalog.get(PDFName.of('Outlines'));
  if (outlinesRef instanceof PDFRef) context.delete(outlinesRef);
  document.catalog.delete(PDFName.of('Outlines'));

  // Chromium's titles may repeat a heading's text, or pieces of it (a title broken into clauses comes out
  // as “追“新”　追“新”　从要素从要素驱动驱动…”), and leave out spaces: the heading's text must be found
  // in the title in order, in no more than twice its length.
  const squeeze = (text: string) => text.replace(/\s+/g, '');
  const result: [string, Located][] = [];
  let next = 0;
  for (const heading of headings) {
    const text = squeeze(heading.text);
    if (!text) continue;
    const at = entries.findIndex((entry, index) => index >= next && titles(squeeze(entry.title), text));
    if (at < 0) continue;
    next = at + 1;
    if (heading.id) result.push([heading.id, entries[at]!]);
  }
  return result;
}

/** Whether an outline title written by Chromium is the title of a heading with this text. */
function titles(title: string, text: string): boolean {
  if (title.includes(text)) return true;
  if (title.length > 2 * text.length) return false;
  let found = 0;
  for (const character of title) if (character === text[found]) found++;
  return found === text.length;
}

interface LinkAnnotation {
  ref: PDFRef;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The in-document link annotations, by the destination they name. */
function readLinks(document: PDFDocument): Map<string, LinkAnnotation[]> {
  const links = new Map<string, LinkAnnotation[]>();
  for (const page of document.getPages()) {
    for (const annotation of page.node.Annots()?.asArray() ?? []) {
      const dict = document.context.lookup(annotation);
      if (!(dict instanceof PDFDict)) continue;
      const dest = dict.get(PDFName.of('Dest'));
      const rect = dict.lookupMaybe(PDFName.of('Rect'), PDFArray)?.asArray().map((value) => (value as PDFNumber).asNumber());
      if (!(dest instanceof PDFName) || !rect) continue;
      const name = decodeName(dest.asString());
      const list = links.get(name) ?? links.set(name, []).get(name)!;
      list.push({ref: page.ref, left: Math.min(rect[0]!, rect[2]!), top: Math.max(rect[1]!, rect[3]!), width: Math.abs(rect[2]! - rect[0]!), height: Math.abs(rect[3]! - rect[1]!)});
    }
  }
  return links;
}

/** PDF names escape bytes as #xx: `/case#2D01` → `case-01`. */
function decodeName(name: string): string {
  return decodeURIComponent(name.slice(1).replace(/#([0-9a-f]{2})/gi, '%$1'));
}

/** The element id a named destination of Chromium's is for. */
export function destinationId(name: PDFName): string {
  return decodeName(name.asString());
}
