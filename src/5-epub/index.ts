// Stage 5: the assembled book (and the pages of its print PDF) → EPUB 3, packaged by epub-gen-memory
// through our templates (templates/epub/). Its HTML clean-up is bypassed on purpose: it drops
// attributes EPUB needs (scope, width, data-*) and writes Chinese as numeric character references; we
// hand it finished XHTML. Its downloads are bypassed too: fonts and images come from the build, already
// checked, so nothing is ever fetched. Output is reproducible: fixed identifier, dates and file names.
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {deflateRawSync} from 'node:zlib';
import type ejs from 'ejs';
import {EPub, type Chapter, type Options} from 'epub-gen-memory';
import {fromHtml} from 'hast-util-from-html';
import {toXast} from 'hast-util-to-xast';
import type {Browser} from 'puppeteer-core';
import {toXml} from 'xast-util-to-xml';
import {visit} from 'unist-util-visit';
import type {Root} from 'hast';
import type {AssembledBook} from '../3-assemble/index.js';
import {faceList, fontFaceCss} from '../3-assemble/fonts.js';
import {openConfinedPage} from '../4-pdf/browser.js';
import type {Cache} from '../cache.js';
import {TEMPLATES_DIR} from '../project.js';
import {insertPageBreaks, type PageStart} from './page-breaks.js';

export interface PrintPage extends PageStart {
  partId: string;
}

export interface EpubOptions {
  /** dcterms:modified and the dates inside the zip. */
  date: Date;
  /**
   * The pages of the print PDF, for page-break markers and the page list. A promise lets the build start
   * the EPUB while the PDF is printed: only the markers and the package wait for it.
   */
  pages: PrintPage[] | Promise<PrintPage[]>;
  /** Draws the cover (cover.html of the HTML folder) into the cover image. */
  browser: Browser;
  /** Settles when the browser is free to draw the cover (drawn during a print, it slows the print down). */
  printed?: Promise<unknown>;
  htmlDir: string;
  /** Keeps the cover image between builds. */
  cache?: Cache;
}

interface Resource {
  id: string;
  href: string;
  mediaType: string;
  data: Uint8Array | string;
  properties?: string;
}

interface EpubChapter extends Chapter {
  partId: string;
  xhtml: string;
  epubType: string;
}

interface NavEntry {
  title: string;
  href: string;
  children: NavEntry[];
}

const COVER = {width: 1600, height: 2400};

// JSZip, which epub-gen-memory zips with, deflates with pako's JavaScript Deflate; Node's zlib does it
// several times faster (measured on a 50-case EPUB: 30 ms against 80–210 ms). Only the pako instance that
// JSZip loads is changed: its streaming Deflate, given the file's chunks, deflates them once at the end.
const fromEpubGen = createRequire(createRequire(import.meta.url).resolve('epub-gen-memory'));
const jszipPako = createRequire(fromEpubGen.resolve('jszip'))('pako') as {Deflate: unknown};
jszipPako.Deflate = class {
  private readonly chunks: Uint8Array[] = [];
  onData: (data: Uint8Array) => void = () => undefined;
  constructor(private readonly options: {raw: boolean; level: number}) {
    if (!options.raw) throw new Error('JSZip asked pako for a zlib stream: this replacement writes raw deflate only');
  }

  push(data: Uint8Array, last: boolean): boolean {
    if (data.length > 0) this.chunks.push(data);
    if (last) this.onData(deflateRawSync(Buffer.concat(this.chunks), {level: this.options.level}));
    return true;
  }
};

// epub-gen-memory renders each chapter with ejs.render, which compiles the template anew every time
// (some 30 ms for a 50-case book). The render of the ejs it loads (ours too: one copy) keeps what it
// compiled; our EPUB templates take no ejs options from the data they are given (no includes).
const epubGenEjs = fromEpubGen('ejs') as typeof ejs;
const compiledTemplates = new Map<string, ejs.TemplateFunction>();
epubGenEjs.render = ((template: string, data?: ejs.Data) => {
  let render = compiledTemplates.get(template);
  if (!render) compiledTemplates.set(template, (render = epubGenEjs.compile(template)));
  return render(data);
}) as typeof ejs.render;

/** epub-gen-memory with our resources and fixed dates instead of its downloads and `new Date()`. */
class ReproducibleEpub extends EPub {
  constructor(options: Options, chapters: EpubChapter[], private readonly resources: Resource[], private readonly date: Date, identifier: string) {
    super(options, chapters);
    // The NCX and the package document both print `id`: one identifier for both.
    this.uuid = identifier;
  }

  protected override async downloadAllFonts(): Promise<void> {
    const folder = this.zip.folder('OEBPS')!;
    for (const resource of this.resources) folder.file(resource.href, resource.data);
  }

  protected override async downloadAllImages(): Promise<void> {
    // Images are among the resources written above.
  }

  override async genEpub(): Promise<Buffer> {
    await this.render();
    this.zip.forEach((_, file) => {
      file.date = this.date;
    });
    return this.generateAsync({type: 'nodebuffer', mimeType: 'application/epub+zip', compression: 'DEFLATE', compressionOptions: {level: 6}});
  }
}

export async function packageEpub(book: AssembledBook, options: EpubOptions): Promise<Uint8Array> {
  const lang = epubLanguage(book.config.lang);
  const parts = book.parts.filter((part) => part.kind !== 'toc');
  const fileOf = new Map(parts.map((part) => [part.id, `${part.id}.xhtml`]));
  const firstCase = parts.findIndex((part) => part.kind === 'case');
  const documents = await Promise.all(parts.map((part) => cachedDocument(part.html, fileOf, options.cache)));
  const trees = new Map<string, Root>();
  for (const [index, part] of parts.entries()) {
    // Parsed while the PDF is printed, unless the cache is likely to hold its document.
    if (documents[index]) continue;
    trees.set(part.id, fromHtml(part.html, {fragment: true}));
    // One part at a time, so that the PDF stage running alongside is never kept waiting long.
    await new Promise(setImmediate);
  }
  const drawing = Promise.resolve(options.printed).then(() => coverImage(book, options));
  // Awaited below, after the pages: a failure must not be an unhandled rejection meanwhile.
  drawing.catch(() => undefined);
  const printPages = await options.pages;
  const cover = await drawing;

  const pageList: {label: string; href: string}[] = [];
  const chapters: EpubChapter[] = [
    {title: '封面', content: '', filename: 'cover.xhtml', beforeToc: true, excludeFromToc: true, partId: 'cover', epubType: 'cover', xhtml: coverXhtml(book)},
    ...parts.map((part, index) => {
      const {xhtml, pages} = partDocument(part, printPages.filter((page) => page.partId === part.id && page.text.trim() !== ''), documents[index], trees.get(part.id), fileOf, options.cache);
      pageList.push(...pages.map((label) => ({label, href: `${fileOf.get(part.id)}#page-${label}`})));
      return {
        title: part.title,
        content: '',
        filename: fileOf.get(part.id)!,
        beforeToc: firstCase < 0 || index < firstCase,
        excludeFromToc: part.kind !== 'front' && part.kind !== 'case',
        partId: part.id,
        xhtml: withWordCount(xhtml, book.wordCount),
        epubType: part.kind === 'case' ? 'bodymatter' : 'frontmatter',
      };
    }),
  ];

  const resources: Resource[] = [
    {id: 'cover-image', href: 'images/cover.jpg', mediaType: 'image/jpeg', data: cover, properties: 'cover-image'},
    ...book.fonts.filter((font) => font.epub).map((font, index) => ({id: `font-${index + 1}`, href: `fonts/${font.fileName}`, mediaType: 'font/ttf', data: font.data})),
    ...book.images.map((image, index) => ({id: `image-${index + 1}`, href: `images/${image.name}`, mediaType: image.mediaType, data: image.data})),
  ];

  const navigation: NavEntry[] = parts
    .filter((part) => part.kind === 'front' || part.kind === 'case')
    .map((part) => ({
      title: part.title,
      href: fileOf.get(part.id)!,
      children: part.headings.filter((heading) => heading.depth === 2).map((heading) => ({title: heading.text, href: `${fileOf.get(part.id)}#${heading.id}`, children: []})),
    }));
  const landmarks = [
    {type: 'cover', href: 'cover.xhtml', title: '封面'},
    {type: 'toc', href: 'toc.xhtml', title: '目录'},
    ...(firstCase >= 0 ? [{type: 'bodymatter', href: fileOf.get(parts[firstCase]!.id)!, title: '正文'}] : []),
  ];

  const identifier = bookIdentifier(book);
  const templates = path.join(TEMPLATES_DIR, 'epub');
  const template = (name: string) => readFile(path.join(templates, name), 'utf8');
  const epubOptions = {
    title: book.config.title,
    lang,
    css: epubStylesheet(book),
    contentOPF: await template('content.opf.ejs'),
    tocNCX: await template('toc.ncx.ejs'),
    tocXHTML: await template('toc.xhtml.ejs'),
    chapterXHTML: await template('chapter.xhtml.ejs'),
    prependChapterTitles: false,
    verbose: false,
    // Read by our templates:
    book: book.config,
    creators: [
      ...(book.config.authors ?? []).map((name) => ({name, role: 'aut'})),
      ...(book.config.editors ?? []).map((name) => ({name, role: 'edt'})),
    ],
    modified: options.date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    // The print edition the page numbers come from: its ISBN, or this book's own identifier.
    paginationSource: identifier,
    hasImages: book.images.length > 0,
    resources,
    navigation,
    landmarks,
    pageList,
  } as Options;
  const epub = new ReproducibleEpub(epubOptions, chapters, resources, options.date, identifier);
  return new Uint8Array(await epub.genEpub());
}

/**
 * A part's content document as made by an earlier build, with stand-ins for its page labels (an edit
 * moves the page numbers of every later part, not the text their pages begin with): made for a part of
 * this HTML, among parts of these files, with pages beginning with `texts`.
 */
interface PartDocument {
  texts: string[];
  /** The XHTML, each page label written as a stand-in: \uE000 index-of-the-page \uE001. */
  xhtml: string;
  /** The indexes of the pages whose markers were placed. */
  placed: number[];
}

const labelStandIn = (index: number) => `\uE000${index}\uE001`;
const STAND_IN = /\uE000(\d+)\uE001/g;

function partDocumentKey(html: string, fileOf: Map<string, string>, cache: Cache): string {
  return cache.key('epub part', html, [...fileOf.values()].join('\n'));
}

export async function cachedDocument(html: string, fileOf: Map<string, string>, cache?: Cache): Promise<PartDocument | undefined> {
  return cache?.getJson<PartDocument>('epub-parts', partDocumentKey(html, fileOf, cache));
}

/**
 * A part as the body of an XHTML content document, with its page-break markers: the cached document
 * when its pages begin with the same texts, else made from the part's tree (parsed here if not yet).
 */
export function partDocument(
  part: {html: string},
  pages: PrintPage[],
  cached: PartDocument | undefined,
  tree: Root | undefined,
  fileOf: Map<string, string>,
  cache?: Cache,
): {xhtml: string; pages: string[]} {
  const texts = pages.map((page) => page.text);
  if (cached && JSON.stringify(cached.texts) === JSON.stringify(texts)) return withLabels(cached, pages);
  const withStandIns = writeDocument(tree ?? fromHtml(part.html, {fragment: true}), pages.map((page, index) => ({...page, label: labelStandIn(index)})), fileOf);
  // Each marker writes its label twice (id, aria-label); any other stand-in would be the text's own.
  if ((withStandIns.xhtml.match(STAND_IN)?.length ?? 0) !== 2 * withStandIns.placed.length) {
    const direct = writeDocument(fromHtml(part.html, {fragment: true}), pages, fileOf);
    return {xhtml: direct.xhtml, pages: direct.placed.map((index) => pages[index]!.label)};
  }
  const document = {texts, ...withStandIns};
  cache?.setJson('epub-parts', partDocumentKey(part.html, fileOf, cache), document);
  return withLabels(document, pages);
}

function withLabels(document: PartDocument, pages: PrintPage[]): {xhtml: string; pages: string[]} {
  return {xhtml: document.xhtml.replace(STAND_IN, (_, index: string) => pages[Number(index)]!.label), pages: document.placed.map((index) => pages[index]!.label)};
}

function writeDocument(tree: Root, pages: PageStart[], fileOf: Map<string, string>): {xhtml: string; placed: number[]} {
  // Where each block comes from in the manuscript is for the print's layout messages, not for readers.
  visit(tree, 'element', (node) => {
    delete node.properties.dataSource;
  });
  const placed = insertPageBreaks(tree, pages).map((label) => pages.findIndex((page) => page.label === label));
  // Links to other parts point at their files (the print book is one page, the EPUB one file a part).
  // xast-util-to-xml leaves “>” as it is, but XML forbids “]]>” in text.
  const xhtml = toXml(toXast(tree)).replaceAll(']]>', ']]&gt;').replace(/href="#([^"]+)"/g, (whole, id: string) => (fileOf.has(id) ? `href="${fileOf.get(id)}"` : whole));
  return {xhtml, placed};
}

function coverXhtml(book: AssembledBook): string {
  return `<section class="cover-page"><img src="images/cover.jpg" alt="${escapeXml(`封面：${book.config.title}${book.config.subtitle ? `——${book.config.subtitle}` : ''}`)}" width="${COVER.width}" height="${COVER.height}"/></section>`;
}

/**
 * The cover image, from the cache when cover.html, its stylesheet and the faces are those of a previous
 * build (the glyphs come from the pinned font packages, part of the cache's tool version).
 */
async function coverImage(book: AssembledBook, options: EpubOptions): Promise<Uint8Array> {
  const asset = (name: string) => book.assets.find((candidate) => candidate.path === name)?.data ?? '';
  const key = options.cache?.key('cover', asset('cover.html'), asset('styles/cover.css'), faceList(book.fonts), JSON.stringify(COVER));
  const cached = key ? await options.cache!.get('covers', key) : undefined;
  if (cached) return new Uint8Array(cached);
  // After the print: the cover is drawn in the same Chromium.
  const drawn = await drawCover(options.browser, options.htmlDir);
  if (key) options.cache!.set('covers', key, drawn);
  return drawn;
}

/** The cover image: cover.html (templates/cover.html.ejs) drawn by Chromium. */
async function drawCover(browser: Browser, htmlDir: string): Promise<Uint8Array> {
  const {page} = await openConfinedPage(browser, htmlDir);
  try {
    await page.setViewport({...COVER, deviceScaleFactor: 1});
    await page.goto(pathToFileURL(path.join(htmlDir, 'cover.html')).href, {waitUntil: 'load'});
    await page.evaluate(async () => {
      await document.fonts.ready;
    });
    return await page.screenshot({type: 'jpeg', quality: 88, clip: {x: 0, y: 0, ...COVER}});
  } finally {
    await page.close();
  }
}

/** One stylesheet: the fonts, the typography shared with print, and what is particular to e-readers. */
function epubStylesheet(book: AssembledBook): string {
  const stylesheet = (name: string) => String(book.assets.find((asset) => asset.path === `styles/${name}`)?.data ?? '');
  return [fontFaceCss(book.fonts.filter((font) => font.epub), 'fonts/'), stylesheet('base.css'), stylesheet('epub.css')].join('\n');
}

/** zh-CN → zh-Hans: the script subtag is what reading systems (Apple Books among them) go by. */
export function epubLanguage(lang: string): string {
  const [language, region] = lang.split('-');
  if (language?.toLowerCase() !== 'zh' || !region) return lang;
  if (/^(CN|SG|MY)$/i.test(region)) return 'zh-Hans';
  if (/^(TW|HK|MO)$/i.test(region)) return 'zh-Hant';
  return lang;
}

/** The ISBN when there is one; otherwise a UUID derived from the title, stable across builds. */
function bookIdentifier(book: AssembledBook): string {
  const identifier = book.config.identifier;
  if (identifier?.kind === 'isbn') return `urn:isbn:${identifier.value}`;
  if (identifier?.kind === 'urn') return identifier.value;
  const hash = createHash('sha1').update(`hangzhou-lujing:${book.config.title}`).digest('hex');
  return `urn:uuid:${hash.slice(0, 8)}-${hash.slice(8, 12)}-5${hash.slice(13, 16)}-${((parseInt(hash[16]!, 16) & 0x3) | 0x8).toString(16)}${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
}

/** The 版权页's 字数, kept out of its HTML (so that an edit elsewhere does not change it), written in. */
function withWordCount(xhtml: string, wordCount: string): string {
  return xhtml.replace(/(<span\b[^>]*\sdata-word-count(?:="[^"]*")?[^>]*>)<\/span>/g, (_, open: string) => `${open}${escapeXml(wordCount)}</span>`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
