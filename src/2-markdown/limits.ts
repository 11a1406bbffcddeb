// Markdown that no editor writes but a broken export or a hostile file can contain makes the parser
// take minutes or overflow its stack (10,000 nested quotes, 20,000 asterisks in a row, a paragraph of
// 80,000 `a**b`). Such a chapter is refused with the line at fault before it is parsed, so that a build
// always ends, quickly and with a clear message. The limits come from scripts/bench-markdown.ts
// (docs/markdown-limits.md): under them the Markdown stage's time grows with the text, not faster.
// (Paragraph length is checked after parsing, by remark-paragraph-length.)
import type {VFile} from 'vfile';
import {reportError} from '../messages.js';

export const LIMITS = {
  /** Quotes and lists inside one another, on one line or by indentation. */
  nesting: 32,
  /** Leading whitespace, columns. */
  indentation: 128,
  /** The same emphasis or bracket character in a row. */
  run: 64,
  /** :::directives open inside one another. */
  directives: 32,
  /**
   * Emphasis, strikethrough and code delimiters (runs of `*`, `_`, `~`, `` ` ``) in one paragraph: the
   * parser pairs each with every earlier one, so a paragraph's time grows with their square.
   */
  delimiters: 500,
  /** Opening brackets (`[`, `![`, `:name[`) in one paragraph, for the same reason. */
  brackets: 500,
  /** Delimiters, and brackets, in one chapter: many paragraphs at the limit above add up. */
  chapterDelimiters: 10_000,
  chapterBrackets: 10_000,
  /**
   * Lists or quotes opened inside another (`- > a`, `- - a`, an indented `- b`; a line 32 deep counts
   * 31), in one chapter: closing each, the parser copies all it has read so far, so their time grows
   * with their number times the chapter's length.
   */
  nestedLines: 500,
  /** Rows of one table (lines with a `|`, without a blank line between): a table's time grows with their square. */
  tableRows: 500,
  /** Footnote marks and notes (`[^…]`) in one chapter. */
  footnotes: 2000,
};

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const DELIMITER_RUN = /[*_~`]+/g;
const BRACKET = /!?\[|:[a-z][\w-]*\[/gi;

/** Reports what the parser could not handle in bounded time; true when the chapter may be parsed. */
export function checkSourceLimits(file: VFile): boolean {
  const before = file.messages.length;
  const lines = String(file.value).split(/\r?\n/);
  let open = 0;
  // Counted per paragraph (lines between blank lines) and per chapter, outside fenced code.
  let fence: string | undefined;
  const paragraph = {line: 0, delimiters: 0, brackets: 0, rows: 0, reported: false};
  const chapter = {delimiters: 0, brackets: 0, reported: false, nested: 0, footnotes: 0};
  lines.forEach((line, index) => {
    const place = {line: index + 1, column: 1};
    const fenced = FENCE.exec(line)?.[1];
    if (fence) {
      if (fenced && fenced[0] === fence[0] && fenced.length >= fence.length && line.trim() === fenced) fence = undefined;
      return;
    }
    if (fenced) {
      fence = fenced;
      return;
    }
    const containers = /^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))+/.exec(line)?.[0] ?? '';
    const depth = (containers.match(/>|[-*+]|\d{1,9}[.)]/g) ?? []).length;
    const indentation = /^[ \t]*/.exec(line)![0].replace(/\t/g, '    ').length;
    const run = /([*_[\]~`])\1{63,}/.exec(line);
    // Each container inside another counts: a line 32 deep costs what 31 lines one deep do.
    const nestedMarker = /^( {2,})(?:>|[-*+]\s|\d{1,9}[.)]\s)/.exec(line);
    const inner = Math.max(depth - 1, 0) + (nestedMarker ? Math.ceil(nestedMarker[1]!.length / 4) : 0);
    const wasUnder = chapter.nested <= LIMITS.nestedLines;
    // (A line past the depth limit is reported as such.)
    if (depth <= LIMITS.nesting) chapter.nested += inner;
    if (wasUnder && chapter.nested > LIMITS.nestedLines) {
      reportError(file, `more than ${LIMITS.nestedLines} lists or quotes inside others in the chapter by this line: the Markdown would take minutes to read`, place, 'nesting-limit',
        'Split the chapter, or make some of the inner lists plain paragraphs.');
    }
    if (depth > LIMITS.nesting) reportError(file, `${depth} quotes or lists inside one another (the limit is ${LIMITS.nesting})`, place, 'nesting-limit');
    else if (indentation > LIMITS.indentation) reportError(file, `a line indented by ${indentation} columns (the limit is ${LIMITS.indentation})`, place, 'nesting-limit');
    if (run) reportError(file, `${run[0].length} “${run[1]}” in a row`, {line: index + 1, column: run.index + 1}, 'run-limit', 'This is not Markdown an editor writes: is the file a broken export?');
    if (/^\s*:::+\s*$/.test(line)) open = Math.max(0, open - 1);
    else if (/^\s*:::+[a-z]/i.test(line) && ++open > LIMITS.directives) reportError(file, `more than ${LIMITS.directives} :::directives open inside one another`, place, 'nesting-limit');

    if (line.trim() === '') {
      Object.assign(paragraph, {line: 0, delimiters: 0, brackets: 0, rows: 0, reported: false});
      return;
    }
    paragraph.line ||= index + 1;
    const delimiters = line.match(DELIMITER_RUN)?.length ?? 0;
    const brackets = line.match(BRACKET)?.length ?? 0;
    paragraph.delimiters += delimiters;
    paragraph.brackets += brackets;
    chapter.delimiters += delimiters;
    chapter.brackets += brackets;
    const hint = 'Is this text what the chapter should hold (a broken export, a pasted file)? Otherwise, split the paragraph or chapter.';
    if (line.includes('|') && ++paragraph.rows === LIMITS.tableRows + 1) {
      reportError(file, `a table of more than ${LIMITS.tableRows} rows: the Markdown would take minutes to read`, {line: paragraph.line, column: 1}, 'markup-limit', 'Split the table, or give the data as an appendix file of its own.');
    }
    const footnotes = line.match(/\[\^/g)?.length ?? 0;
    if (chapter.footnotes <= LIMITS.footnotes && (chapter.footnotes += footnotes) > LIMITS.footnotes) {
      reportError(file, `more than ${LIMITS.footnotes} footnote marks and notes in the chapter by this line: the Markdown would take minutes to read`, place, 'markup-limit', hint);
    }
    if (!paragraph.reported && (paragraph.delimiters > LIMITS.delimiters || paragraph.brackets > LIMITS.brackets)) {
      paragraph.reported = true;
      const [what, limit] = paragraph.delimiters > LIMITS.delimiters ? ['emphasis or code marks (*, _, ~, `)', LIMITS.delimiters] : ['opening brackets', LIMITS.brackets];
      reportError(file, `a paragraph with more than ${limit} ${what}: the Markdown would take minutes to read`, {line: paragraph.line, column: 1}, 'markup-limit', hint);
    } else if (!chapter.reported && !paragraph.reported && (chapter.delimiters > LIMITS.chapterDelimiters || chapter.brackets > LIMITS.chapterBrackets)) {
      chapter.reported = true;
      const [what, limit] = chapter.delimiters > LIMITS.chapterDelimiters ? ['emphasis or code marks (*, _, ~, `)', LIMITS.chapterDelimiters] : ['opening brackets', LIMITS.chapterBrackets];
      reportError(file, `more than ${limit.toLocaleString('en')} ${what} in the chapter by this line: the Markdown would take minutes to read`, place, 'markup-limit', hint);
    }
  });
  return !file.messages.slice(before).some((message) => message.fatal);
}
