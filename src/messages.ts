// Every problem the tool finds is a VFileMessage on the file it concerns, so it carries a position
// (`path:line:col`), a rule name and an optional hint. The CLI prints them once, at the end.
import type {Node, Point, Position} from 'unist';
import type {VFile} from 'vfile';
import type {VFileMessage} from 'vfile-message';

export type Place = Node | Position | Point | undefined;

export const SOURCE = 'hangzhou-lujing';

function place(file: VFile, reason: string, at: Place, ruleId: string, hint: string | undefined): VFileMessage {
  // A problem with the whole file is placed at its start, so that every message has a line and column.
  const position = at && 'type' in at ? at.position : at;
  const message = file.message(reason, {place: inCharacters(file, position ?? {line: 1, column: 1}), ruleId, source: SOURCE});
  if (hint) message.note = hint;
  return message;
}

/**
 * Line and column of `offset` in `source` (a file's text), the column in UTF-16 units as the parsers give
 * them: every message turns columns into characters (inCharacters).
 */
export function characterPoint(source: string, offset: number): Point {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  let line = 1;
  for (let at = source.indexOf('\n'); at >= 0 && at < lineStart; at = source.indexOf('\n', at + 1)) line++;
  return {line, column: offset - lineStart + 1, offset};
}

/**
 * Columns counted in characters (code points), as editors count them, not in JavaScript's UTF-16 units,
 * which the parsers give: 𡒄 (U+21484) is one character and two units. Positions in a file whose text
 * was not read (not UTF-8) are already in characters.
 */
function inCharacters(file: VFile, place: Point | Position): Point | Position {
  if (typeof file.value !== 'string' || !/[\uD800-\uDBFF]/.test(file.value)) return place;
  const lines = linesOf(file, file.value);
  const point = ({line, column, offset}: Point): Point => {
    const text = lines[line - 1];
    if (text === undefined || column <= 1) return {line, column, ...(offset === undefined ? {} : {offset})};
    return {line, column: [...text.slice(0, column - 1)].length + 1, ...(offset === undefined ? {} : {offset})};
  };
  return 'start' in place ? {start: point(place.start), end: point(place.end)} : point(place);
}

const splitLines = new WeakMap<VFile, {value: string; lines: string[]}>();

function linesOf(file: VFile, value: string): string[] {
  const known = splitLines.get(file);
  if (known?.value === value) return known.lines;
  const lines = value.split(/\r?\n|\r/);
  splitLines.set(file, {value, lines});
  return lines;
}

/** A problem that stops the build (exit code 1). */
export function reportError(file: VFile, reason: string, at: Place, ruleId: string, hint?: string): VFileMessage {
  const message = place(file, reason, at, ruleId, hint);
  message.fatal = true;
  return message;
}

/** A problem that is printed but lets the build go on. */
export function reportWarning(file: VFile, reason: string, at: Place, ruleId: string, hint?: string): VFileMessage {
  const message = place(file, reason, at, ruleId, hint);
  message.fatal = false;
  return message;
}

export function hasErrors(files: Iterable<VFile>): boolean {
  for (const file of files) if (file.messages.some((message) => message.fatal === true)) return true;
  return false;
}

/** The closest of `candidates` to a misspelt `word`, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
