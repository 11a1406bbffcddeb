// Running heads and folios, drawn with pdf-lib from styles/furniture.yaml in the book's own fonts. They
// are page furniture, not text: each is marked as an artifact, which screen readers and text export skip.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import {createHash} from 'node:crypto';
import {PDFArray, PDFDict, PDFName, type PDFDocument, type PDFFont, type PDFPage, type PDFRef} from 'pdf-lib';
import subsetFont from 'subset-font';
import {parse as parseYaml} from 'yaml';
import {z} from 'zod';
import {isLayoutOnly, type SubsetFontFile} from '../3-assemble/fonts.js';
import type {Cache} from '../cache.js';
import {POINTS_PER_MM} from '../pdf-content.js';
import {STYLES_DIR} from '../project.js';

const length = (unit: 'mm' | 'pt') =>
  z.string().transform((value, context) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(mm|pt)\s*$/.exec(value);
    if (!match) {
      context.addIssue({code: 'custom', message: `“${value}” is not a length such as 9pt or 13mm`});
      return z.NEVER;
    }
    const points = Number(match[1]) * (match[2] === 'mm' ? POINTS_PER_MM : 1);
    return unit === 'pt' ? points : points / POINTS_PER_MM;
  });

const styleSchema = z.strictObject({
  head: z.strictObject({family: z.string(), weight: z.number(), size: length('pt'), baseline: length('mm'), rule: length('pt'), ruleGap: length('mm')}),
  folio: z.strictObject({family: z.string(), weight: z.number(), size: length('pt'), baseline: length('mm'), align: z.enum(['outside', 'center'])}),
});

export type FurnitureStyle = z.output<typeof styleSchema>;

export async function readFurnitureStyle(): Promise<FurnitureStyle> {
  const file = path.join(STYLES_DIR, 'furniture.yaml');
  const result = styleSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!result.success) throw new Error(`${file}: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return result.data;
}

export interface Sheet {
  side: 'recto' | 'verso';
  head?: string;
  folio?: string;
}

/** A text pdf-lib draws, and the faces it may be drawn in. */
export interface DrawnText {
  text: string;
  families: string[];
  weight: number;
}

/** What the heads and folios of these sheets draw. */
export function furnitureTexts(sheets: Sheet[], style: FurnitureStyle): DrawnText[] {
  return [{text: ELLIPSIS, families: [style.head.family], weight: style.head.weight}, ...sheets.flatMap((sheet) => [
    ...(sheet.head ? [{text: sheet.head, families: [style.head.family], weight: style.head.weight}] : []),
    ...(sheet.folio ? [{text: sheet.folio, families: [style.folio.family], weight: style.folio.weight}] : []),
  ])];
}

/** Ends a running head cut short to fit the text block (a draft's; a final build refuses it). */
const ELLIPSIS = '…';

/** `text`, or as much of it as fits in `width` followed by an ellipsis. */
export function fitHead(text: string, width: number, measure: (text: string) => number): string {
  if (measure(text) <= width) return text;
  const characters = [...text];
  while (characters.length > 1 && measure(characters.join('') + ELLIPSIS) > width) characters.pop();
  return characters.join('') + ELLIPSIS;
}

export interface TextBlock {
  /** Left edge of the text block, and its width, in PDF points on the page as printed (every page alike). */
  left: number;
  width: number;
  /** Its top edge below the trim's, and its height, points. */
  top: number;
  height: number;
}


/**
 * The fonts of what pdf-lib draws (running heads, folios, the page numbers written into the pages): the
 * book's subset files, cut down again (harfbuzz) to the characters drawn. pdf-lib's own subsetting loses
 * glyphs of CJK fonts, so it is not used.
 */
export class DrawnFonts {
  private readonly embedded = new Map<SubsetFontFile, PDFFont>();
  private readonly data = new Map<SubsetFontFile, Uint8Array>();
  private readonly measured = new Map<string, MeasuredRun[]>();

  private constructor(private readonly document: PDFDocument, private readonly fonts: SubsetFontFile[]) {
    document.registerFontkit(fontkit);
  }

  static async embed(document: PDFDocument, fonts: SubsetFontFile[], texts: DrawnText[], cache?: Cache): Promise<DrawnFonts> {
    const drawn = new DrawnFonts(document, fonts);
    const used = new Map<SubsetFontFile, Set<string>>();
    for (const {text, families, weight} of texts) {
      for (const run of drawn.split(text, families, weight)) {
        const characters = used.get(run.file) ?? used.set(run.file, new Set()).get(run.file)!;
        for (const character of run.text) characters.add(character);
      }
    }
    for (const [file, characters] of used) {
      const text = [...characters].sort().join('');
      const key = cache?.key('drawn font', file.data, text);
      let data = key ? await cache!.get('drawn-fonts', key) : undefined;
      if (!data) {
        data = await subsetFont(Buffer.from(file.data), text, {targetFormat: 'truetype'});
        if (key) cache!.set('drawn-fonts', key, data);
      }
      drawn.embedded.set(file, await document.embedFont(data, {subset: false}));
      drawn.data.set(file, data);
    }
    return drawn;
  }

  /** Writes the fonts into the PDF, once everything is drawn (pdf-lib rewrites a font it drew with). */
  async finish(): Promise<void> {
    for (const [file, font] of this.embedded) {
      await font.embed();
      this.nameAsSubset(font, this.data.get(file)!);
    }
  }

  /** The width of `text` set in `face`, points. */
  width(text: string, face: Face): number {
    return this.measure(text, face).reduce((total, run) => total + run.width, 0);
  }

  /**
   * Operators that show `text` in `face` from (x, y), in a text object: each run in its font, named in
   * the page's resources. `flipped`: the page's y axis points down (inside Chromium's own content).
   */
  show(page: PDFPage, text: string, face: Face, x: number, y: number, flipped = false): string {
    let left = x;
    return this.measure(text, face)
      .map((run) => {
        const operators = `${fontResourceName(page, run.font.ref)} ${face.size} Tf 1 0 0 ${flipped ? -1 : 1} ${round(left)} ${round(y)} Tm ${run.hex} Tj`;
        left += run.width;
        return operators;
      })
      .join('\n');
  }

  /** The text in runs of one font each, encoded and measured: once for each text (a book's heads repeat). */
  private measure(text: string, face: Face): MeasuredRun[] {
    const key = JSON.stringify([text, face.families, face.weight, face.size]);
    let runs = this.measured.get(key);
    if (!runs) {
      runs = this.split(text, face.families, face.weight).map((run) => {
        const font = this.embedded.get(run.file)!;
        return {font, hex: font.encodeText(run.text).toString(), width: font.widthOfTextAtSize(run.text, face.size)};
      });
      this.measured.set(key, runs);
    }
    return runs;
  }

  private split(text: string, families: string[], weight: number): {file: SubsetFontFile; text: string}[] {
    const runs: {file: SubsetFontFile; text: string}[] = [];
    for (const character of text) {
      // Zero-width and format characters in a title: nothing to draw (fonts.ts subsets no glyph for them).
      if (isLayoutOnly(character)) continue;
      const codePoint = character.codePointAt(0)!;
      const file = families
        .map((family) => this.fonts.find((font) => font.family === family && font.weight === weight && font.codePoints.includes(codePoint)))
        .find(Boolean);
      if (!file) throw new Error(`“${character}” of “${text}” is in no subset of ${families.join(', ')} ${weight}`);
      const last = runs.at(-1);
      if (last?.file === file) last.text += character;
      else runs.push({file, text: character});
    }
    return runs;
  }

  /**
   * Names an embedded font as the subset it is: a six-letter tag and “+” (pdf-lib appends a random
   * number instead, which print houses' tools do not read as a subset and which makes every build differ).
   */
  private nameAsSubset(font: PDFFont, data: Uint8Array) {
    nameType0Font(this.document.context.lookup(font.ref, PDFDict), `${subsetTag(data)}+${font.name.replace(/-\d+$/, '')}`);
  }
}

/** A subset's six-letter tag, from its data: the same subset gets the same tag, different ones differ. */
export function subsetTag(data: Uint8Array): string {
  const hash = createHash('sha256').update(data).digest();
  return String.fromCharCode(...[...hash.subarray(0, 6)].map((byte) => 65 + (byte % 26)));
}

/** Renames a composite (Type 0) font, its CID font and its descriptor alike. */
export function nameType0Font(type0: PDFDict, fontName: string) {
  const name = PDFName.of(fontName);
  const descendant = type0.context.lookup(type0.lookup(PDFName.of('DescendantFonts'), PDFArray).get(0), PDFDict);
  type0.set(PDFName.of('BaseFont'), name);
  descendant.set(PDFName.of('BaseFont'), name);
  descendant.lookup(PDFName.of('FontDescriptor'), PDFDict).set(PDFName.of('FontName'), name);
}

/** A run of text in one font: the font, the text's glyphs as a hex string, and its width in points. */
interface MeasuredRun {
  font: PDFFont;
  hex: string;
  width: number;
}

/** Families (the first that has a character sets it, as in CSS), weight and size in points. */
export interface Face {
  families: string[];
  weight: number;
  size: number;
}

export const round = (value: number) => Math.round(value * 1000) / 1000;

/** The font's name in the page's resources, added if it has none (the page's content streams are left as they are). */
function fontResourceName(page: PDFPage, font: PDFRef): string {
  const resources = page.node.Resources();
  if (!resources) throw new Error('the page has no resources');
  let fonts = resources.lookupMaybe(PDFName.of('Font'), PDFDict);
  if (!fonts) {
    fonts = page.doc.context.obj({});
    resources.set(PDFName.of('Font'), fonts);
  }
  const existing = fonts.entries().find(([, value]) => value === font);
  if (existing) return existing[0].toString();
  let number = 1;
  while (fonts.has(PDFName.of(`Drawn${number}`))) number++;
  fonts.set(PDFName.of(`Drawn${number}`), font);
  return `/Drawn${number}`;
}

/**
 * Content added to pages: one stream for each distinct content, which every page drawing it shares (the
 * running heads of a part, the crop marks of a side repeat from page to page).
 */
export class SharedContent {
  private readonly streams = new Map<string, PDFRef>();

  constructor(private readonly document: PDFDocument) {}

  append(page: PDFPage, operators: string): void {
    let ref = this.streams.get(operators);
    if (!ref) {
      // A few hundred bytes: deflating each of them cost more time than the bytes it saved.
      ref = this.document.context.register(this.document.context.stream(operators));
      this.streams.set(operators, ref);
    }
    page.node.addContentStream(ref);
  }
}

/** Page furniture is not part of the text: marked as an artifact, screen readers and text export skip it. */
export const asArtifact = (operators: string) => `/Artifact BMC\n${operators}\nEMC`;

/**
 * Draws a page's head and folio in gray black (black ink only); `trim` is the trim box on the page. A head
 * wider than the text block is cut short; returns the head as drawn.
 */
export function drawSheet(page: PDFPage, sheet: Sheet, style: FurnitureStyle, fonts: DrawnFonts, block: TextBlock, trim: {x: number; y: number; width: number; height: number}, content: SharedContent): string | undefined {
  const left = block.left;
  const right = left + block.width;
  const mm = (value: number) => value * POINTS_PER_MM;
  let head: string | undefined;

  if (sheet.head) {
    const face = {families: [style.head.family], weight: style.head.weight, size: style.head.size};
    head = fitHead(sheet.head, block.width, (text) => fonts.width(text, face));
    const baseline = trim.y + trim.height - block.top + mm(style.head.baseline);
    const text = `q 0 g BT\n${fonts.show(page, head, face, left + (block.width - fonts.width(head, face)) / 2, baseline)}\nET Q`;
    const y = round(baseline - mm(style.head.ruleGap));
    const rule = style.head.rule > 0 ? `\nq 0 G ${style.head.rule} w ${round(left)} ${y} m ${round(right)} ${y} l S Q` : '';
    content.append(page, asArtifact(text + rule));
  }
  if (sheet.folio) {
    const face = {families: [style.folio.family], weight: style.folio.weight, size: style.folio.size};
    const width = fonts.width(sheet.folio, face);
    const x = style.folio.align === 'center' ? left + (block.width - width) / 2 : sheet.side === 'recto' ? right - width : left;
    const baseline = trim.y + trim.height - block.top - block.height - mm(style.folio.baseline);
    content.append(page, asArtifact(`q 0 g BT\n${fonts.show(page, sheet.folio, face, x, baseline)}\nET Q`));
  }
  return head;
}
