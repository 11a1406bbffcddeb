// The text block (版心) cut from the trim: a whole number of characters a line and of lines a page, so
// that justified lines need no added space and body lines sit on one grid on every page. The rules are
// the designer's (styles/page.yaml); book.yaml may fix the measure, the lines and two margins.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {parse as parseYaml} from 'yaml';
import {z} from 'zod';
import type {BookConfig} from '../1-manuscript/index.js';
import {STYLES_DIR} from '../project.js';

const POINTS_PER_MM = 72 / 25.4;

const length = z.string().transform((value, context) => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(mm|pt)\s*$/.exec(value);
  if (!match) {
    context.addIssue({code: 'custom', message: `“${value}” is not a length such as 10.5pt or 12mm`});
    return z.NEVER;
  }
  return match[2] === 'mm' ? Number(match[1]) * POINTS_PER_MM : Number(match[1]);
});
const share = z.number().gt(0).lt(1);

const pageRulesSchema = z.strictObject({
  'type-size': length,
  leading: z.number().min(1).max(3),
  'text-width': share,
  'text-height': share,
  'inner-share': share,
  'top-share': share,
  'minimum-margin': length,
  'minimum-top': length,
  'minimum-bottom': length,
});

export type PageRules = z.output<typeof pageRulesSchema>;

export async function readPageRules(file = path.join(STYLES_DIR, 'page.yaml')): Promise<PageRules> {
  const result = pageRulesSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!result.success) throw new Error(`${file}: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return result.data;
}

export interface PageGeometry {
  /** Trim size and bleed, in millimetres. */
  trim: {width: number; height: number};
  bleed: number;
  /** Body type size and line pitch, points; the pitch as a multiple of the size. */
  typeSize: number;
  line: number;
  leading: number;
  /** Characters a line and lines a page of body text (版面字数 = their product × pages). */
  charactersPerLine: number;
  linesPerPage: number;
  /** The text block, points: charactersPerLine × typeSize by linesPerPage × line. */
  textWidth: number;
  textHeight: number;
  /** Margins of a recto, millimetres (a verso mirrors inner and outer). */
  margins: {top: number; bottom: number; inner: number; outer: number};
}

/** Why the book's settings give no text block, and which key of book.yaml to point at. */
export class GeometryError extends Error {
  constructor(message: string, readonly key: string) {
    super(message);
  }
}

export function pageGeometry(config: Pick<BookConfig, 'trim' | 'bleed' | 'measure' | 'lines' | 'margins'>, rules: PageRules): PageGeometry {
  const {trim} = config;
  const typeSize = rules['type-size'];
  const line = typeSize * rules.leading;
  const width = trim.width * POINTS_PER_MM;
  const height = trim.height * POINTS_PER_MM;
  const minimum = rules['minimum-margin'];

  const [minimumTop, minimumBottom] = [rules['minimum-top'], rules['minimum-bottom']];
  const charactersPerLine = config.measure ?? Math.floor(Math.min(width * rules['text-width'], width - 2 * minimum) / typeSize);
  const linesPerPage = config.lines ?? Math.floor(Math.min(height * rules['text-height'], height - minimumTop - minimumBottom) / line);
  const textWidth = charactersPerLine * typeSize;
  const textHeight = linesPerPage * line;
  const across = width - textWidth;
  const down = height - textHeight;
  const sizeKey = config.measure ? 'measure' : 'trim';
  if (across < 2 * minimum) {
    throw new GeometryError(`${charactersPerLine} characters of ${typeSize}pt (${mm(textWidth)} mm) leave less than ${mm(minimum)} mm for each margin of a ${trim.width} mm wide page`, sizeKey);
  }
  if (down < minimumTop + minimumBottom) {
    throw new GeometryError(`${linesPerPage} lines of ${mm(line)} mm leave less than ${mm(minimumTop + minimumBottom)} mm for the top and bottom margins of a ${trim.height} mm high page`, config.lines ? 'lines' : 'trim');
  }
  const inner = config.margins?.inner !== undefined ? config.margins.inner * POINTS_PER_MM : across * rules['inner-share'];
  const top = config.margins?.top !== undefined ? config.margins.top * POINTS_PER_MM : Math.min(Math.max(down * rules['top-share'], minimumTop), down - minimumBottom);
  if (inner < minimum || across - inner < minimum) {
    throw new GeometryError(`an inner margin of ${mm(inner)} mm leaves ${mm(across - inner)} mm outside a text block of ${mm(textWidth)} mm; each margin needs ${mm(minimum)} mm`, 'margins');
  }
  if (top < minimumTop || down - top < minimumBottom) {
    throw new GeometryError(`a top margin of ${mm(top)} mm leaves ${mm(down - top)} mm below a text block of ${mm(textHeight)} mm; the top needs ${mm(minimumTop)} mm, the bottom ${mm(minimumBottom)} mm`, 'margins');
  }
  return {
    trim,
    bleed: config.bleed,
    typeSize,
    line,
    leading: rules.leading,
    charactersPerLine,
    linesPerPage,
    textWidth,
    textHeight,
    margins: {top: top / POINTS_PER_MM, bottom: (down - top) / POINTS_PER_MM, inner: inner / POINTS_PER_MM, outer: (across - inner) / POINTS_PER_MM},
  };
}

/**
 * The values the stylesheets read as var(--name): @page rules cannot use custom properties, so the build
 * writes them in. The text block is made a point taller than its lines: Chromium rounds page sizes to
 * 1/300 inch, and the last line must still fit (a whole further line never does).
 */
export function geometryVariables(geometry: PageGeometry): Record<string, string> {
  const millimetres = (value: number) => `${round(value)}mm`;
  const points = (value: number) => `${round(value)}pt`;
  return {
    '--trim-width': millimetres(geometry.trim.width),
    '--trim-height': millimetres(geometry.trim.height),
    '--bleed': millimetres(geometry.bleed),
    '--page-width': millimetres(geometry.trim.width + 2 * geometry.bleed),
    '--page-height': millimetres(geometry.trim.height + 2 * geometry.bleed),
    '--type-size': points(geometry.typeSize),
    '--leading': String(geometry.leading),
    '--line': points(geometry.line),
    '--text-width': points(geometry.textWidth),
    '--text-height': points(geometry.textHeight + TEXT_HEIGHT_ALLOWANCE),
    '--margin-top': millimetres(geometry.margins.top),
    '--margin-bottom': millimetres(geometry.margins.bottom - TEXT_HEIGHT_ALLOWANCE / POINTS_PER_MM),
    '--margin-inner': millimetres(geometry.margins.inner),
    '--margin-outer': millimetres(geometry.margins.outer),
  };
}

/** Points added to the text block's height in the stylesheets (see geometryVariables). */
export const TEXT_HEIGHT_ALLOWANCE = 1;

function round(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function mm(points: number): string {
  return String(Math.round((points / POINTS_PER_MM) * 10) / 10);
}
