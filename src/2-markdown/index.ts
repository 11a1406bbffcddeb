// Stage 2: each chapter's Markdown → the HTML of its body, through one unified processor (remark →
// rehype) made of small plugins. Knows the manuscript, nothing of how the book is assembled or printed.
import type {Root} from 'hast';
import {headingRank} from 'hast-util-heading-rank';
import {toHtml} from 'hast-util-to-html';
import {toString} from 'hast-util-to-string';
import {visit} from 'unist-util-visit';
import rehypeBreakLongWords from './rehype-break-long-words.js';
import rehypeEmphasisDots from './rehype-emphasis-dots.js';
import rehypeHeadingIds from './rehype-heading-ids.js';
import rehypeLinks from './rehype-links.js';
import rehypeLocalImages, {type ImageAsset} from './rehype-local-images.js';
import rehypeSourceLines from './rehype-source-lines.js';
import rehypeFootnoteRoles from './rehype-footnote-roles.js';
import rehypeTables from './rehype-tables.js';
import rehypeUniqueIds from './rehype-unique-ids.js';
import remarkChapterHeadings from './remark-chapter-headings.js';
import remarkCjkLineJoin from './remark-cjk-line-join.js';
import remarkCommentary from './remark-commentary.js';
import remarkEditorialQuery from './remark-editorial-query.js';
import remarkFigure from './remark-figure.js';
import remarkLiteralDirectives from './remark-literal-directives.js';
import remarkNormalizeUnicode from './remark-normalize-unicode.js';
import remarkParagraphLength from './remark-paragraph-length.js';
import remarkRefuseHtml from './remark-refuse-html.js';
import remarkStrayCharacters from './remark-stray-characters.js';
import {checkSourceLimits} from './limits.js';
import {unified} from 'unified';
import remarkParse from 'remark-parse';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkCjkFriendly from 'remark-cjk-friendly';
import remarkDirective from 'remark-directive';
import remarkRehype from 'remark-rehype';
import type {Chapter, Manuscript} from '../1-manuscript/index.js';
import type {Cache} from '../cache.js';
import {chapterKey, restoreChapter, storeChapter} from './cache.js';

export type {ImageAsset} from './rehype-local-images.js';

export interface Heading {
  id: string;
  depth: number;
  text: string;
}

export interface ChapterContent {
  chapter: Chapter;
  /** The chapter body as HTML (without its title, which comes from the frontmatter). */
  html: string;
  /** Section headings (##, ###), for the table of contents and the EPUB navigation. */
  headings: Heading[];
  images: ImageAsset[];
  /** Taken from the build cache rather than processed again. */
  cached: boolean;
}

export interface MarkdownOptions {
  /** The build sent to print: placeholders and open queries are errors. */
  final?: boolean;
  /** Where finished chapters are kept between builds. */
  cache?: Cache;
  /** Called after each chapter, for a progress display. */
  onChapter?: (done: number, total: number) => void;
}

export async function renderChapters(manuscript: Manuscript, options: MarkdownOptions = {}): Promise<ChapterContent[]> {
  const chapters = new Map(manuscript.chapters.map((chapter) => [chapter.file.path, chapter.id]));
  const results: ChapterContent[] = [];
  for (const chapter of manuscript.chapters) {
    results.push(await renderChapter(chapter, manuscript.root, chapters, options));
    options.onChapter?.(results.length, manuscript.chapters.length);
  }
  return results;
}

/** `chapters`: every chapter file of the book and its id, for links between chapters. */
export async function renderChapter(chapter: Chapter, root: string, chapters: Map<string, string>, options: MarkdownOptions = {}): Promise<ChapterContent> {
  const {cache} = options;
  const key = cache && chapterKey(cache, chapter, root, chapters, Boolean(options.final));
  const restored = key ? await restoreChapter(cache, key, chapter) : undefined;
  if (restored) return {chapter, ...restored, cached: true};

  const before = chapter.file.messages.length;
  if (!checkSourceLimits(chapter.file)) return {chapter, html: '', headings: [], images: [], cached: false};
  const processor = createProcessor({root, idPrefix: chapter.id, final: options.final, chapters});
  const body = (await processor.run(processor.parse(chapter.file), chapter.file)) as Root;
  const headings: Heading[] = [];
  visit(body, 'element', (node) => {
    const depth = headingRank(node);
    const isFootnoteLabel = String(node.properties.className ?? '').includes('footnotes-title');
    if (depth && !isFootnoteLabel) headings.push({id: String(node.properties.id), depth, text: toString(node)});
  });
  const images = chapter.file.data.images ?? [];
  const messages = chapter.file.messages.slice(before);
  const html = toHtml(body);
  if (key && !messages.some((message) => message.fatal)) storeChapter(cache, key, {html, headings, images, messages});
  return {chapter, html, headings, images, cached: false};
}

interface ProcessorOptions {
  root: string;
  idPrefix: string;
  final?: boolean;
  chapters: Map<string, string>;
}

export function createProcessor(options: ProcessorOptions) {
  return unified()
    .use(remarkParse)
    .use(remarkFrontmatter, ['yaml'])
    .use(remarkGfm)
    .use(remarkCjkFriendly)
    .use(remarkDirective)
    .use(remarkStrayCharacters)
    .use(remarkNormalizeUnicode)
    .use(remarkRefuseHtml)
    .use(remarkParagraphLength)
    .use(remarkFigure, {final: options.final})
    .use(remarkCommentary)
    .use(remarkEditorialQuery, {final: options.final})
    .use(remarkLiteralDirectives, {known: {text: ['query'], block: ['figure', 'commentary']}})
    .use(remarkChapterHeadings)
    .use(remarkCjkLineJoin)
    .use(remarkRehype, {
      clobberPrefix: `${options.idPrefix}-`,
      footnoteLabel: '注释',
      footnoteLabelTagName: 'h2',
      footnoteLabelProperties: {className: ['footnotes-title']},
      footnoteBackContent: '↑',
      footnoteBackLabel: (referenceIndex) => `返回正文第${referenceIndex + 1}处引用`,
    })
    .use(rehypeHeadingIds, {prefix: options.idPrefix})
    .use(rehypeUniqueIds, {prefix: options.idPrefix})
    .use(rehypeEmphasisDots)
    .use(rehypeTables)
    .use(rehypeFootnoteRoles)
    .use(rehypeLocalImages, {root: options.root})
    .use(rehypeLinks, {chapters: options.chapters})
    .use(rehypeSourceLines)
    .use(rehypeBreakLongWords);
}
