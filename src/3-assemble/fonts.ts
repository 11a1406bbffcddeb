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

const faceSchema = z.strictObject({
  family: z.string().min(1),
  weight: z.number().int().min(100).max(900),
  style: z.enum(['normal', 'italic']).default('normal'),
  /** Take only these characters from this face (a punctuation face for a font with narrow quotes). */
  characters: z.string().min(1).optional(),
  /** Embed this face in the EPUB too (reading systems bring their own fonts for the rest). */
  epub: z.boolean().default(false),
  sources: z.array(z.string().min(1)).min(1),
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
  /** Characters used by the book that none of the faces has. */
  missing: string[];
}

interface SourceFile {
  file: string;
  ranges?: [number, number][];
}

export async function readFaceSpecs(configFile: string): Promise<FaceSpec[]> {
  return z.array(faceSchema).parse(parseYaml(await readFile(configFile, 'utf8')));
}

// Not drawn: line ends, and the soft hyphen (drawn as a hyphen where a line breaks at it; see EXTRA_CHARACTERS).
const IGNORED = new Set(['\n', '\r', '\t', '\u00AD']);

export async function subsetFonts(faces: FaceSpec[], text: string, projectRoot: string, cache?: Cache): Promise<FontSubsets> {
  const characters = [...new Set(text)].filter((character) => !IGNORED.has(character)).sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const covered = new Set<string>();
  const files: SubsetFontFile[] = [];
  for (const face of faces) {
    const wanted = face.characters ? characters.filter((character) => face.characters!.includes(character)) : characters;
    const key = cache?.key(JSON.stringify(face), wanted.join(''));
    let subsets = key ? await cache!.getJson<CachedSubset[]>('fonts', key) : undefined;
    if (!subsets) {
      subsets = await subsetFace(face, wanted, projectRoot, cache);
      if (key) cache!.setJson('fonts', key, subsets);
    }
    const slug = face.family.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    subsets.forEach((subset, index) => {
      for (const codePoint of subset.codePoints) covered.add(String.fromCodePoint(codePoint));
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
  return {files, missing: characters.filter((character) => !covered.has(character))};
}

interface CachedSubset {
  codePoints: number[];
  /** TrueType, base64. */
  data: string;
}

/**
 * One face subset to `wanted`, taking each character from the first source file that has it. Harfbuzz
 * keeps only the characters a file has, so the subset itself tells what the file covered — the big
 * WOFF2 files are never decoded a second time just to read their character maps.
 */
async function subsetFace(face: FaceSpec, wanted: string[], projectRoot: string, cache?: Cache): Promise<CachedSubset[]> {
  const sources = (await Promise.all(face.sources.map((css) => readFontFaceSources(css, projectRoot)))).flat();
  const remaining = new Set(wanted);
  const subsets: CachedSubset[] = [];
  for (const source of sources) {
    const candidates = [...remaining].filter((character) => !source.ranges || inRanges(character.codePointAt(0)!, source.ranges));
    if (candidates.length === 0) continue;
    // Kept per source file too: a new character in the manuscript remakes only the subsets of the
    // files that have it, not the whole face.
    const identity = cache ? await stat(source.file).then((file) => `${source.file} ${file.size} ${file.mtimeMs}`) : '';
    const key = cache?.key(identity, candidates.join(''));
    let subset = key ? await cache!.getJson<CachedSubset | null>('font-slices', key) : undefined;
    if (subset === undefined) {
      const data = await subsetFont(Buffer.from(await sourceFont(source.file, cache)), candidates.join(''), {targetFormat: 'truetype'});
      const font = fontkit.create(data) as fontkit.Font;
      const got = candidates.filter((character) => font.hasGlyphForCodePoint(character.codePointAt(0)!));
      subset = got.length === 0 ? null : {codePoints: got.map((character) => character.codePointAt(0)!), data: Buffer.from(data).toString('base64')};
      if (key) cache!.setJson('font-slices', key, subset);
    }
    if (!subset) continue;
    for (const codePoint of subset.codePoints) remaining.delete(String.fromCodePoint(codePoint));
    subsets.push(subset);
    if (remaining.size === 0) break;
  }
  return subsets;
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

/** The font files and unicode ranges of a package's @font-face stylesheet. */
async function readFontFaceSources(cssSpecifier: string, projectRoot: string): Promise<SourceFile[]> {
  const cssFile = resolvePackageFile(cssSpecifier, projectRoot);
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
