// A rebuild prints only the parts whose print may have changed, and splices their pages into the
// previous build's print (kept in the cache as Chromium made it: no blank pages, page numbers or boxes
// yet), with their share of the structure tree, named destinations and outline, so that what follows
// reads it as one print of the whole book. A part's print does not depend on the others: each part starts
// a page, every page is set as a recto (styles/print.css), and page numbers are written in afterwards.
import {PDFArray, PDFDict, PDFName, PDFNull, PDFNumber, PDFObjectCopier, PDFPage, PDFPageLeaf, PDFRawStream, PDFRef, type PDFContext, type PDFDocument, type PDFObject} from 'pdf-lib';
import {faceList} from '../3-assemble/fonts.js';
import type {AssembledBook} from '../3-assemble/index.js';
import type {Cache} from '../cache.js';
import {decodePercent} from '../files.js';
import {contentStreams, makeBlackPure, openPdf, pageStartText, removeUnreachable, type TextFonts} from '../pdf-content.js';
import {nameType0Font, subsetTag} from './furniture.js';
import type {Composition} from './compose.js';
import type {LayoutUnit} from './layout-check.js';
import {destinationId, pagesOfParts, type PageHeading, type SlotRequest} from './paginate.js';
import {readObjects, writeObjects} from './pdf-objects.js';

export interface ImageResolution {
  /** As in the HTML: images/<name>. */
  src: string;
  dpi: number;
  /** Printed width, millimetres. */
  width: number;
  /** The id of the part it is in. */
  part: string;
}

/** What was measured in the page for one part, kept so that its print can be used again without it. */
export interface PrintedPart {
  id: string;
  /** What its print depends on (its HTML and the book's printSettings), hashed. */
  key: string;
  /** Which print it comes from: 0 for the last print of the whole book, then 1, 2, … for the spliced ones. */
  print: number;
  pages: number;
  /** The first characters of text on each of its pages (for the EPUB's print page equivalents). */
  pageStarts: string[];
  slots: SlotRequest[];
  headings: PageHeading[];
  images: ImageResolution[];
  /** What composing its pages did and found (kept: a part taken from the last print is not composed again). */
  composition: Composition;
}

export interface KeptPrint {
  /** The hash of the book's printSettings it was printed with. */
  settings: string;
  /** The Chromium it was printed with (`Browser.version()`). */
  chromium: string;
  parts: PrintedPart[];
  /** The text block's width, points. */
  width: number;
  /** The print, its black made pure, as writeObjects writes it. */
  data: Uint8Array;
}

/**
 * What every part's print depends on besides its own HTML: the faces, the stylesheets but fonts.css
 * (whose file names change with the subsets) and the book's page around the parts (without the white
 * space between them, which grows with their number; the whole page if the parts cannot be told apart).
 */
export function printSettings(book: AssembledBook): (string | Uint8Array)[] {
  const styles = book.assets.filter((asset) => asset.path.startsWith('styles/') && asset.path !== 'styles/fonts.css').map((asset) => asset.data);
  return [faceList(book.fonts), ...styles, pageWith(book.html, book.parts, new Set())?.replace(/\s+/g, ' ') ?? book.html];
}

/**
 * The last print, if it was made with these `settings`. There is one, in one cache entry (a designer
 * changing the stylesheets would otherwise leave a print of the book behind for each change).
 */
export async function readKeptPrint(cache: Cache, settings: string): Promise<KeptPrint | undefined> {
  const data = await cache.get('print', cache.key('kept print'));
  if (!data || data.length < 4) return undefined;
  const length = data.readUInt32BE(0);
  try {
    const header = JSON.parse(data.toString('utf8', 4, 4 + length)) as Omit<KeptPrint, 'data'>;
    return header.settings === settings ? {...header, data: data.subarray(4 + length)} : undefined;
  } catch {
    return undefined;
  }
}

/** The kept print, opened; undefined if it cannot be read or is not sound (isSoundPrint). */
export function openKeptPrint(kept: KeptPrint): PDFDocument | undefined {
  try {
    const pdf = readObjects(kept.data);
    return isSoundPrint(pdf, kept.parts) ? pdf : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a print (the kept one, or one just spliced) is whole and shaped as the splice and the
 * pagination read it: its pages are its parts' pages, every content stream can be decoded, its structure
 * tree has one element per part, and each part's named destination is on the part's first page. A
 * print that is not cannot be used again: the whole book is printed instead.
 */
export function isSoundPrint(pdf: PDFDocument, parts: {id: string; pages: number}[]): boolean {
  try {
    const pages = pdf.getPages();
    if (pages.length !== parts.reduce((sum, part) => sum + part.pages, 0)) return false;
    if (structureOf(pdf)?.kids.length !== parts.length) return false;
    for (const page of pages) {
      if (!page.node.Resources() || !page.node.get(PDFName.of('Contents'))) return false;
      contentStreams(page);
    }
    const dests = pdf.catalog.lookupMaybe(PDFName.of('Dests'), PDFDict);
    const starts = new Map<string, PDFObject | undefined>();
    for (const [name, value] of dests?.entries() ?? []) starts.set(destinationId(name), pdf.context.lookup(value, PDFArray).get(0));
    let first = 0;
    for (const part of parts) {
      if (starts.get(part.id) !== pages[first]!.ref) return false;
      first += part.pages;
    }
    return true;
  } catch {
    return false;
  }
}

export function keepPrint(cache: Cache, {data, ...header}: KeptPrint): void {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  cache.set('print', cache.key('kept print'), Buffer.concat([length, json, data]));
}

export interface PrintPlan {
  /** The parts to print, in book order. */
  print: string[];
  /** The page with only those parts, when the others are taken from the kept print. */
  html?: string;
  /** Then, what the kept parts link to: the printed parts' elements that must get a destination. */
  targets: string[];
}

/**
 * Prints a kept print may be made of. Each print spliced in brings its own font subsets (some 300 KB for
 * one case): past this, the whole book is printed again.
 */
const MAX_PRINTS = 3;

/**
 * What to print: the parts whose print is not kept (or whose lines the cache has not measured, as the
 * line check measures them in the page). Only them when they are at most half the book and the kept
 * print is not made of too many prints already, else everything.
 */
export function planPrint(book: AssembledBook, units: LayoutUnit[], unmeasured: string[], kept?: KeptPrint): PrintPlan {
  const all = book.parts.map((part) => part.id);
  if (!kept) return {print: all, targets: []};
  const keys = new Map(kept.parts.map((part) => [part.id, part.key]));
  const print = units.filter((unit) => !unit.key || keys.get(unit.id) !== unit.key || unmeasured.includes(unit.id)).map((unit) => unit.id);
  if (print.length === 0 && kept.parts.map((part) => part.id).join('\n') === all.join('\n')) return {print, targets: []};
  const prints = new Set(kept.parts.filter((part) => all.includes(part.id) && !print.includes(part.id)).map((part) => part.print));
  const html = print.length > 0 && print.length <= all.length / 2 && prints.size < MAX_PRINTS ? pageWith(book.html, book.parts, new Set(print)) : undefined;
  return html ? {print, html, targets: linkTargets(book.html)} : {print: all, targets: []};
}

/** Chromium's print of some parts, and what was measured in the page for each. */
export interface Printed {
  pdf: Uint8Array;
  /** Measured in the page, for each part printed. */
  parts: Omit<PrintedPart, 'key' | 'pages' | 'pageStarts' | 'print'>[];
  width: number;
  /** The link targets not in the page, given empty placeholders so that links to them are written. */
  placeholders: string[];
}

/**
 * Books from this size (characters) are printed as two prints made at once in two tabs, which share
 * the machine's two cores: Chromium lays out and prints a page in one thread. Measured: 1,214 pages in
 * 3.1–3.2 s against 6.0–6.2 s, 308 pages in 1.2–1.4 s against 1.65–2.05 s. Each print brings its own
 * font subsets (the PDF grows by 2–11%), so the build sent to print is printed in one.
 */
const TWO_PRINTS_FROM = 100_000;

/** The plan of a print of the whole book, as two plans (its first parts, the rest) for a large book. */
export function splitPlan(book: AssembledBook, plan: PrintPlan): PrintPlan[] {
  if (plan.html || plan.print.length < book.parts.length || book.text.length < TWO_PRINTS_FROM) return [plan];
  // The first print: the parts that begin in the first half of the book's HTML.
  const total = book.parts.reduce((sum, part) => sum + part.html.length, 0);
  const first = new Set<string>();
  let before = 0;
  for (const part of book.parts) {
    if (before < total / 2) first.add(part.id);
    before += part.html.length;
  }
  const second = new Set(book.parts.map((part) => part.id).filter((id) => !first.has(id)));
  const pages = [first, second].map((ids) => pageWith(book.html, book.parts, ids));
  if (second.size === 0 || !pages[0] || !pages[1]) return [plan];
  const targets = linkTargets(book.html);
  return [first, second].map((ids, index) => ({print: [...ids], html: pages[index], targets}));
}

/**
 * The print of the whole book, opened, as Chromium made it but with its black made pure (makeBlackPure,
 * for the press; the same black on screen): the kept one (as openKeptPrint gives it) with the fresh
 * prints' parts spliced in, or without a kept print the fresh prints, the first with the others' parts
 * spliced in. Undefined if the kept print could not be opened or cannot take them (a cache entry that is
 * broken, or parts that moved): the whole book is then printed. `changed`: it is not the kept one.
 */
export async function wholePrint(
  units: LayoutUnit[],
  printedWith: Pick<KeptPrint, 'settings' | 'chromium'>,
  fresh: Printed[],
  kept?: {print: KeptPrint; pdf: PDFDocument},
): Promise<{pdf: PDFDocument; kept: KeptPrint; changed: boolean} | undefined> {
  if (fresh.length === 0) return kept && {pdf: kept.pdf, kept: kept.print, changed: false};
  const keys = new Map(units.map((unit) => [unit.id, unit.key ?? '']));
  // The parts of a whole book's prints are print 0 of what is kept; those spliced in later, 1, 2, ….
  const print = kept ? Math.max(...kept.print.parts.map((part) => part.print)) + 1 : 0;
  const order = units.map((unit) => unit.id);
  let whole: OpenedPrint;
  try {
    const pieces: OpenedPrint[] = [];
    for (const printed of fresh) pieces.push(await openPrinted(printed, keys, print));
    let joined: OpenedPrint = kept ? {pdf: kept.pdf, parts: kept.print.parts} : pieces.shift()!;
    for (const piece of pieces) {
      const spliced = splicePrints(joined, piece, order);
      if (!spliced) return undefined;
      const parts = new Map([...joined.parts, ...piece.parts].map((part) => [part.id, part]));
      joined = {pdf: spliced, parts: order.map((id) => parts.get(id)!)};
    }
    whole = joined;
  } catch (error) {
    // A fresh print that cannot be read is the tool's error when there is nothing else to print from;
    // with a kept print, it is only a reason to print the whole book.
    if (!kept && fresh.length === 1) throw error;
    return undefined;
  }
  if (whole.parts.map((part) => part.id).join('\n') !== order.join('\n')) return undefined;
  // A splice's result is checked as the kept print is: one that is not sound is not used.
  if ((kept || fresh.length > 1) && !isSoundPrint(whole.pdf, whole.parts)) return undefined;
  return {pdf: whole.pdf, kept: {...printedWith, parts: whole.parts, width: fresh[0]!.width, data: writeObjects(whole.pdf)}, changed: true};
}

/** A fresh print opened, its black made pure, and what is kept of each of its parts. */
async function openPrinted(printed: Printed, keys: Map<string, string>, print: number): Promise<OpenedPrint> {
  const pdf = await openPdf(printed.pdf);
  makeBlackPure(pdf);
  const counts = pagesOfParts(pdf, printed.parts.map((part) => part.id));
  const starts = pageStarts(pdf);
  let first = 0;
  const parts = printed.parts.map((part, index) => {
    const pages = counts[index]!;
    first += pages;
    return {...part, key: keys.get(part.id)!, pages, pageStarts: starts.slice(first - pages, first), print};
  });
  return {pdf, parts, placeholders: printed.placeholders};
}

/** Characters of each page's first text kept for the EPUB's page-break markers. */
const PAGE_START_LENGTH = 24;

function pageStarts(pdf: PDFDocument): string[] {
  const fonts: TextFonts = {cache: new Map()};
  return pdf.getPages().map((page) => pageStartText(pdf.context, contentStreams(page), page.node.Resources(), fonts, PAGE_START_LENGTH));
}

/** The ids the book's links point to. */
function linkTargets(html: string): string[] {
  return [...new Set([...html.matchAll(/href="#([^"]+)"/g)].map((match) => decodePercent(match[1]!) ?? match[1]!))];
}

/**
 * The book's page without the parts not in `keep`, or undefined when a part's HTML is not in the page
 * as it is (a page template that changes what it is given): then the whole book is printed.
 */
function pageWith(html: string, parts: {id: string; html: string}[], keep: Set<string>): string | undefined {
  const pieces: string[] = [];
  let from = 0;
  for (const part of parts) {
    const at = html.indexOf(part.html, from);
    if (at < 0) return undefined;
    pieces.push(html.slice(from, at));
    if (keep.has(part.id)) pieces.push(part.html);
    from = at + part.html.length;
  }
  return pieces.join('') + html.slice(from);
}

interface StructureTree {
  root: PDFDict;
  documentRef: PDFRef;
  document: PDFDict;
  /** The /Document element's children: one per part. */
  kids: PDFObject[];
  /** The parent tree's /Nums, as a map. */
  parents: Map<number, PDFObject>;
}

/** Chromium's structure tree: one /Document element, one element per part, a flat parent tree. */
function structureOf(pdf: PDFDocument): StructureTree | undefined {
  const root = pdf.catalog.lookupMaybe(PDFName.of('StructTreeRoot'), PDFDict);
  const documentRef = root?.get(PDFName.of('K'));
  const document = documentRef instanceof PDFRef ? pdf.context.lookupMaybe(documentRef, PDFDict) : undefined;
  const parentTree = root?.lookupMaybe(PDFName.of('ParentTree'), PDFDict);
  const nums = parentTree?.lookupMaybe(PDFName.of('Nums'), PDFArray);
  if (!root || !document || !nums || parentTree!.has(PDFName.of('Kids')) || !(documentRef instanceof PDFRef)) return undefined;
  const kids = document.get(PDFName.of('K'));
  const parents = new Map<number, PDFObject>();
  for (let index = 0; index + 1 < nums.size(); index += 2) parents.set(nums.lookup(index, PDFNumber).asNumber(), nums.get(index + 1));
  const list = kids instanceof PDFArray ? kids.asArray() : kids instanceof PDFRef ? [kids] : [];
  return {root, documentRef, document, kids: list, parents};
}

interface PrintPieces {
  pdf: PDFDocument;
  /** Its parts in print order, and how many pages each takes. */
  parts: {id: string; pages: number}[];
  /** A fresh print's named destinations that are placeholders (Printed.placeholders). */
  placeholders?: string[];
}

/** A print opened, with what is kept of each of its parts. */
interface OpenedPrint extends PrintPieces {
  parts: PrintedPart[];
}

/**
 * The previous print with `fresh`'s parts put in, in the book's `order` (each part is in one of the two;
 * previous parts not in `order` are left out). Changes `previous` in place and returns it, or returns
 * undefined if either print is not shaped as expected (the whole book is then printed).
 */
export function splicePrints(previous: PrintPieces, fresh: PrintPieces, order: string[]): PDFDocument | undefined {
  const base = previous.pdf;
  const baseTree = structureOf(base);
  const freshTree = structureOf(fresh.pdf);
  if (!baseTree || !freshTree || baseTree.kids.length !== previous.parts.length || freshTree.kids.length !== fresh.parts.length) return undefined;
  const baseParts = partsOf(previous, baseTree);
  const freshParts = partsOf(fresh, freshTree);
  if (!baseParts || !freshParts) return undefined;
  const kept = order.filter((id) => !freshParts.has(id));
  if (kept.some((id) => !baseParts.has(id))) return undefined;
  // Pages are not moved: the parts kept must be in the order they were printed in.
  const previousOrder = previous.parts.map((part) => part.id).filter((id) => kept.includes(id));
  if (previousOrder.join('\n') !== kept.join('\n')) return undefined;

  // Out of the previous print: the pages of the parts not kept, their parent-tree entries, destinations.
  const removed = new Set<PDFRef>();
  [...baseParts].filter(([id]) => !kept.includes(id)).forEach(([, part]) => part.pages.forEach((page) => removed.add(page.ref)));
  const pages = base.getPages();
  for (let index = pages.length - 1; index >= 0; index--) {
    const page = pages[index]!;
    if (!removed.has(page.ref)) continue;
    for (const key of structParents(page.node)) baseTree.parents.delete(key);
    base.removePage(index);
  }
  const dests = base.catalog.lookupMaybe(PDFName.of('Dests'), PDFDict);
  for (const [name, value] of dests?.entries() ?? []) {
    const page = base.context.lookup(value, PDFArray).get(0);
    if (page instanceof PDFRef && removed.has(page)) dests!.delete(name);
  }

  // Into it: the fresh parts' pages, elements (hung under the previous /Document) and parent-tree entries.
  // Their elements' parent is cut first, or copying them would copy the fresh print's whole tree.
  for (const [, part] of freshParts) fresh.pdf.context.lookup(part.element, PDFDict).delete(PDFName.of('P'));
  const copier = PDFObjectCopier.for(fresh.pdf.context, base.context);
  let nextKey = Math.max(-1, ...baseTree.parents.keys()) + 1;
  const renumber = (dict: PDFDict) => {
    const key = dict.get(PDFName.of('StructParent')) ?? dict.get(PDFName.of('StructParents'));
    const value = key instanceof PDFNumber ? freshTree.parents.get(key.asNumber()) : undefined;
    if (!value) return;
    baseTree.parents.set(nextKey, copier.copy(value));
    dict.set(PDFName.of(dict.has(PDFName.of('StructParent')) ? 'StructParent' : 'StructParents'), PDFNumber.of(nextKey++));
  };
  const placed: PlacedPart[] = [];
  const copiedFonts = new Set<PDFRef>();
  let at = 0;
  for (const id of order) {
    const keptPart = baseParts.get(id);
    if (keptPart && !freshParts.has(id)) {
      placed.push({id, pages: keptPart.pages.map((page) => page.ref), element: keptPart.element, source: 'previous', printedAfter: previousOf(previous, id)});
      at += keptPart.pages.length;
      continue;
    }
    const part = freshParts.get(id)!;
    const pages: PDFRef[] = [];
    for (const page of part.pages) {
      const ref = copier.copy(page.ref) as PDFRef;
      const leaf = base.context.lookup(ref) as PDFPageLeaf;
      base.insertPage(at++, PDFPage.of(leaf, ref, base));
      renumber(leaf);
      for (const annotation of leaf.Annots()?.asArray() ?? []) renumber(base.context.lookup(annotation, PDFDict));
      collectFonts(base, leaf.Resources(), copiedFonts);
      pages.push(ref);
    }
    const element = copier.copy(part.element) as PDFRef;
    base.context.lookup(element, PDFDict).set(PDFName.of('P'), baseTree.documentRef);
    placed.push({id, pages, element, source: 'fresh', printedAfter: previousOf(fresh, id)});
  }
  baseTree.document.set(PDFName.of('K'), base.context.obj(placed.map((part) => part.element)));
  for (const [index, part] of placed.entries()) {
    const before = placed[index - 1];
    const printedTogether = before ? before.source === part.source && part.printedAfter === before.id : part.printedAfter === undefined;
    if (!printedTogether) joinParts(base.context, baseTree.parents, before, part);
  }
  const keys = [...baseTree.parents.keys()].sort((a, b) => a - b);
  baseTree.root.set(PDFName.of('ParentTree'), base.context.obj({Nums: keys.flatMap((key) => [PDFNumber.of(key), baseTree.parents.get(key)!])}));
  baseTree.root.set(PDFName.of('ParentTreeNextKey'), PDFNumber.of(nextKey));

  // The fresh print's destinations are those of its parts' elements, but the placeholders it had for the
  // others' (which the previous print has; a placeholder of the previous print is replaced).
  const placeholders = new Set(fresh.placeholders);
  for (const [name, value] of fresh.pdf.catalog.lookupMaybe(PDFName.of('Dests'), PDFDict)?.entries() ?? []) {
    if (!placeholders.has(destinationId(name))) dests?.set(name, copier.copy(value));
  }
  spliceOutline(base, fresh.pdf, copier, order, baseParts, freshParts);
  // Chromium tags its subsets AAAAAA, BAAAAA, …, in each print: the fresh ones are renamed by their data.
  for (const ref of copiedFonts) {
    const font = base.context.lookup(ref, PDFDict);
    const file = fontFile(font);
    const name = font.lookup(PDFName.of('BaseFont'), PDFName).decodeText();
    if (file) nameType0Font(font, `${subsetTag(file.contents)}+${name.replace(/^[A-Z]{6}\+/, '')}`);
  }
  removeUnreachable(base);
  return base;
}

interface PlacedPart {
  id: string;
  pages: PDFRef[];
  element: PDFRef;
  source: 'previous' | 'fresh';
  /** The part printed before it in its print. */
  printedAfter?: string;
}

function previousOf(print: PrintPieces, id: string): string | undefined {
  const index = print.parts.findIndex((part) => part.id === id);
  return print.parts[index - 1]?.id;
}

/**
 * Chromium ends the page before a part with an empty marked content of the part's first element (its
 * heading's text): that element's /Pg is the page before, and that page's parent-tree entry is that
 * element. Parts printed apart and brought together are joined the same way, so that the structure tree
 * is that of a print of the whole book (and refers to no page the book no longer has).
 */
function joinParts(context: PDFContext, parents: Map<number, PDFObject>, before: PlacedPart | undefined, after: PlacedPart) {
  const ownPages = new Set(after.pages);
  // `after`'s marked contents on a page not its own, taken out of its elements for now.
  const strays: {element: PDFDict; ref: PDFRef; kids: PDFObject[]; index: number; mcr?: PDFDict}[] = [];
  walkElements(context, after.element, (element, kids, ref) => {
    const page = element.get(PDFName.of('Pg'));
    const foreignPage = page instanceof PDFRef && !ownPages.has(page);
    kids.forEach((kid, index) => {
      const mcr = kid instanceof PDFDict && kid.get(PDFName.of('Type')) === PDFName.of('MCR') ? kid : undefined;
      const mcrPage = mcr?.get(PDFName.of('Pg'));
      if ((foreignPage && kid instanceof PDFNumber) || (mcrPage instanceof PDFRef && !ownPages.has(mcrPage))) strays.push({element, ref, kids, index, mcr});
    });
  });
  // The marked contents on `before`'s last page that belong to none of its elements.
  const lastPage = before?.pages.at(-1);
  const key = lastPage ? context.lookup(lastPage, PDFDict).get(PDFName.of('StructParents')) : undefined;
  const entries = key instanceof PDFNumber ? context.lookupMaybe(parents.get(key.asNumber()), PDFArray) : undefined;
  const own = new Set<PDFRef>();
  if (before) walkElements(context, before.element, (_, __, ref) => own.add(ref));
  const marks = (entries?.asArray() ?? []).flatMap((entry, mcid) => (entry instanceof PDFRef && !own.has(entry) ? [mcid] : []));

  const dropped = new Set<PDFObject>();
  strays.forEach((stray, index) => {
    const mcid = marks[index];
    if (mcid === undefined || !lastPage) {
      dropped.add(stray.kids[stray.index]!);
    } else if (stray.mcr) {
      stray.mcr.set(PDFName.of('Pg'), lastPage);
      stray.mcr.set(PDFName.of('MCID'), PDFNumber.of(mcid));
    } else {
      stray.element.set(PDFName.of('Pg'), lastPage);
      stray.kids[stray.index] = PDFNumber.of(mcid);
    }
    if (mcid !== undefined) entries!.set(mcid, stray.ref);
  });
  const unclaimed = marks.slice(strays.length);
  // `after` printed first in its print has no such marked content: its first element with content is
  // given the mark, as Chromium gives it.
  const first = strays.length === 0 && unclaimed.length > 0 && lastPage ? firstContentElement(context, after.element) : undefined;
  if (first) {
    const mcid = unclaimed.shift()!;
    first.element.set(PDFName.of('K'), context.obj([context.obj({Type: 'MCR', Pg: lastPage!, MCID: mcid}), ...first.kids]));
    entries!.set(mcid, first.ref);
  }
  unclaimed.forEach((mcid) => entries!.set(mcid, PDFNull));
  for (const {element, kids} of new Map(strays.map((stray) => [stray.element, stray])).values()) {
    element.set(PDFName.of('K'), context.obj(kids.filter((kid) => !dropped.has(kid))));
    const page = element.get(PDFName.of('Pg'));
    if (page instanceof PDFRef && !ownPages.has(page) && page !== lastPage) element.delete(PDFName.of('Pg'));
  }
}

/** The first element under `ref`, in reading order, that holds marked content itself. */
function firstContentElement(context: PDFContext, ref: PDFRef): {element: PDFDict; kids: PDFObject[]; ref: PDFRef} | undefined {
  const element = context.lookupMaybe(ref, PDFDict);
  const k = element?.get(PDFName.of('K'));
  const kids = k instanceof PDFArray ? k.asArray() : k ? [k] : [];
  if (!element || element.get(PDFName.of('S')) === undefined) return undefined;
  if (kids.some((kid) => kid instanceof PDFNumber || (kid instanceof PDFDict && kid.get(PDFName.of('Type')) === PDFName.of('MCR')))) return {element, kids, ref};
  for (const kid of kids) {
    const found = kid instanceof PDFRef ? firstContentElement(context, kid) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** Calls `visit` with each structure element under (and with) `ref`, its kids as an array, and its reference. */
function walkElements(context: PDFContext, ref: PDFRef, visit: (element: PDFDict, kids: PDFObject[], ref: PDFRef) => void) {
  const pending: PDFRef[] = [ref];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const element = context.lookupMaybe(current, PDFDict);
    if (!element || element.get(PDFName.of('S')) === undefined) continue;
    const k = element.get(PDFName.of('K'));
    const kids = k instanceof PDFArray ? k.asArray() : k ? [k] : [];
    visit(element, kids, current);
    for (const kid of kids) if (kid instanceof PDFRef) pending.push(kid);
  }
}

interface PrintedPartPages {
  pages: PDFPage[];
  element: PDFRef;
}

function partsOf(print: PrintPieces, tree: StructureTree): Map<string, PrintedPartPages> | undefined {
  const pages = print.pdf.getPages();
  const parts = new Map<string, PrintedPartPages>();
  let at = 0;
  for (const [index, part] of print.parts.entries()) {
    const element = tree.kids[index];
    if (!(element instanceof PDFRef)) return undefined;
    parts.set(part.id, {pages: pages.slice(at, at + part.pages), element});
    at += part.pages;
  }
  return at === pages.length ? parts : undefined;
}

/** The parent-tree keys of a page: its own and its annotations'. */
function structParents(page: PDFPageLeaf): number[] {
  const keys = [page.get(PDFName.of('StructParents'))];
  for (const annotation of page.Annots()?.asArray() ?? []) keys.push(page.context.lookupMaybe(annotation, PDFDict)?.get(PDFName.of('StructParent')));
  return keys.flatMap((key) => (key instanceof PDFNumber ? [key.asNumber()] : []));
}

/** The composite fonts used by a page and its forms. */
function collectFonts(pdf: PDFDocument, resources: PDFDict | undefined, found: Set<PDFRef>, seen = new Set<PDFDict>()) {
  if (!resources || seen.has(resources)) return;
  seen.add(resources);
  for (const [, ref] of resources.lookupMaybe(PDFName.of('Font'), PDFDict)?.entries() ?? []) {
    if (ref instanceof PDFRef && pdf.context.lookup(ref, PDFDict).get(PDFName.of('Subtype')) === PDFName.of('Type0')) found.add(ref);
  }
  for (const [, ref] of resources.lookupMaybe(PDFName.of('XObject'), PDFDict)?.entries() ?? []) {
    const form = pdf.context.lookup(ref);
    if (form instanceof PDFRawStream) collectFonts(pdf, form.dict.lookupMaybe(PDFName.of('Resources'), PDFDict), found, seen);
  }
}

function fontFile(type0: PDFDict): PDFRawStream | undefined {
  const descendant = type0.context.lookup(type0.lookup(PDFName.of('DescendantFonts'), PDFArray).get(0), PDFDict);
  const file = descendant.lookup(PDFName.of('FontDescriptor'), PDFDict).lookup(PDFName.of('FontFile2'));
  return file instanceof PDFRawStream ? file : undefined;
}

/**
 * One flat outline of both prints' entries, in book order (the pagination reads the entries in order,
 * then removes them): each entry goes with the part its page is in.
 */
function spliceOutline(base: PDFDocument, fresh: PDFDocument, copier: PDFObjectCopier, order: string[], baseParts: Map<string, PrintedPartPages>, freshParts: Map<string, PrintedPartPages>) {
  const partOf = (parts: Map<string, PrintedPartPages>) => new Map([...parts].flatMap(([id, part]) => part.pages.map((page) => [page.ref, id] as const)));
  const entries = new Map<string, {title: PDFObject; dest: PDFObject}[]>();
  const gather = (pdf: PDFDocument, pages: Map<PDFRef, string>, copy: (object: PDFObject) => PDFObject) => {
    const visit = (first: PDFObject | undefined) => {
      for (let ref = first; ref instanceof PDFRef; ) {
        const item = pdf.context.lookup(ref, PDFDict);
        const dest = item.lookupMaybe(PDFName.of('Dest'), PDFArray);
        const id = dest ? pages.get(dest.get(0) as PDFRef) : undefined;
        const title = item.get(PDFName.of('Title'));
        if (id && title) entries.set(id, [...(entries.get(id) ?? []), {title: copy(title), dest: copy(dest!)}]);
        visit(item.get(PDFName.of('First')));
        ref = item.get(PDFName.of('Next'));
      }
    };
    visit(pdf.catalog.lookupMaybe(PDFName.of('Outlines'), PDFDict)?.get(PDFName.of('First')));
  };
  // The previous print's entries for the parts replaced point at pages no longer in it: not gathered.
  const keptPages = new Map([...partOf(baseParts)].filter(([, id]) => !freshParts.has(id)));
  gather(base, keptPages, (object) => object);
  gather(fresh, partOf(freshParts), (object) => copier.copy(object));

  const outlinesRef = base.context.nextRef();
  const items = order.flatMap((id) => entries.get(id) ?? []);
  const refs = items.map(() => base.context.nextRef());
  items.forEach((entry, index) => {
    base.context.assign(refs[index]!, base.context.obj({
      Title: entry.title,
      Dest: entry.dest,
      Parent: outlinesRef,
      ...(index > 0 ? {Prev: refs[index - 1]} : {}),
      ...(index + 1 < refs.length ? {Next: refs[index + 1]} : {}),
    }));
  });
  base.context.assign(outlinesRef, base.context.obj({Type: 'Outlines', ...(refs.length > 0 ? {First: refs[0], Last: refs.at(-1), Count: refs.length} : {})}));
  base.catalog.set(PDFName.of('Outlines'), outlinesRef);
}
