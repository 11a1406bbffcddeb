// Running heads and folios, drawn with pdf-lib from styles/furniture.yaml in the book's own fonts. They
// are page furniture, not text: each is marked as an artifact, which screen readers and text export skip.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import {createHash} from 'node:crypto';
import {grayscale, PDFArray, PDFDict, PDFName, PDFOperator, PDFOperatorNames, type PDFDocument, type PDFFont, type PDFPage} from 'pdf-lib';
import subsetFont from 'subset-font';
import {parse as parseYaml} from 'yaml';
import {z} from 'zod';
import type {SubsetFontFile} from '../3-assemble/fonts.js';
import {POINTS_PER_MM} from '../pdf-content.js';
import {STYLES_DIR} from '../project.js';

/** Gray black: printed with black ink alone (see makeBlackPure in finish.ts). */
const BLACK = grayscale(0);

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
  return sheets.flatMap((sheet) => [
    ...(sheet.head ? [{text: sheet.head, families: [style.head.family], weight: style.head.weight}] : []),
    ...(sheet.folio ? [{text: sheet.folio, families: [style.folio.family], weight: style.folio.weight}] : []),
  ]);
}

export interface TextBlock {
  /** Left edge of the text block, and its width, in PDF points on the page as printed (every page alike). */
  left: number;
  width: number;
}

/**
 * The fonts of what pdf-lib draws (running heads, folios, the page numbers written into the pages): the
 * book's subset files, cut down again (harfbuzz) to the characters drawn. pdf-lib's own subsetting loses
 * glyphs of CJK fonts, so it is not used.
 */
export class DrawnFonts {
  private readonly embedded = new Map<SubsetFontFile, PDFFont>();
  private readonly data = new Map<SubsetFontFile, Uint8Array>();

  private constructor(private readonly document: PDFDocument, private readonly fonts: SubsetFontFile[]) {
    document.registerFontkit(fontkit);
  }

  static async embed(document: PDFDocument, fonts: SubsetFontFile[], texts: DrawnText[]): Promise<DrawnFonts> {
    const drawn = new DrawnFonts(document, fonts);
    const used = new Map<SubsetFontFile, Set<string>>();
    for (const {text, families, weight} of texts) {
      for (const run of drawn.split(text, families, weight)) {
        const characters = used.get(run.file) ?? used.set(run.file, new Set()).get(run.file)!;
        for (const character of run.text) characters.add(character);
      }
    }
    for (const [file, characters] of used) {
      const data = await subsetFont(Buffer.from(file.data), [...characters].join(''), {targetFormat: 'truetype'});
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

  /** The text cut into runs of one font each: for each character, the first family (as in CSS) that has it. */
  runs(text: string, families: string[], weight: number): {font: PDFFont; text: string}[] {
    return this.split(text, families, weight).map((run) => ({font: this.embedded.get(run.file)!, text: run.text}));
  }

  private split(text: string, families: string[], weight: number): {file: SubsetFontFile; text: string}[] {
    const runs: {file: SubsetFontFile; text: string}[] = [];
    for (const character of text) {
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

/** Draws a page's head and folio; `trim` is the trim box on the page. */
export function drawSheet(page: PDFPage, sheet: Sheet, style: FurnitureStyle, fonts: DrawnFonts, block: TextBlock, trim: {x: number; y: number; width: number; height: number}) {
  const left = block.left;
  const right = left + block.width;
  const mm = (value: number) => value * POINTS_PER_MM;
  const operations: (() => void)[] = [];

  if (sheet.head) {
    const runs = fonts.runs(sheet.head, [style.head.family], style.head.weight);
    const width = runs.reduce((total, run) => total + run.font.widthOfTextAtSize(run.text, style.head.size), 0);
    const baseline = trim.y + trim.height - mm(style.head.baseline);
    let x = left + (block.width - width) / 2;
    for (const run of runs) {
      const at = x;
      operations.push(() => page.drawText(run.text, {x: at, y: baseline, size: style.head.size, font: run.font, color: BLACK}));
      x += run.font.widthOfTextAtSize(run.text, style.head.size);
    }
    if (style.head.rule > 0) {
      const y = baseline - mm(style.head.ruleGap);
      operations.push(() => page.drawLine({start: {x: left, y}, end: {x: right, y}, thickness: style.head.rule, color: BLACK}));
    }
  }
  if (sheet.folio) {
    const runs = fonts.runs(sheet.folio, [style.folio.family], style.folio.weight);
    const width = runs.reduce((total, run) => total + run.font.widthOfTextAtSize(run.text, style.folio.size), 0);
    let x = style.folio.align === 'center' ? left + (block.width - width) / 2 : sheet.side === 'recto' ? right - width : left;
    const baseline = trim.y + mm(style.folio.baseline);
    for (const run of runs) {
      const at = x;
      operations.push(() => page.drawText(run.text, {x: at, y: baseline, size: style.folio.size, font: run.font, color: BLACK}));
      x += run.font.widthOfTextAtSize(run.text, style.folio.size);
    }
  }
  if (operations.length > 0) asArtifact(page, () => operations.forEach((operation) => operation()));
}

/** Page furniture is not part of the text: marked as an artifact, screen readers and text export skip it. */
export function asArtifact(page: PDFPage, draw: () => void) {
  page.pushOperators(PDFOperator.of(PDFOperatorNames.BeginMarkedContent, [PDFName.of('Artifact')]));
  draw();
  page.pushOperators(PDFOperator.of(PDFOperatorNames.EndMarkedContent));
}
