// The book's typefaces (styles/fonts.yaml), subset to exactly the characters the book uses. The same
// subset files serve the HTML, the PDF (Chromium embeds them as CID TrueType) and the EPUB. A character
// that no face has is reported: Chromium would otherwise draw it with some system font, or as Type 3.
import {readFile, stat} from 'node:fs/promises';
import {createRequire} from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';
import subsetFont from 'subset-font';
import * as woff2 from 'wawoff2';
import {parse as parseYaml} from 'yaml';
import {z} from 'zod';
import type {Cache} from '../cache.js';
import {renameFont, type FaceNames} from './font-names.js';

const sourceSchema = z.union([
  z.string().min(1),
  z.strictObject({
    file: z.string().min(1),
    /** The family's real name, written into the subsets when the file's own name table is wrong. */
    name: z.string().min(1),
  }),
]);

const faceSchema = z.strictObject({
  family: z.string().min(1),
  weight: z.number().int().min(100).max(900),
  style: z.enum(['normal', 'italic']).default('normal'),
  /** Take only these characters from this face (a punctuation face for a font with narrow quotes). */
  characters: z.string().min(1).optional(),
  /** Embed this face in the EPUB too (reading systems bring their own fonts for the rest). */
  epub: z.boolean().default(false),
  sources: z.array(sourceSchema).min(1),
});

export type FaceSpec = z.output<typeof faceSchema>;

export interface SubsetFontFile {
  family: string;
  weight: number;
  style: string;
  /** File name in the outputs' fonts/ folder. */
  fileName: string;
  /** Embedded in the EPUB as well. */
  epub: boolean;
  data: Uint8Array;
  codePoints: number[];
}

export interface FontSubsets {
  files: SubsetFontFile[];
  /** Characters used by the book that none of the faces has: single characters, or a letter with its combining marks. */
  missing: string[];
  /** Font files that styles/fonts.yaml names in this project but that are not there (`npm run setup` makes them). */
  absent: string[];
}

interface SourceFile {
  file: string;
  ranges?: [number, number][];
  /** Names written into the subsets of this file. */
  rename?: string;
}

export async function readFaceSpecs(configFile: string): Promise<FaceSpec[]> {
  return z.array(faceSchema).parse(parseYaml(await readFile(configFile, 'utf8')));
}

/**
 * Characters that text layout handles and that no font is asked for: control characters (line feeds,
 * tabs), and the default-ignorable ones: zero-width space and joiners, word joiner, soft hyphen, bidi
 * marks and controls, variation selectors, the byte-order mark. A browser's shaper (harfbuzz) makes
 * them invisible whether the font has them or not.
 */
const LAYOUT_ONLY = /[\p{Cc}\p{Default_Ignorable_Code_Point}]/u;

export function isLayoutOnly(character: string): boolean {
  return LAYOUT_ONLY.test(character);
}

const SOFT_HYPHEN = '\u00AD';
/** What a browser draws where a line breaks at a soft hyphen: U+2010, or U+002D where the font lacks it. */
const HYPHENS = '\u2010-';

/**
 * The units of text that a font file must set whole: each character, and each letter followed by
 * combining marks (ê̄, a base and U+0304 without a precomposed form). Chromium sets a letter and its
 * marks from one font file, so both must be in the same subset. Sorted by code point.
 */
export function fontUnits(text: string): string[] {
  const distinct = new Set(text.includes(SOFT_HYPHEN) ? text + HYPHENS : text);
  const units = new Set([...distinct].filter((character) => !LAYOUT_ONLY.test(character)));
  if ([...units].some((character) => /\p{M}/u.test(character))) {
    const visible = text.replace(new RegExp(LAYOUT_ONLY.source, 'gu'), '');
    for (const [cluster] of visible.matchAll(/\P{M}\p{M}+/gu)) units.add(cluster);
  }
  return [...units].sort(byCodePoints);
}

function byCodePoints(a: string, b: string): number {
  const [left, right] = [[...a], [...b]];
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const difference = left[index]!.codePointAt(0)! - right[index]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

export async function subsetFonts(faces: FaceSpec[], text: string, projectRoot: string, cache?: Cache): Promise<FontSubsets> {
  const units = fontUnits(text);
  const invisible = [...new Set(text)].filter((character) => /\p{Default_Ignorable_Code_Point}/u.test(character)).sort(byCodePoints);
  const covered = new Set<string>();
  const absent = new Set<string>();
  const files: SubsetFontFile[] = [];
  for (const face of faces) {
    const wanted = face.characters ? units.filter((unit) => [...unit].every((character) => face.characters!.includes(character))) : units;
    const sources = await faceSources(face, projectRoot);
    for (const file of sources.absent) absent.add(file);
    // The files that are there are part of the key: a face set up later sets more characters.
    const key = cache?.key(JSON.stringify(face), JSON.stringify(sources.present.map((source) => source.file)), wanted.join('\n'), invisible.join(''));
    let subsets = key ? await cache!.getJson<CachedSubset[]>('fonts', key) : undefined;
    if (!subsets) {
      subsets = await subsetFace(face, sources.present, wanted, invisible, cache);
      if (key) cache!.setJson('fonts', key, subsets);
    }
    const slug = face.family.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    subsets.forEach((subset, index) => {
      const sets = setter(subset);
      for (const unit of wanted) if (sets(unit)) covered.add(unit);
      files.push({
        family: face.family,
        weight: face.weight,
        style: face.style,
        fileName: `${slug}-${face.weight}${face.style === 'italic' ? 'i' : ''}-${index + 1}.ttf`,
        epub: face.epub,
        data: new Uint8Array(Buffer.from(subset.data, 'base64')),
        codePoints: subset.codePoints,
      });
    });
  }
  return {files, missing: units.filter((unit) => !covered.has(unit)), absent: [...absent]};
}

interface CachedSubset {
  codePoints: number[];
  /** The letters with combining marks that this file sets whole, marks in place. */
  clusters?: string[];
  /** TrueType, base64. */
  data: string;
}

/** Whether a subset sets a unit: a character it claims, or a letter with marks it sets whole. */
function setter(subset: CachedSubset): (unit: string) => boolean {
  const codePoints = new Set(subset.codePoints);
  const clusters = new Set(subset.clusters);
  return (unit) => ([...unit].length === 1 ? codePoints.has(unit.codePointAt(0)!) : clusters.has(unit));
}

/**
 * One face subset to `wanted`, taking each unit from the first source file that has it. Harfbuzz
 * keeps only the characters a file has, so the subset itself tells what the file covered — the big
 * files are never decoded a second time just to read their character maps.
 */
async function subsetFace(face: FaceSpec, sources: SourceFile[], wanted: string[], invisible: string[], cache?: Cache): Promise<CachedSubset[]> {
  const remaining = new Set(wanted);
  // The format characters of the text (zero-width space, bidi marks…) are claimed by the face's first
  // file. A browser makes them invisible with whichever font it sets them in, but one that no file of
  // the family claims sends it looking through the machine's fonts (seen: an RLM set in DejaVu Serif).
  let unclaimed = invisible;
  const subsets: CachedSubset[] = [];
  for (const source of sources) {
    const candidates = [...remaining].filter((unit) => !source.ranges || [...unit].every((character) => inRanges(character.codePointAt(0)!, source.ranges!)));
    if (candidates.length === 0) continue;
    // Kept per source file too: a new character in the manuscript remakes only the subsets of the
    // files that have it, not the whole face.
    const identity = cache ? await stat(source.file).then((file) => `${source.file} ${file.size} ${file.mtimeMs}`) : '';
    const names = source.rename ? {family: source.rename, weight: face.weight, style: face.style} : undefined;
    const key = cache?.key(identity, JSON.stringify(names ?? null), candidates.join('\n'), unclaimed.join(''));
    let parts = key ? await cache!.getJson<CachedSubset[]>('font-slices', key) : undefined;
    if (!parts) {
      parts = await subsetSource(await sourceFont(source.file, cache), candidates, names, unclaimed);
      if (key) cache!.setJson('font-slices', key, parts);
    }
    if (parts.length > 0) unclaimed = [];
    for (const part of parts) {
      const sets = setter(part);
      for (const unit of candidates) if (sets(unit)) remaining.delete(unit);
    }
    subsets.push(...parts);
    if (remaining.size === 0) break;
  }
  return withoutSharedCharacters(subsets);
}

/**
 * A letter set with its marks by a later file (ê̄ from Noto CJK) is claimed by that file alone: where
 * two files of one family claim a character, the browser may take either, and the earlier one may
 * have the letter but not set the marks over it.
 */
function withoutSharedCharacters(subsets: CachedSubset[]): CachedSubset[] {
  const claimed = new Set<number>();
  for (const subset of subsets) for (const cluster of subset.clusters ?? []) for (const codePoint of clusterCodePoints(cluster)) claimed.add(codePoint);
  if (claimed.size === 0) return subsets;
  return subsets
    .map((subset) => {
      const own = new Set((subset.clusters ?? []).flatMap(clusterCodePoints));
      return {...subset, codePoints: subset.codePoints.filter((codePoint) => own.has(codePoint) || !claimed.has(codePoint))};
    })
    .filter((subset) => subset.codePoints.length > 0);
}

/** A cluster's characters and its precomposed form: the browser must find them all in one file. */
function clusterCodePoints(cluster: string): number[] {
  const composed = cluster.normalize('NFC');
  return [...new Set([...cluster, ...([...composed].length === 1 ? [composed] : [])])].map((character) => character.codePointAt(0)!);
}

/**
 * A source font subset to the units it has of `units`, renamed as `names` says. Harfbuzz's WebAssembly
 * build has 65 MB of memory for the source font and the subset together: when a large subset of a large
 * font does not fit, it fails (or, seen with a 51 MB font, returns a truncated font), and the units are
 * subset in two halves, each a file of its own.
 */
async function subsetSource(source: Uint8Array, units: string[], names?: FaceNames, invisible: string[] = []): Promise<CachedSubset[]> {
  // A letter with marks may be set from its precomposed form (harfbuzz composes when the font has it).
  const composed = units.filter((unit) => [...unit].length > 1).map((unit) => unit.normalize('NFC')).filter((form) => [...form].length === 1);
  // With the format characters goes the space, which harfbuzz draws them with (at no width).
  const characters = [...new Set([...units, ...composed, ...invisible, ...(invisible.length > 0 ? [' '] : [])].join(''))].sort(byCodePoints).join('');
  const data = await subsetFont(Buffer.from(source), characters, {targetFormat: 'truetype'}).catch(() => undefined);
  const font = data && (fontkit.create(Buffer.from(data)) as fontkit.Font);
  if (!data || !font || !isWhole(font)) {
    if (units.length < 2) throw new Error(`harfbuzz could not subset a font to “${units.join('')}”`);
    const half = Math.ceil(units.length / 2);
    return [...(await subsetSource(source, units.slice(0, half), names, invisible)), ...(await subsetSource(source, units.slice(half), names))];
  }
  const inFont = characterSet(font);
  const clusters = units.filter((unit) => [...unit].length > 1 && setsCluster(font, unit, inFont));
  // The file claims (in its unicode-range) the characters it sets, and the whole of each cluster it sets.
  const singles = units.filter((unit) => [...unit].length === 1).map((unit) => unit.codePointAt(0)!).filter((codePoint) => inFont.has(codePoint));
  if (singles.length === 0 && clusters.length === 0) return [];
  const codePoints = [...new Set([...singles, ...clusters.flatMap(clusterCodePoints), ...invisible.map((character) => character.codePointAt(0)!)])].sort((a, b) => a - b);
  return [{codePoints, ...(clusters.length > 0 ? {clusters} : {}), data: Buffer.from(names ? renameFont(data, names) : data).toString('base64')}];
}

/** The glyph data reaches as far as the glyph index says (a truncated subset does not). */
function isWhole(font: fontkit.Font): boolean {
  const glyf = (font as fontkit.Font & {directory: {tables: Record<string, {length: number} | undefined>}}).directory.tables.glyf;
  const offsets = (font as fontkit.Font & {loca?: {offsets: number[]}}).loca?.offsets;
  return !glyf || !offsets || offsets.length === 0 || offsets[offsets.length - 1]! <= glyf.length;
}

/**
 * The characters a subset has. Harfbuzz leaves a character map without subtables when the file had
 * none of the characters asked for, which fontkit cannot read: that is an empty set.
 */
function characterSet(font: fontkit.Font): Set<number> {
  if (!(font as fontkit.Font & {cmap?: {tables?: unknown[]}}).cmap?.tables?.length) return new Set();
  return new Set(font.characterSet);
}

/**
 * Whether the font sets a letter with its combining marks as one: from a precomposed glyph, from a
 * ligature of its own (Noto CJK composes Pinyin's ê̄ and m̀ in `ccmp`), or with each mark placed over
 * the letter (mark positioning). The CJK faces' Latin marks are spacing glyphs that would stand beside
 * the letter (e´): a file like that does not count, and the next source is tried.
 */
function setsCluster(font: fontkit.Font, cluster: string, inFont: Set<number>): boolean {
  const composed = cluster.normalize('NFC');
  if (![...composed].every((character) => inFont.has(character.codePointAt(0)!))) return false;
  if ([...composed].length === 1) return true;
  // Right-to-left scripts are laid out in visual order; their marks are the font's own business.
  if (/\p{Script=Arabic}|\p{Script=Hebrew}|\p{Script=Syriac}|\p{Script=Thaana}/u.test(composed)) return true;
  const run = font.layout(composed);
  if (run.glyphs.length === 1) return true;
  const base = run.positions[0]!.xAdvance;
  let pen = base;
  return run.glyphs.slice(1).every((glyph, index) => {
    const position = run.positions[index + 1]!;
    const box = glyph.bbox;
    const centre = pen + position.xOffset + (box.minX + box.maxX) / 2;
    pen += position.xAdvance;
    return Number.isFinite(centre) && centre > 0 && centre < base;
  });
}

/**
 * A source font as TrueType. Harfbuzz subsets TrueType ten times faster than WOFF2, and decoding the
 * WOFF2 once (wawoff2, kept in the cache) costs less than letting harfbuzz decode it on every subset.
 */
async function sourceFont(file: string, cache?: Cache): Promise<Uint8Array> {
  const data = await readFile(file);
  if (!file.endsWith('.woff2')) return data;
  const key = cache?.key(data);
  const cached = key ? await cache!.get('font-sources', key) : undefined;
  if (cached && isSfnt(cached)) return cached;
  // wawoff2 returns a view of its WebAssembly memory, which its next call overwrites: copied at once.
  const decoded = new Uint8Array(await woff2.decompress(data));
  if (key) cache!.set('font-sources', key, decoded);
  return decoded;
}

/** TrueType or OpenType data, by its first four bytes: a cache entry that is anything else is a miss. */
function isSfnt(data: Uint8Array): boolean {
  const tag = Buffer.from(data.subarray(0, 4)).toString('latin1');
  return tag === '\0\x01\0\0' || tag === 'OTTO' || tag === 'true';
}

function inRanges(codePoint: number, ranges: [number, number][]): boolean {
  return ranges.some(([from, to]) => codePoint >= from && codePoint <= to);
}

/**
 * The faces the subset files come from, one line each: with the pinned font packages, what a rendering
 * depends on (the subsets change with every new character of the book, the glyphs do not).
 */
export function faceList(fonts: SubsetFontFile[]): string {
  return [...new Set(fonts.map((font) => `${font.family} ${font.weight} ${font.style}`))].join('\n');
}

/**
 * The @font-face rules for the subset files, with URLs relative to the stylesheet. Every face gets the
 * first face's ascent and descent (the body face's, of styles/fonts.yaml): a line's baseline sits where
 * its font's metrics put it, so the 楷体 of the commentary, whose are other, would put its lines 1.5 pt
 * off the body's grid. With one set of metrics, lines of every face on the grid have their baselines on it.
 */
export function fontFaceCss(fonts: SubsetFontFile[], urlPrefix: string): string {
  const metrics = fonts[0] && lineMetrics(fonts[0].data);
  return fonts
    .map((font) => [
      '@font-face {',
      `  font-family: "${font.family}";`,
      `  font-weight: ${font.weight};`,
      `  font-style: ${font.style};`,
      `  src: url("${urlPrefix}${font.fileName}") format("truetype");`,
      `  unicode-range: ${unicodeRange(font.codePoints)};`,
      ...(metrics ? [`  ascent-override: ${metrics.ascent}%;`, `  descent-override: ${metrics.descent}%;`, '  line-gap-override: 0%;'] : []),
      '}',
    ].join('\n'))
    .join('\n');
}

/** A face's ascent and descent (its hhea table's, as FreeType reads them), in percent of its em. */
function lineMetrics(data: Uint8Array): {ascent: number; descent: number} {
  const font = fontkit.create(Buffer.from(data)) as fontkit.Font;
  const percent = (value: number) => Math.round((value / font.unitsPerEm) * 100000) / 1000;
  return {ascent: percent(font.ascent), descent: percent(-font.descent)};
}

function unicodeRange(codePoints: number[]): string {
  const sorted = [...codePoints].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let index = 0; index < sorted.length; ) {
    let end = index;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    const hex = (value: number) => value.toString(16).toUpperCase();
    ranges.push(end === index ? `U+${hex(sorted[index]!)}` : `U+${hex(sorted[index]!)}-${hex(sorted[end]!)}`);
    index = end + 1;
  }
  return ranges.join(', ');
}

/** Every character a face can set from its files that are there (for the tests and for reports). */
export async function faceCharacters(face: FaceSpec, projectRoot: string): Promise<Set<number>> {
  const characters = new Set<number>();
  for (const source of (await faceSources(face, projectRoot)).present) {
    const font = fontkit.create(Buffer.from(await sourceFont(source.file))) as fontkit.Font;
    for (const codePoint of characterSet(font)) if (!source.ranges || inRanges(codePoint, source.ranges)) characters.add(codePoint);
  }
  return characters;
}

/**
 * The font files of a face, best first. A source is a package's @font-face stylesheet (its files and
 * their unicode ranges), a package's font file, or a font file of this project (`./fonts/…`, made by
 * `npm run setup`): one of those that is not there only leaves its characters to be reported missing.
 */
async function faceSources(face: FaceSpec, projectRoot: string): Promise<{present: SourceFile[]; absent: string[]}> {
  const present: SourceFile[] = [];
  const absent: string[] = [];
  for (const spec of face.sources) {
    const {file, name} = typeof spec === 'string' ? {file: spec, name: undefined} : spec;
    const resolved = file.startsWith('./') ? path.resolve(projectRoot, file) : resolvePackageFile(file, projectRoot);
    if (file.startsWith('./') && !(await isFile(resolved))) {
      absent.push(file);
      continue;
    }
    const files = resolved.endsWith('.css') ? await readFontFaceSources(resolved) : [{file: resolved}];
    present.push(...files.map((source) => ({...source, rename: name})));
  }
  return {present, absent};
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((entry) => entry.isFile(), () => false);
}

/** The font files and unicode ranges of an @font-face stylesheet. */
async function readFontFaceSources(cssFile: string): Promise<SourceFile[]> {
  const css = await readFile(cssFile, 'utf8');
  const sources: SourceFile[] = [];
  for (const rule of css.match(/@font-face\s*{[^}]*}/g) ?? []) {
    const url = /url\(\s*['"]?([^'")]+\.(?:woff2|woff|ttf|otf))['"]?\s*\)/.exec(rule)?.[1];
    if (!url) continue;
    const range = /unicode-range:\s*([^;}]+)/.exec(rule)?.[1];
    sources.push({file: path.resolve(path.dirname(cssFile), url), ranges: range ? parseUnicodeRange(range) : undefined});
  }
  return sources;
}

function parseUnicodeRange(value: string): [number, number][] {
  return value.split(',').map((part) => {
    const [from, to] = part.trim().replace(/^U\+/i, '').split('-');
    return [parseInt(from!, 16), parseInt(to ?? from!, 16)];
  });
}

function resolvePackageFile(specifier: string, projectRoot: string): string {
  try {
    return createRequire(path.join(projectRoot, 'package.json')).resolve(specifier);
  } catch {
    // Packages whose "exports" hide their CSS files: they are still in node_modules.
    return path.join(projectRoot, 'node_modules', specifier);
  }
}
