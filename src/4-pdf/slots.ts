// Writes the texts known only after printing (table-of-contents page numbers, the 印张) into the pages,
// as Chromium would have printed them: in Chromium's own coordinates, in the fonts of the text around
// them, placed in the content stream right after the text that precedes them on their line, and tagged
// as part of that text's structure element — so copying, text extraction and screen readers meet the
// number where a reader's eye does.
import {PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFDocument, type PDFObject, type PDFPage} from 'pdf-lib';
import {decodeStream, flateStream} from '../pdf-content.js';
import type {DrawnFonts} from './furniture.js';
import type {Slot} from './paginate.js';

/**
 * How Chromium maps a page: `a 0 0 -a 0 height cm` (points per device pixel, y flipped), a clip to the
 * page area (`left top w h re`, device pixels: the margins), then `s 0 0 s tx ty cm` into the CSS pixels
 * of the whole book's flow, where the text is drawn. Its destinations are in points from the page
 * area's corner, placed as if the margins were 0.
 */
export interface PageFrame {
  a: number;
  height: number;
  left: number;
  top: number;
  /** The page area's height, device pixels. */
  areaHeight: number;
  s: number;
  tx: number;
  ty: number;
}

/** The page's frame; undefined for a page that does not start so (Chromium leaves a page it draws nothing on empty). */
export function pageFrame(page: PDFPage): PageFrame | undefined {
  const stream = firstStream(page);
  const head = stream ? Buffer.from(stream).toString('latin1', 0, 4096) : '';
  const number = String.raw`(-?[\d.]+)`;
  const match = new RegExp(String.raw`${number} 0 0 -?[\d.]+ 0 ${number} cm\s+q\s+${number} ${number} [\d.]+ ${number} re\s+W\*? n\s+q\s+${number} 0 0 [\d.]+ ${number} ${number} cm`).exec(head);
  if (!match) return undefined;
  const [a, height, left, top, areaHeight, s, tx, ty] = match.slice(1).map(Number) as [number, number, number, number, number, number, number, number];
  return {a, height, left, top, areaHeight, s, tx, ty};
}

/**
 * The frame of a print's pages, whose scale and margins are the same on every page: read from the first
 * page that has one. Throws when no page has (then the print is not Chromium's, or holds nothing).
 */
export function printFrame(pages: PDFPage[]): PageFrame {
  for (const page of pages) {
    const frame = pageFrame(page);
    if (frame) return frame;
  }
  throw new Error('no page of the print starts as Chromium’s pages do');
}

/** A named destination's point in the page's PDF coordinates. */
export function pointOf(frame: PageFrame, destination: {x: number; y: number}): {x: number; y: number} {
  return {x: destination.x + frame.a * frame.left, y: destination.y - frame.a * frame.top};
}

/** A point in PDF coordinates in the CSS pixels Chromium draws the page's text in. */
function flowPoint(frame: PageFrame, point: {x: number; y: number}): {x: number; y: number} {
  return {x: (point.x / frame.a - frame.tx) / frame.s, y: ((frame.height - point.y) / frame.a - frame.ty) / frame.s};
}

interface MarkedSection {
  mcid?: number;
  /** Offset just past its EMC. */
  end: number;
  /** Where its first text is drawn, CSS pixels. */
  x?: number;
  y?: number;
}

export function writeSlots(document: PDFDocument, slots: Slot[], fonts: DrawnFonts): void {
  const pages = document.getPages();
  const byPage = new Map<number, Slot[]>();
  for (const slot of slots.filter((candidate) => candidate.text)) byPage.set(slot.page, [...(byPage.get(slot.page) ?? []), slot]);
  for (const [number, pageSlots] of byPage) {
    const page = pages[number - 1]!;
    const frame = pageFrame(page);
    if (!frame) throw new Error(`page ${number}, where a page number is to be written, does not start as Chromium’s pages do`);
    const streamRef = firstStreamRef(page);
    const stream = rawStream(document, streamRef);
    const source = Buffer.from(decodeStream(stream)).toString('latin1');
    const {sections, plainPoints} = readStream(source);
    const insertions = pageSlots.map((slot) => {
      const {x, y} = flowPoint(frame, slot.at);
      // The text before the slot: on its line, the nearest to its left; else the last one above it.
      const onLine = sections.filter((section) => section.y !== undefined && Math.abs(section.y - y) < slot.fontSize && section.x! < x);
      const before = onLine.length > 0
        ? onLine.reduce((best, section) => (section.x! > best.x! ? section : best))
        : sections.filter((section) => section.y !== undefined && section.y < y).at(-1);
      if (!before) throw new Error(`no text precedes the page-number slot #${slot.id} on page ${slot.page}`);
      const owner = sections.filter((section) => section.mcid !== undefined && section.end <= before.end).at(-1);

      const face = {families: slot.families, weight: slot.weight, size: slot.fontSize};
      const left = slot.align === 'end' ? x + slot.width - fonts.width(slot.text, face) : x;
      const mcid = owner ? tagAfter(document, page, owner.mcid!) : undefined;
      const marked = mcid === undefined ? '/Artifact BMC' : `/Span <</MCID ${mcid} >>BDC`;
      const text = `\n${marked}\nq 0 g BT\n${fonts.show(page, slot.text, face, left, y, true)}\nET Q\nEMC\n`;
      // Right after the text before it, or as soon after as the graphics state is the page's own; if it
      // never is again, at the end, where only Chromium's first transformation (the flip) is in force.
      const at = plainPoints.find((point) => point >= before.end);
      return at === undefined ? {at: source.length, text: `\nq ${frame.s} 0 0 ${frame.s} ${frame.tx} ${frame.ty} cm${text}Q\n`} : {at, text};
    });
    let changed = '';
    let done = 0;
    for (const {at, text} of insertions.sort((a, b) => a.at - b.at)) {
      changed += source.slice(done, at) + text;
      done = at;
    }
    changed += source.slice(done);
    document.context.assign(streamRef, flateStream(document.context, stream.dict, Buffer.from(changed, 'latin1')));
  }
}

/**
 * Chromium's marked-content sections (tagged text, artifacts) in stream order, with where their text
 * starts; and the offsets where the graphics state is the page's own (its flow transformation, clipped
 * to the page area only): text added elsewhere could fall under a clip Chromium set for one element,
 * such as a table-of-contents leader clipped to its box.
 */
export function readStream(source: string): {sections: MarkedSection[]; plainPoints: number[]} {
  const sections: MarkedSection[] = [];
  const plainPoints: number[] = [];
  let open: Omit<MarkedSection, 'end'> | undefined;
  let pageClip: string | undefined;
  let pageDepth: number | undefined;
  // Whether the clip in force at each depth is the page area's.
  const clipIsPage: boolean[] = [false];
  const plain = () => pageDepth !== undefined && clipIsPage.length - 1 === pageDepth && clipIsPage.at(-1)!;
  const pattern = /<<([^>]*)>>\s*BDC|\/\w+\s+BMC|\bEMC\b|(-?[\d.]+) (-?[\d.]+) Tm\b|([-\d. ]+) re\s+W\*?\s+n\b|(?<=\s|^)(q|Q|cm)(?=\s|$)/g;
  for (const match of source.matchAll(pattern)) {
    const token = match[0];
    const end = match.index! + token.length;
    if (token === 'q') clipIsPage.push(clipIsPage.at(-1)!);
    else if (token === 'Q') clipIsPage.pop();
    else if (token === 'cm') {
      if (plain()) plainPoints.push(end);
    } else if (match[4] !== undefined) {
      pageClip ??= match[4];
      clipIsPage[clipIsPage.length - 1] = match[4] === pageClip;
    } else if (token === 'EMC') {
      if (open) sections.push({...open, end});
      if (plain()) plainPoints.push(end);
      open = undefined;
    } else if (token.endsWith('Tm')) {
      if (open && open.x === undefined) Object.assign(open, {x: Number(match[2]), y: Number(match[3])});
    } else {
      // The page's own depth is the one its first marked content opens at.
      pageDepth ??= clipIsPage.length - 1;
      const mcid = /\/MCID\s+(\d+)/.exec(match[1] ?? '')?.[1];
      open = {mcid: mcid === undefined ? undefined : Number(mcid)};
    }
  }
  return {sections, plainPoints};
}

/**
 * Gives the structure element that holds marked content `after` on this page one more piece of content,
 * right after it; returns the new piece's MCID.
 */
function tagAfter(document: PDFDocument, page: PDFPage, after: number): number | undefined {
  const key = page.node.lookupMaybe(PDFName.of('StructParents'), PDFNumber)?.asNumber();
  const root = document.catalog.lookupMaybe(PDFName.of('StructTreeRoot'), PDFDict);
  const parentTree = root?.lookupMaybe(PDFName.of('ParentTree'), PDFDict);
  const marks = key === undefined || !parentTree ? undefined : numberTreeValue(document, parentTree, key);
  const ownerRef = marks?.get(after);
  if (!marks || !(ownerRef instanceof PDFRef)) return undefined;
  const owner = document.context.lookup(ownerRef, PDFDict);
  const mcid = marks.size();
  marks.push(ownerRef);

  const onThisPage = owner.get(PDFName.of('Pg')) === page.ref;
  const content: PDFObject = onThisPage ? PDFNumber.of(mcid) : document.context.obj({Type: 'MCR', Pg: page.ref, MCID: mcid});
  const kids = owner.get(PDFName.of('K'));
  const list = kids instanceof PDFArray ? kids : document.context.obj(kids ? [kids] : []);
  const position = list.asArray().findIndex((kid) => mcidOf(document, kid) === after);
  list.insert(position + 1, content);
  owner.set(PDFName.of('K'), list);
  return mcid;
}

function mcidOf(document: PDFDocument, kid: PDFObject): number | undefined {
  if (kid instanceof PDFNumber) return kid.asNumber();
  const dict = kid instanceof PDFRef ? document.context.lookup(kid) : kid;
  return dict instanceof PDFDict ? dict.lookupMaybe(PDFName.of('MCID'), PDFNumber)?.asNumber() : undefined;
}

/** The value under `key` of a number tree (/Nums, /Kids). */
function numberTreeValue(document: PDFDocument, node: PDFDict, key: number): PDFArray | undefined {
  const nums = node.lookupMaybe(PDFName.of('Nums'), PDFArray);
  for (let index = 0; nums && index + 1 < nums.size(); index += 2) {
    if (nums.lookup(index, PDFNumber).asNumber() === key) return document.context.lookup(nums.get(index + 1), PDFArray);
  }
  for (const kid of node.lookupMaybe(PDFName.of('Kids'), PDFArray)?.asArray() ?? []) {
    const child = document.context.lookup(kid, PDFDict);
    const limits = child.lookupMaybe(PDFName.of('Limits'), PDFArray);
    if (limits && (key < limits.lookup(0, PDFNumber).asNumber() || key > limits.lookup(1, PDFNumber).asNumber())) continue;
    const found = numberTreeValue(document, child, key);
    if (found) return found;
  }
  return undefined;
}

function firstStreamRef(page: PDFPage): PDFRef {
  const contents = page.node.get(PDFName.of('Contents'));
  const ref = contents instanceof PDFArray ? contents.get(0) : contents;
  if (!(ref instanceof PDFRef)) throw new Error('the page has no content stream');
  return ref;
}

/** The page's first content stream, decoded; undefined if it has none that can be read. */
function firstStream(page: PDFPage): Uint8Array | undefined {
  try {
    return decodeStream(rawStream(page.doc, firstStreamRef(page)));
  } catch {
    return undefined;
  }
}

function rawStream(document: PDFDocument, ref: PDFRef): PDFRawStream {
  const stream = document.context.lookup(ref);
  if (!(stream instanceof PDFRawStream)) throw new Error('the page’s content is not a stream as Chromium writes them');
  return stream;
}
