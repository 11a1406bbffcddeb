// The book's typefaces (styles/fonts.yaml), subset to exactly the characters the book uses. The same
// subset files serve the HTML, the PDF (Chromium embeds them as CID TrueType) and the EPUB. A character
// that no face has is reported: Chromium would otherwise draw it with some system font, or as Type 3.
import {readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';
import subsetFont from 'subset-font';
import {parse as parseYaml} from 'yaml';
import {z} from 'zod';

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

const IGNORED = new Set(['\n', '\r', '\t']);

export async function subsetFonts(faces: FaceSpec[], text: string, projectRoot: string): Promise<FontSubsets> {
  const characters = [...new Set(text)].filter((character) => !IGNORED.has(character)).sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const covered = new Set<string>();
  const files: SubsetFontFile[] = [];
  const fontCache = new Map<string, Promise<{data: Buffer; font: fontkit.Font}>>();
  const open = (file: string) => {
    let loaded = fontCache.get(file);
    if (!loaded) {
      loaded = readFile(file).then((data) => ({data, font: fontkit.create(data) as fontkit.Font}));
      fontCache.set(file, loaded);
    }
    return loaded;
  };

  for (const face of faces) {
    const sources = (await Promise.all(face.sources.map((css) => readFontFaceSources(css, projectRoot)))).flat();
    const assigned = new Map<string, string[]>();
    for (const character of characters) {
      if (face.characters && !face.characters.includes(character)) continue;
      const codePoint = character.codePointAt(0)!;
      for (const source of sources) {
        if (source.ranges && !source.ranges.some(([from, to]) => codePoint >= from && codePoint <= to)) continue;
        const {font} = await open(source.file);
        if (!font.hasGlyphForCodePoint(codePoint)) continue;
        (assigned.get(source.file) ?? assigned.set(source.file, []).get(source.file)!).push(character);
        covered.add(character);
        break;
      }
    }
    let part = 0;
    for (const [file, subset] of assigned) {
      const {data} = await open(file);
      const subsetData = await subsetFont(data, subset.join(''), {targetFormat: 'truetype'});
      const slug = face.family.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      files.push({
        family: face.family,
        weight: face.weight,
        style: face.style,
        fileName: `${slug}-${face.weight}${face.style === 'italic' ? 'i' : ''}-${++part}.ttf`,
        epub: face.epub,
        data: new Uint8Array(subsetData),
        codePoints: subset.map((character) => character.codePointAt(0)!),
      });
    }
  }
  return {files, missing: characters.filter((character) => !covered.has(character))};
}

/** The @font-face rules for the subset files, with URLs relative to the stylesheet. */
export function fontFaceCss(fonts: SubsetFontFile[], urlPrefix: string): string {
  return fonts
    .map((font) => [
      '@font-face {',
      `  font-family: "${font.family}";`,
      `  font-weight: ${font.weight};`,
      `  font-style: ${font.style};`,
      `  src: url("${urlPrefix}${font.fileName}") format("truetype");`,
      `  unicode-range: ${unicodeRange(font.codePoints)};`,
      '}',
    ].join('\n'))
    .join('\n');
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
