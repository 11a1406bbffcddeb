// A reader of PDF content streams just deep enough for what the pipeline asks of its own PDFs: for
// preflight, the current transformation matrix (q, Q, cm), the XObjects drawn (Do, with the size they
// are drawn at) and the colour operators used; for the EPUB's print page equivalents, the text a page
// begins with (fonts' ToUnicode maps, artifacts skipped).
import {createRequire} from 'node:module';
import {deflateSync, inflateSync} from 'node:zlib';
import {decodePDFRawStream, ParseSpeeds, PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFStream, type PDFContext, type PDFObject, type PDFPage, type SaveOptions} from 'pdf-lib';

// pdf-lib compresses what it writes (its content streams, the object streams of a saved file) with
// pako.deflate, a JavaScript deflate; Node's zlib writes the same zlib format about three times faster
// (measured: pako took 0.7 s of a 1,214-page book's finishing). Only the pako instance pdf-lib loads is
// changed, and only its one-shot deflate.
const pdfLibPako = createRequire(createRequire(import.meta.url).resolve('pdf-lib'))('pako') as {deflate: (data: Uint8Array) => Uint8Array};
pdfLibPako.deflate = (data) => deflateSync(data);

/** PDF points in a millimetre. */
export const POINTS_PER_MM = 72 / 25.4;
/** PDF points in a CSS pixel (1/96 inch). */
export const POINTS_PER_PIXEL = 0.75;

/** Opens a PDF as fast as pdf-lib can: by default it yields to the event loop every 100 objects. */
export function openPdf(bytes: Uint8Array): Promise<PDFDocument> {
  return PDFDocument.load(bytes, {updateMetadata: false, parseSpeed: ParseSpeeds.Fastest});
}

/** Saving without yielding to the event loop is about three times faster. */
export const SAVE_FAST: SaveOptions = {objectsPerTick: Infinity};

/**
 * A stream's decoded bytes. Flate, by far the commonest filter (all of Chromium's), goes through Node's
 * zlib, several times faster than pdf-lib's JavaScript inflate; other filters through pdf-lib.
 */
export function decodeStream(stream: PDFRawStream): Uint8Array {
  let decoded = decodedStreams.get(stream);
  if (!decoded) {
    const filter = stream.dict.get(PDFName.of('Filter'));
    decoded = filter === PDFName.of('FlateDecode') && !stream.dict.get(PDFName.of('DecodeParms')) ? inflateSync(stream.contents) : decodePDFRawStream(stream).decode();
    decodedStreams.set(stream, decoded);
  }
  return decoded;
}

/**
 * Streams already decoded (or made here): a page is read for its first text, its black, its slots.
 * Streams are never changed in place (a rewritten one is a new object), so an entry cannot go stale.
 */
const decodedStreams = new WeakMap<PDFRawStream, Uint8Array>();

/** A Flate-encoded stream with `dict`'s other entries, for content rewritten in place. */
export function flateStream(context: PDFContext, dict: PDFDict, contents: Uint8Array): PDFRawStream {
  const entries = dict.clone(context);
  for (const key of ['Filter', 'DecodeParms', 'Length']) entries.delete(PDFName.of(key));
  entries.set(PDFName.of('Filter'), PDFName.of('FlateDecode'));
  // The fastest level: a content stream is compressed almost as well, in a third of the time.
  const stream = PDFRawStream.of(entries, deflateSync(contents, {level: 1}));
  decodedStreams.set(stream, contents);
  return stream;
}

type Matrix = [number, number, number, number, number, number];

export interface DrawnImage {
  /** Pixels. */
  width: number;
  height: number;
  /** Printed size, PDF points. */
  printedWidth: number;
  printedHeight: number;
  colorSpace: string;
}

export interface PageContent {
  images: DrawnImage[];
  /** Colour operators that set an RGB colour (rg, RG, or sc/scn in an RGB colour space). */
  rgbOperators: number;
}

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

export function readPageContent(context: PDFContext, contents: Uint8Array[], resources: PDFDict | undefined): PageContent {
  const result: PageContent = {images: [], rgbOperators: 0};
  const source = contents.map((stream) => Buffer.from(stream).toString('latin1')).join('\n');
  // Most pages draw no XObject and set colours only with rg/RG: counting those needs no parsing.
  if (!/\sDo\b|\s(?:cs|CS)\b/.test(source)) {
    result.rgbOperators = source.match(/(?:^|\s)(?:rg|RG)(?=\s|$)/g)?.length ?? 0;
    return result;
  }
  interpret(context, [Buffer.from(source, 'latin1')], resources, IDENTITY, result, 0);
  return result;
}

function interpret(context: PDFContext, streams: Uint8Array[], resources: PDFDict | undefined, start: Matrix, result: PageContent, depth: number) {
  if (depth > 8) return;
  const stack: Matrix[] = [];
  let ctm = start;
  let operands: string[] = [];
  let fillSpace = 'DeviceGray';
  let strokeSpace = 'DeviceGray';
  for (const token of tokens(streams.map((stream) => Buffer.from(stream).toString('latin1')).join('\n'))) {
    if (!isOperator(token)) {
      operands.push(token);
      continue;
    }
    switch (token) {
      case 'q':
        stack.push(ctm);
        break;
      case 'Q':
        ctm = stack.pop() ?? start;
        break;
      case 'cm':
        ctm = multiply(operands.slice(-6).map(Number) as Matrix, ctm);
        break;
      case 'rg':
      case 'RG':
        result.rgbOperators++;
        break;
      case 'cs':
        fillSpace = colorSpaceName(context, resources, operands.at(-1));
        break;
      case 'CS':
        strokeSpace = colorSpaceName(context, resources, operands.at(-1));
        break;
      case 'sc':
      case 'scn':
        if (fillSpace === 'RGB') result.rgbOperators++;
        break;
      case 'SC':
      case 'SCN':
        if (strokeSpace === 'RGB') result.rgbOperators++;
        break;
      case 'Do': {
        const xobject = lookup(context, lookup(context, resources?.get(PDFName.of('XObject')))?.get?.(PDFName.of(operands.at(-1)!.slice(1))));
        if (xobject instanceof PDFRawStream) drawXObject(context, xobject, ctm, result, depth);
        break;
      }
    }
    operands = [];
  }
}

function drawXObject(context: PDFContext, xobject: PDFRawStream, ctm: Matrix, result: PageContent, depth: number) {
  const subtype = xobject.dict.get(PDFName.of('Subtype'));
  if (subtype === PDFName.of('Image')) {
    const number = (key: string) => (lookup(context, xobject.dict.get(PDFName.of(key))) as PDFNumber | undefined)?.asNumber() ?? 0;
    result.images.push({
      width: number('Width'),
      height: number('Height'),
      printedWidth: Math.hypot(ctm[0], ctm[1]),
      printedHeight: Math.hypot(ctm[2], ctm[3]),
      colorSpace: colorSpaceOf(context, xobject.dict.get(PDFName.of('ColorSpace'))),
    });
  } else if (subtype === PDFName.of('Form')) {
    const matrix = lookup(context, xobject.dict.get(PDFName.of('Matrix')));
    const formMatrix = matrix instanceof PDFArray ? (matrix.asArray().map((value) => (lookup(context, value) as PDFNumber).asNumber()) as Matrix) : IDENTITY;
    const resources = lookup(context, xobject.dict.get(PDFName.of('Resources')));
    interpret(context, [decodeStream(xobject)], resources instanceof PDFDict ? resources : undefined, multiply(formMatrix, ctm), result, depth + 1);
  }
}

/** 'RGB', 'CMYK', 'Gray' or another name, for a colour space object. */
function colorSpaceOf(context: PDFContext, space: PDFObject | undefined): string {
  const value = lookup(context, space);
  if (value instanceof PDFName) return {'/DeviceRGB': 'RGB', '/CalRGB': 'RGB', '/DeviceCMYK': 'CMYK', '/DeviceGray': 'Gray', '/CalGray': 'Gray'}[value.asString()] ?? value.asString().slice(1);
  if (value instanceof PDFArray) {
    const family = (lookup(context, value.get(0)) as PDFName | undefined)?.asString();
    if (family === '/ICCBased') {
      const profile = lookup(context, value.get(1));
      const components = profile instanceof PDFRawStream ? (lookup(context, profile.dict.get(PDFName.of('N'))) as PDFNumber | undefined)?.asNumber() : undefined;
      return components === 3 ? 'RGB' : components === 4 ? 'CMYK' : 'Gray';
    }
    if (family === '/Indexed') return colorSpaceOf(context, value.get(1));
    return colorSpaceOf(context, value.get(0));
  }
  return 'unknown';
}

function colorSpaceName(context: PDFContext, resources: PDFDict | undefined, operand: string | undefined): string {
  if (!operand?.startsWith('/')) return 'unknown';
  const direct = colorSpaceOf(context, PDFName.of(operand.slice(1)));
  if (direct !== operand.slice(1)) return direct;
  const named = lookup(context, resources?.get(PDFName.of('ColorSpace')));
  return named instanceof PDFDict ? colorSpaceOf(context, named.get(PDFName.of(operand.slice(1)))) : 'unknown';
}

function lookup(context: PDFContext, value: PDFObject | undefined): any {
  return value instanceof PDFRef ? context.lookup(value) : value;
}

function multiply(a: Matrix, b: Matrix): Matrix {
  return [
    a[0] * b[0] + a[1] * b[2],
    a[0] * b[1] + a[1] * b[3],
    a[2] * b[0] + a[3] * b[2],
    a[2] * b[1] + a[3] * b[3],
    a[4] * b[0] + a[5] * b[2] + b[4],
    a[4] * b[1] + a[5] * b[3] + b[5],
  ];
}

function isOperator(token: string): boolean {
  return /^[A-Za-z'"*][A-Za-z0-9*']*$/.test(token) && token !== 'true' && token !== 'false' && token !== 'null';
}

/** A page's content streams, decoded. */
export function contentStreams(page: PDFPage): Uint8Array[] {
  const contents = page.node.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  return refs
    .map((ref) => page.doc.context.lookup(ref))
    .filter((stream): stream is PDFRawStream => stream instanceof PDFRawStream)
    .map((stream) => decodeStream(stream));
}

export interface TextFonts {
  /** Font resources already read, by object number. */
  cache: Map<string, {twoByte: boolean; unicode: Map<number, string>}>;
}

/** The first `length` characters of text a page shows, page furniture (artifacts) left out. */
export function pageStartText(context: PDFContext, contents: Uint8Array[], resources: PDFDict | undefined, fonts: TextFonts, length: number): string {
  let text = '';
  let operands: string[] = [];
  const marked: string[] = [];
  let font: {twoByte: boolean; unicode: Map<number, string>} | undefined;
  for (const token of tokens(contents.map((stream) => Buffer.from(stream).toString('latin1')).join('\n'))) {
    if (!isOperator(token)) {
      operands.push(token);
      continue;
    }
    if (token === 'BMC' || token === 'BDC') marked.push(operands[0] ?? '');
    else if (token === 'EMC') marked.pop();
    else if (token === 'Tf') font = textFont(context, resources, operands[0], fonts);
    else if ((token === 'Tj' || token === 'TJ' || token === "'" || token === '"') && font && !marked.includes('/Artifact')) {
      for (const string of token === 'TJ' ? (operands.at(-1) ?? '').match(/<[^>]*>|\((?:\\.|[^\\)])*\)/g) ?? [] : [operands.at(-1) ?? '']) {
        const bytes = stringBytes(string);
        for (let index = 0; index < bytes.length; index += font.twoByte ? 2 : 1) {
          const code = font.twoByte ? (bytes[index]! << 8) | (bytes[index + 1] ?? 0) : bytes[index]!;
          text += font.unicode.get(code) ?? '';
        }
      }
      if (text.replace(/\s/g, '').length >= length) break;
    }
    operands = [];
  }
  return text;
}

function textFont(context: PDFContext, resources: PDFDict | undefined, name: string | undefined, fonts: TextFonts) {
  const ref = (lookup(context, resources?.get(PDFName.of('Font'))) as PDFDict | undefined)?.get(PDFName.of((name ?? '').slice(1)));
  const key = ref instanceof PDFRef ? ref.toString() : String(name);
  let font = fonts.cache.get(key);
  if (!font) {
    const dict = lookup(context, ref) as PDFDict | undefined;
    const toUnicode = lookup(context, dict?.get(PDFName.of('ToUnicode')));
    font = {
      twoByte: dict?.get(PDFName.of('Subtype')) === PDFName.of('Type0'),
      unicode: toUnicode instanceof PDFRawStream ? parseToUnicode(Buffer.from(decodeStream(toUnicode)).toString('latin1')) : new Map(),
    };
    fonts.cache.set(key, font);
  }
  return font;
}

/** A ToUnicode CMap: character codes → text (bfchar and bfrange entries). */
function parseToUnicode(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  const text = (hex: string) => String.fromCharCode(...(hex.match(/.{1,4}/g) ?? []).map((unit) => parseInt(unit, 16)));
  for (const [, block] of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const [, code, value] of block!.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>/gi)) map.set(parseInt(code!, 16), text(value!));
  }
  for (const [, block] of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const [, from, to, target] of block!.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>\s*(<[0-9a-f]+>|\[[^\]]*\])/gi)) {
      const [start, end] = [parseInt(from!, 16), parseInt(to!, 16)];
      const targets = target!.startsWith('[') ? [...target!.matchAll(/<([0-9a-f]+)>/gi)].map((match) => match[1]!) : undefined;
      for (let code = start; code <= end; code++) {
        if (targets) map.set(code, text(targets[code - start] ?? ''));
        else {
          const base = target!.slice(1, -1);
          const last = parseInt(base.slice(-4), 16) + (code - start);
          map.set(code, text(base.slice(0, -4) + last.toString(16).padStart(4, '0')));
        }
      }
    }
  }
  return map;
}

/** The bytes of a PDF string token, hex (<…>) or literal ((…)). */
function stringBytes(token: string): number[] {
  if (token.startsWith('<')) {
    const hex = token.slice(1, -1).replace(/\s/g, '');
    return (hex.match(/.{1,2}/g) ?? []).map((pair) => parseInt(pair.padEnd(2, '0'), 16));
  }
  const bytes: number[] = [];
  const body = token.slice(1, -1);
  for (let index = 0; index < body.length; index++) {
    const character = body[index]!;
    if (character !== '\\') {
      bytes.push(character.charCodeAt(0));
      continue;
    }
    const next = body[++index] ?? '';
    const octal = /^[0-7]{1,3}/.exec(body.slice(index, index + 3))?.[0];
    if (octal) {
      bytes.push(parseInt(octal, 8));
      index += octal.length - 1;
    } else {
      bytes.push(({n: 10, r: 13, t: 9, b: 8, f: 12} as Record<string, number>)[next] ?? next.charCodeAt(0));
    }
  }
  return bytes;
}

/** One token of a content stream: a literal or hex string, a dictionary or array delimiter, a name, or a
 * number or operator. Comments and whitespace are skipped. */
const TOKEN = /%[^\r\n]*|\((?:\\[\s\S]|[^\\)])*\)|<<|>>|<[0-9A-Fa-f\s]*>|[[\]{}]|\/[^\s()<>[\]{}/%]*|[^\s()<>[\]{}/%]+/g;

/** Tokens of a content stream; an array (a TJ operand) comes back as one token. Inline images are skipped. */
function* tokens(source: string): Generator<string> {
  // A pattern of its own: forms are read while the page that draws them is being read.
  const pattern = new RegExp(TOKEN.source, 'g');
  let array: string[] | undefined;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    const token = match[0];
    if (token.startsWith('%')) continue;
    if (token === '[') {
      array = [];
    } else if (token === ']') {
      yield `[${(array ?? []).join(' ')}]`;
      array = undefined;
    } else if (array) {
      array.push(token);
    } else if (token === 'BI') {
      // Inline image: its binary data runs to EI.
      const end = source.indexOf('EI', source.indexOf('ID', pattern.lastIndex));
      pattern.lastIndex = end < 0 ? source.length : end + 2;
    } else {
      yield token;
    }
  }
}

/**
 * Deletes the objects nothing refers to any more: pdf-lib writes every object it holds (the print PDF's
 * structure tree, bookmarks and links, cut off, were 88% of its objects at 1,214 pages).
 */
export function removeUnreachable(document: PDFDocument) {
  const context = document.context;
  const reached = new Set<PDFRef>();
  const pending: unknown[] = [context.trailerInfo.Root, context.trailerInfo.Info];
  while (pending.length > 0) {
    const object = pending.pop();
    if (object instanceof PDFRef) {
      if (reached.has(object)) continue;
      reached.add(object);
      pending.push(context.lookup(object));
    } else if (object instanceof PDFDict) {
      for (const [, value] of object.entries()) pending.push(value);
    } else if (object instanceof PDFArray) {
      pending.push(...object.asArray());
    } else if (object instanceof PDFStream) {
      pending.push(object.dict);
    }
  }
  for (const [ref] of context.enumerateIndirectObjects()) if (!reached.has(ref)) context.delete(ref);
}

/**
 * Rewrites RGB black (`0 0 0 rg`) as gray black (`0 g`), and RGB grays as grays, in every content stream
 * and form: Chromium writes black as RGB black, which a RIP separates into all four inks (rich black,
 * blurred small type). On screen the two are the same black.
 */
export function makeBlackPure(document: PDFDocument) {
  const context = document.context;
  const contentRefs = new Set<string>();
  for (const page of document.getPages()) {
    const contents = page.node.Contents();
    const refs = contents instanceof PDFArray ? contents.asArray() : [page.node.get(PDFName.of('Contents'))];
    for (const ref of refs) if (ref instanceof PDFRef) contentRefs.add(ref.toString());
  }
  for (const [ref, object] of context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFRawStream)) continue;
    const isForm = object.dict.get(PDFName.of('Subtype')) === PDFName.of('Form');
    if (!isForm && !contentRefs.has(ref.toString())) continue;
    const source = Buffer.from(decodeStream(object)).toString('latin1');
    const pure = neutralAsGray(source);
    if (pure !== source) context.assign(ref, flateStream(context, object.dict, Buffer.from(pure, 'latin1')));
  }
}

/**
 * Any neutral colour (`l l l rg`, r = g = b), black above all, as gray (`l g`): black ink only. Looks back
 * from each rg/RG rather than matching a pattern at every position: twice as fast on 38 MB of content.
 */
export function neutralAsGray(source: string): string {
  const isSpace = (index: number) => /[\s\0]/.test(source[index] ?? '');
  const tokenStart = (end: number) => {
    let start = end;
    while (start > 0 && !isSpace(start - 1)) start--;
    return start;
  };
  const pieces: string[] = [];
  let copied = 0;
  for (const match of source.matchAll(/ (rg|RG)(?=\s|$)/g)) {
    const blue = tokenStart(match.index);
    if (source[blue - 1] !== ' ') continue;
    const green = tokenStart(blue - 1);
    if (source[green - 1] !== ' ') continue;
    const red = tokenStart(green - 1);
    const level = source.slice(red, green - 1);
    if (red < copied || !/^\d*\.?\d+$/.test(level) || source.slice(green, blue - 1) !== level || source.slice(blue, match.index) !== level) continue;
    pieces.push(source.slice(copied, red), level, match[1] === 'rg' ? ' g' : ' G');
    copied = match.index + match[0].length;
  }
  return copied === 0 ? source : pieces.join('') + source.slice(copied);
}
