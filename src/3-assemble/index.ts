// Stage 3: chapters → the typeset book as one HTML page (title page, 版权页, front chapters, table of
// contents, cases) with its assets: stylesheets, fonts subset to the book's characters, images. Knows
// the book's structure; nothing of PDF or EPUB.
import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {fromHtml} from 'hast-util-from-html';
import {toHtml} from 'hast-util-to-html';
import {toString} from 'hast-util-to-string';
import {VFile} from 'vfile';
import type {BookConfig, Manuscript} from '../1-manuscript/index.js';
import type {ChapterContent, Heading, ImageAsset} from '../2-markdown/index.js';
import type {Cache} from '../cache.js';
import {characterPoint, reportError} from '../messages.js';
import {PROJECT_ROOT, STYLES_DIR} from '../project.js';
import {fontFaceCss, readFaceSpecs, subsetFonts, type SubsetFontFile} from './fonts.js';
import {GeometryError, geometryVariables, pageGeometry, readPageRules, type PageGeometry} from './geometry.js';
import {paperFormat, sourceLine, wordCountLabel} from './imprint.js';
import rehypeBindDashes from './rehype-bind-dashes.js';
import rehypeTitleBreaks from './rehype-title-breaks.js';
import {forgetTemplates, renderTemplate} from './templates.js';
import {unified} from 'unified';

export {TemplateError} from './templates.js';
export {printSheets} from './imprint.js';
export {TEXT_HEIGHT_ALLOWANCE, type PageGeometry} from './geometry.js';

export type PartKind = 'half-title' | 'title-page' | 'copyright-page' | 'front' | 'toc' | 'case';

export interface BookPart {
  /** The id of the part's top element in the HTML; also its EPUB file name. */
  id: string;
  kind: PartKind;
  title: string;
  /** Over its rectos, in print: the chapter's short-title (书眉), else its title. */
  runningHead?: string;
  /** The part as an HTML fragment. */
  html: string;
  /** Its text, for the fonts and the 字数. */
  text: string;
  /** Starts on a right-hand page in print (a blank verso is inserted before it when needed). */
  startsOnRecto: boolean;
  /** Pages of this part carry running heads and folios (never on its opening page). */
  hasRunningHeads: boolean;
  headings: Heading[];
}

export interface Asset {
  /** Path relative to the HTML page (styles/base.css, fonts/…, images/…). */
  path: string;
  data: Uint8Array | string;
  mediaType: string;
}

export interface AssembledBook {
  config: BookConfig;
  parts: BookPart[];
  /** index.html: the whole book for print. */
  html: string;
  /** Files the HTML refers to; the EPUB takes the fonts and images from here. */
  assets: Asset[];
  fonts: SubsetFontFile[];
  images: ImageAsset[];
  geometry: PageGeometry;
  /** Every character of the book's text, for the fonts. */
  text: string;
  /** 字数 as the 版权页 gives it (written into its data-word-count box, not into its HTML). */
  wordCount: string;
}

export interface AssembleResult {
  book?: AssembledBook;
  files: VFile[];
}

/** Print rules per kind of part. */
const PART_RULES: Record<PartKind, {startsOnRecto: boolean; hasRunningHeads: boolean}> = {
  'half-title': {startsOnRecto: true, hasRunningHeads: false},
  'title-page': {startsOnRecto: true, hasRunningHeads: false},
  'copyright-page': {startsOnRecto: false, hasRunningHeads: false},
  front: {startsOnRecto: true, hasRunningHeads: true},
  toc: {startsOnRecto: true, hasRunningHeads: true},
  case: {startsOnRecto: true, hasRunningHeads: true},
};

/**
 * Characters printed besides the text: folios (arabic and roman), the 印张 (0.75), the emphasis dot
 * (着重号) and the ellipsis of a running head cut short.
 */
const EXTRA_CHARACTERS = '0123456789.ivxlcdm\u25CF…';

const STYLESHEETS = ['styles/fonts.css', 'styles/base.css', 'styles/print.css'];

export interface AssembleOptions {
  /** Keeps font subsets and typeset parts between builds. */
  cache?: Cache;
}

export async function assembleBook(manuscript: Manuscript, chapters: ChapterContent[], options: AssembleOptions = {}): Promise<AssembleResult> {
  forgetTemplates();
  const config = manuscript.book;
  let geometry: PageGeometry;
  try {
    geometry = pageGeometry(config, await readPageRules());
  } catch (error) {
    if (!(error instanceof GeometryError)) throw error;
    reportError(manuscript.bookFile, error.message, manuscript.bookPosition([error.key]), 'page-geometry',
      'Choose another trim size, or set measure (characters a line), lines (a page) or margins in book.yaml.');
    return {files: []};
  }
  const chapterParts = await Promise.all(chapters.map((content) => chapterPart(content, options.cache)));
  const front = chapterParts.filter((part) => part.kind === 'front');
  const cases = chapterParts.filter((part) => part.kind === 'case');
  const parts: BookPart[] = [
    ...(config.halftitle ? [await templatePart('half-title', config.title, 'parts/half-title.html.ejs', {book: config}, options.cache)] : []),
    await templatePart('title-page', config.title, 'parts/title-page.html.ejs', {book: config}, options.cache),
    await templatePart('copyright-page', '版权页', 'parts/copyright-page.html.ejs', {
      book: config,
      format: paperFormat(config.trim),
      isbn: config.identifier?.kind === 'isbn' ? config.identifier.display : undefined,
    }, options.cache),
    ...front,
    await templatePart('toc', '目录', 'parts/toc.html.ejs', {
      book: config,
      entries: [...front, ...cases].map((part) => ({
        id: part.id,
        kind: part.kind,
        title: part.title,
        sections: config.toc === 'sections' ? part.headings.filter((heading) => heading.depth === 2) : [],
      })),
    }, options.cache),
    ...cases,
  ];

  const creators = [...(config.authors ?? []), ...(config.editors ?? [])];
  const cover = await typeset(await renderTemplate('cover.html.ejs', {book: config, creators}), {document: true, cache: options.cache});
  const stylesheets = await readStylesheets(geometry);
  const text = parts.map((part) => part.text).join('\n');
  const wordCount = wordCountLabel(chapterParts.map((part) => part.text).join(''));
  const fontText = text + wordCount + cover.text + EXTRA_CHARACTERS + stylesheets.generatedText;
  const fonts = await subsetFonts(await readFaceSpecs(path.join(STYLES_DIR, 'fonts.yaml')), fontText, PROJECT_ROOT, options.cache);
  const files: VFile[] = [];
  for (const unit of fonts.missing) reportMissingGlyph(unit, fonts.absent, manuscript, chapters, files);
  if (fonts.missing.length > 0) return {files};

  const images = uniqueImages(chapters);
  const assets: Asset[] = [
    {path: 'cover.html', data: cover.html, mediaType: 'text/html'},
    {path: 'styles/fonts.css', data: fontFaceCss(fonts.files, '../fonts/'), mediaType: 'text/css'},
    ...stylesheets.files,
    ...fonts.files.map((font) => ({path: `fonts/${font.fileName}`, data: font.data, mediaType: 'font/ttf'})),
    ...images.map((image) => ({path: `images/${image.name}`, data: image.data, mediaType: image.mediaType})),
  ];
  const html = await renderTemplate('book.html.ejs', {book: config, creators, parts, stylesheets: STYLESHEETS});
  return {files, book: {config, parts, html, assets, fonts: fonts.files, images, geometry, text, wordCount}};
}

async function chapterPart(content: ChapterContent, cache?: Cache): Promise<BookPart> {
  const {chapter} = content;
  const html = await renderTemplate('parts/chapter.html.ejs', {
    id: chapter.id,
    kind: chapter.kind,
    meta: chapter.meta,
    source: chapter.meta.source ? sourceLine(chapter.meta.source, chapter.meta.date) : undefined,
    body: content.html,
  });
  return {
    id: chapter.id,
    kind: chapter.kind,
    title: chapter.meta.title,
    runningHead: chapter.meta['short-title'] ?? chapter.meta.title,
    ...(await typeset(html, {cache})),
    headings: content.headings,
    ...PART_RULES[chapter.kind],
  };
}

async function templatePart(kind: PartKind, title: string, template: string, data: Record<string, unknown>, cache?: Cache): Promise<BookPart> {
  const html = await renderTemplate(template, {id: kind, ...data});
  return {id: kind, kind, title, runningHead: title, ...(await typeset(html, {cache})), headings: [], ...PART_RULES[kind]};
}

/**
 * Line-breaking fixes that apply to the whole part, the template's text (titles) included. Kept in the
 * cache by the HTML they are made from: parsing and writing each part again took a rebuild 0.5 s at 50 cases.
 */
async function typeset(html: string, options: {document?: boolean; cache?: Cache} = {}): Promise<{html: string; text: string}> {
  const key = options.cache?.key('typeset', options.document ? 'document' : 'fragment', html);
  const cached = key ? await options.cache!.getJson<{html: string; text: string}>('typeset', key) : undefined;
  if (cached) return cached;
  const tree = fromHtml(html, {fragment: !options.document});
  typography.runSync(tree);
  const result = {html: toHtml(tree), text: toString(tree)};
  if (key) options.cache!.setJson('typeset', key, result);
  return result;
}

const typography = unified().use(rehypeTitleBreaks, {classNames: ['toc-text']}).use(rehypeBindDashes).freeze();

/**
 * The stylesheets in styles/, with the page geometry filled in: `var(--page-width)` and friends cannot
 * be used inside @page, so the build writes the values there.
 */
async function readStylesheets(geometry: PageGeometry): Promise<{files: Asset[]; generatedText: string}> {
  const values = geometryVariables(geometry);
  const names = (await readdir(STYLES_DIR)).filter((name) => name.endsWith('.css')).sort();
  const files: Asset[] = [];
  let generatedText = '';
  for (const name of names) {
    const css = (await readFile(path.join(STYLES_DIR, name), 'utf8')).replace(/var\((--[a-z-]+)\)/g, (whole, variable: string) => values[variable] ?? whole);
    for (const match of css.matchAll(/content:\s*([^;}]*)/g)) generatedText += match[1]!.replace(/\\([0-9a-f]{1,6})\s?/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)));
    files.push({path: `styles/${name}`, data: css, mediaType: 'text/css'});
  }
  return {files, generatedText};
}

function uniqueImages(chapters: ChapterContent[]): ImageAsset[] {
  const byName = new Map<string, ImageAsset>();
  for (const content of chapters) for (const image of content.images) byName.set(image.name, image);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Points at the first place the character (or letter with its combining marks) is written: a chapter,
 * book.yaml, else a style or template. Columns count characters, as an editor's does.
 */
function reportMissingGlyph(unit: string, absent: string[], manuscript: Manuscript, chapters: ChapterContent[], files: VFile[]) {
  const codePoints = [...unit].map((character) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
  const reason = `“${unit}” (${codePoints}) is in none of the book’s fonts`;
  const hint = absent.length > 0
    ? `The font files for rare characters are not set up (${absent.join(', ')}): run \`npm run setup\`.`
    : 'Use another character, or add a face that has it to styles/fonts.yaml.';
  for (const file of [manuscript.bookFile, ...chapters.map((content) => content.chapter.file)]) {
    const source = String(file.value ?? '');
    const offset = [unit, unit.normalize('NFD'), unit.normalize('NFC'), [...unit][0]!].map((form) => source.indexOf(form)).find((found) => found >= 0) ?? -1;
    if (offset < 0) continue;
    reportError(file, reason, characterPoint(source, offset), 'missing-glyph', hint);
    return;
  }
  const file = new VFile({path: path.join(STYLES_DIR, 'fonts.yaml')});
  reportError(file, `${reason} (it comes from a template or stylesheet)`, undefined, 'missing-glyph', hint);
  files.push(file);
}
