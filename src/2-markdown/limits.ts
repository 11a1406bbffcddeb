// Markdown that no editor writes but a broken export or a hostile file can contain makes the parser
// take minutes or overflow its stack (10,000 nested quotes, 20,000 asterisks in a row). Such a chapter
// is refused with the line at fault before it is parsed, so that a build always ends, quickly and
// with a clear message. (Paragraph length is checked after parsing, by remark-paragraph-length.)
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
};

/** Reports what the parser could not handle in bounded time; true when the chapter may be parsed. */
export function checkSourceLimits(file: VFile): boolean {
  const before = file.messages.length;
  const lines = String(file.value).split(/\r?\n/);
  let open = 0;
  lines.forEach((line, index) => {
    const place = {line: index + 1, column: 1};
    const containers = /^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))+/.exec(line)?.[0] ?? '';
    const depth = (containers.match(/>|[-*+]|\d{1,9}[.)]/g) ?? []).length;
    const indentation = /^[ \t]*/.exec(line)![0].replace(/\t/g, '    ').length;
    const run = /([*_[\]~`])\1{63,}/.exec(line);
    if (depth > LIMITS.nesting) reportError(file, `${depth} quotes or lists inside one another (the limit is ${LIMITS.nesting})`, place, 'nesting-limit');
    else if (indentation > LIMITS.indentation) reportError(file, `a line indented by ${indentation} columns (the limit is ${LIMITS.indentation})`, place, 'nesting-limit');
    if (run) reportError(file, `${run[0].length} “${run[1]}” in a row`, {line: index + 1, column: run.index + 1}, 'run-limit', 'This is not Markdown an editor writes: is the file a broken export?');
    if (/^\s*:::+\s*$/.test(line)) open = Math.max(0, open - 1);
    else if (/^\s*:::+[a-z]/i.test(line) && ++open > LIMITS.directives) reportError(file, `more than ${LIMITS.directives} :::directives open inside one another`, place, 'nesting-limit');
  });
  return !file.messages.slice(before).some((message) => message.fatal);
}
