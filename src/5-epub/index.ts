// Stage 5: the assembled book → EPUB 3, packaged by epub-gen-memory through our templates
// (templates/epub/). Its HTML clean-up is bypassed on purpose: it drops attributes EPUB needs (scope,
// width, data-*) and writes Chinese as numeric character references; we hand it finished XHTML.
// Its downloads are bypassed too: fonts and images come from the build, already checked, so nothing
// is ever fetched. Output is reproducible: fixed identifier, dates and file names.
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {EPub, type Chapter, type Options} from 'epub-gen-memory';
import {fromHtml} from 'hast-util-from-html';
import {toXast} from 'hast-util-to-xast';
import {toXml} from 'xast-util-to-xml';
import type {AssembledBook} from '../3-assemble/index.js';
import {fontFaceCss} from '../3-assemble/fonts.js';
import {TEMPLATES_DIR} from '../project.js';

export interface EpubOptions {
  /** dcterms:modified and the dates inside the zip. */
  date: Date;
}

interface Resource {
  id: string;
  href: string;
  mediaType: string;
  data: Uint8Array | string;
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
    return this.generateAsync({type: 'nodebuffer', mimeType: 'application/epub+zip', compression: 'DEFLATE', compressionOptions: {level: 9}});
  }
}

export async function packageEpub(book: AssembledBook, options: EpubOptions): Promise<Uint8Array> {
  const lang = epubLanguage(book.config.lang);
  const parts = book.parts.filter((part) => part.kind !== 'toc');
  const fileOf = new Map(parts.map((part) => [part.id, `${part.id}.xhtml`]));
  const firstCase = parts.findIndex((part) => part.kind === 'case');
  const chapters: EpubChapter[] = parts.map((part, index) => ({
    title: part.title,
    content: '',
    filename: fileOf.get(part.id)!,
    beforeToc: firstCase < 0 || index < firstCase,
    excludeFromToc: part.kind !== 'front' && part.kind !== 'case',
    partId: part.id,
    xhtml: toXhtml(part.html, fileOf),
    epubType: part.kind === 'case' ? 'bodymatter' : 'frontmatter',
  }));

  const resources: Resource[] = book.assets
    .filter((asset) => asset.path.startsWith('fonts/') || asset.path.startsWith('images/'))
    .map((asset, index) => ({id: `${asset.path.split('/')[0]}-${index + 1}`, href: asset.path, mediaType: asset.mediaType, data: asset.data}));

  const navigation: NavEntry[] = parts
    .filter((part) => part.kind === 'front' || part.kind === 'case')
    .map((part) => ({
      title: part.title,
      href: fileOf.get(part.id)!,
      children: part.headings.filter((heading) => heading.depth === 2).map((heading) => ({title: heading.text, href: `${fileOf.get(part.id)}#${heading.id}`, children: []})),
    }));
  const landmarks = [
    {type: 'toc', href: 'toc.xhtml', title: '目录'},
    ...(firstCase >= 0 ? [{type: 'bodymatter', href: fileOf.get(parts[firstCase]!.id)!, title: '正文'}] : []),
  ];

  const identifier = bookIdentifier(book);
  const templates = path.join(TEMPLATES_DIR, 'epub');
  const epubOptions = {
    title: book.config.title,
    lang,
    css: epubStylesheet(book),
    contentOPF: await readFile(path.join(templates, 'content.opf.ejs'), 'utf8'),
    tocNCX: await readFile(path.join(templates, 'toc.ncx.ejs'), 'utf8'),
    tocXHTML: await readFile(path.join(templates, 'toc.xhtml.ejs'), 'utf8'),
    chapterXHTML: await readFile(path.join(templates, 'chapter.xhtml.ejs'), 'utf8'),
    prependChapterTitles: false,
    verbose: false,
    // Read by our templates:
    book: book.config,
    creators: [
      ...(book.config.authors ?? []).map((name) => ({name, role: 'aut'})),
      ...(book.config.editors ?? []).map((name) => ({name, role: 'edt'})),
    ],
    modified: options.date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    resources,
    navigation,
    landmarks,
  } as Options;
  const epub = new ReproducibleEpub(epubOptions, chapters, resources, options.date, identifier);
  return new Uint8Array(await epub.genEpub());
}

/** XHTML for a content document: CJK kept as characters, links to other parts pointed at their files. */
function toXhtml(html: string, fileOf: Map<string, string>): string {
  const tree = fromHtml(html, {fragment: true});
  const xml = toXml(toXast(tree));
  return xml.replace(/href="#([^"]+)"/g, (whole, id: string) => {
    const file = fileOf.get(id);
    return file ? `href="${file}"` : whole;
  });
}

/** One stylesheet: the fonts, the typography shared with print, and what is particular to e-readers. */
function epubStylesheet(book: AssembledBook): string {
  const stylesheet = (name: string) => String(book.assets.find((asset) => asset.path === `styles/${name}`)?.data ?? '');
  return [fontFaceCss(book.fonts, 'fonts/'), stylesheet('base.css'), stylesheet('epub.css')].join('\n');
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

