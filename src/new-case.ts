// `npm run new -- "案例标题"`: a new case file, numbered after the last one, with its frontmatter filled
// in and an editorial query where the text is to go; listed in book.yaml when book.yaml lists the cases.
// Nothing existing is overwritten and book.yaml keeps every other byte, comments included.
import {readdir, readFile, rm, writeFile, mkdir} from 'node:fs/promises';
import path from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import {isSeq, parseDocument, stringify, type Document} from 'yaml';

/** A problem with what the editor asked for: printed as one line, exit code 1. */
export class NewCaseError extends Error {}

export interface NewCaseOptions {
  manuscriptDir: string;
  title: string;
  /** The ASCII part of the file name after the number (default “case”). */
  slug?: string;
  /** The number to give the file instead of the next free one (for tools and tests). */
  number?: number;
}

export interface NewCaseResult {
  /** The absolute path of the new file. */
  file: string;
  /** The path as written in book.yaml: `cases/03-case.md`. */
  entry: string;
  /** True when the file was appended to `cases:` in book.yaml. */
  listed: boolean;
}

const CASES = 'cases';
const DEFAULT_SLUG = 'case';
const DEFAULT_WIDTH = 2;

export async function createCase(options: NewCaseOptions): Promise<NewCaseResult> {
  const title = checkTitle(options.title);
  const slug = checkSlug(options.slug ?? DEFAULT_SLUG);
  const root = path.resolve(options.manuscriptDir);
  const bookPath = path.join(root, 'book.yaml');
  const bookText = await readFile(bookPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const book = bookText === undefined ? undefined : readBook(bookText);
  const listed = book?.cases;

  const taken = [...(await readdir(path.join(root, CASES)).catch(() => [] as string[])), ...(listed ?? []).map((entry) => path.posix.basename(entry))];
  const name = `${options.number === undefined ? nextNumber(taken) : formatNumber(options.number, taken)}-${slug}.md`;
  const entry = `${CASES}/${name}`;
  const file = path.join(root, CASES, name);

  // Everything is checked before anything is written: book.yaml is edited in memory first.
  const newBook = listed && bookText !== undefined && !listed.includes(entry) ? appendToCases(bookText, entry) : undefined;

  await mkdir(path.dirname(file), {recursive: true});
  await writeFile(file, caseTemplate(title), {flag: 'wx'}).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new NewCaseError(`${entry} already exists; it was left as it is`);
    throw error;
  });
  if (newBook !== undefined) {
    try {
      await writeFile(bookPath, newBook);
    } catch (error) {
      await rm(file, {force: true});
      throw error;
    }
  }
  return {file, entry, listed: newBook !== undefined};
}

function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (!trimmed) throw new NewCaseError('the title is empty: give the case’s title, e.g. npm run new -- "案例标题"');
  if (/[\p{Cc}\u2028\u2029]/u.test(trimmed)) throw new NewCaseError('the title must be one line of text, without line breaks or tabs');
  return trimmed;
}

function checkSlug(slug: string): string {
  const clean = slug.trim().toLowerCase();
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(clean)) {
    throw new NewCaseError(`the slug “${slug}” must be ASCII letters, digits and hyphens, such as “linping” or “xihu-district”`);
  }
  return clean;
}

/** The number after the highest numeric prefix among `names`, as wide as that prefix (01, 02 → 03; 009 → 010). */
export function nextNumber(names: string[]): string {
  const highest = highestPrefix(names);
  if (!highest) return formatNumber(1, names);
  return String(highest.value + 1).padStart(highest.width, '0');
}

function formatNumber(value: number, names: string[]): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new NewCaseError(`${value} is not a case number`);
  return String(value).padStart(highestPrefix(names)?.width ?? DEFAULT_WIDTH, '0');
}

function highestPrefix(names: string[]): {value: number; width: number} | undefined {
  let highest: {value: number; width: number} | undefined;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const digits = /^(\d+)(?!\d)/.exec(name)?.[1];
    if (!digits) continue;
    const value = Number(digits);
    if (!highest || value > highest.value || (value === highest.value && digits.length > highest.width)) highest = {value, width: digits.length};
  }
  return highest;
}

/** The new file: frontmatter with the title (the other keys as comments to fill in) and a query for the text. */
export function caseTemplate(title: string): string {
  return [
    '---',
    `title: ${stringify(title, {lineWidth: 0}).trimEnd()}`,
    '# subtitle: 副题',
    '# authors:',
    '#   - 作者姓名',
    '# date: 2025-10-13',
    '# source: 来源',
    '---',
    '',
    ':query[正文待写]',
    '',
  ].join('\n');
}

function readBook(text: string): {doc: Document; cases?: string[]} {
  const doc = parseDocument(text, {uniqueKeys: true});
  if (doc.errors.length > 0) {
    throw new NewCaseError(`book.yaml is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it first (npm run build reports where)`);
  }
  const node = doc.get('cases', true);
  if (node === undefined) return {doc};
  const cases = (doc.toJS() as {cases?: unknown}).cases;
  if (!isSeq(node) || !Array.isArray(cases) || cases.some((entry) => typeof entry !== 'string')) {
    throw new NewCaseError('“cases” in book.yaml is not a list of file paths; fix it first (npm run build reports where)');
  }
  return {doc, cases: cases as string[]};
}

/**
 * book.yaml with `entry` appended to its `cases:` list. The list is found with the yaml Document API and
 * the entry written into the text after its last item, in the same style, so that every other line,
 * comment and blank line stays as it was; when that cannot be done safely, the document is re-written
 * by the yaml library (comments kept, spacing normalised).
 */
export function appendToCases(text: string, entry: string): string {
  const {doc, cases} = readBook(text);
  if (!cases) throw new NewCaseError('book.yaml does not list “cases”');
  const expected = {...(doc.toJS() as Record<string, unknown>), cases: [...cases, entry]};
  const edited = insertIntoText(text, doc, entry);
  if (edited !== undefined && sameData(edited, expected)) return edited;
  doc.addIn([CASES], entry);
  const rewritten = doc.toString({lineWidth: 0});
  if (!sameData(rewritten, expected)) throw new Error('could not append the new case to book.yaml');
  return rewritten;
}

function insertIntoText(text: string, doc: Document, entry: string): string | undefined {
  const seq = doc.get('cases', true);
  if (!isSeq(seq) || !seq.range) return undefined;
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  if (seq.flow) {
    // `cases: [a, b]` → `cases: [a, b, entry]`
    const close = text.lastIndexOf(']', seq.range[1]);
    if (close < seq.range[0]) return undefined;
    const separator = seq.items.length > 0 ? ', ' : '';
    return `${text.slice(0, close).trimEnd()}${separator}${entry}${text.slice(close)}`;
  }
  const last = seq.items.at(-1) as {range?: [number, number, number]} | undefined;
  if (!last?.range) return undefined;
  // The last item's line prefix (“  - ”) gives the style; the entry goes on the line after the item.
  const lineStart = text.lastIndexOf('\n', last.range[0] - 1) + 1;
  const prefix = text.slice(lineStart, last.range[0]);
  if (!/^[ \t]*-[ \t]+$/.test(prefix)) return undefined;
  const lineEnd = text.indexOf('\n', last.range[1]);
  if (lineEnd < 0) return `${text}${newline}${prefix}${entry}${newline}`;
  return `${text.slice(0, lineEnd + 1)}${prefix}${entry}${newline}${text.slice(lineEnd + 1)}`;
}

function sameData(text: string, expected: unknown): boolean {
  const doc = parseDocument(text, {uniqueKeys: true});
  return doc.errors.length === 0 && isDeepStrictEqual(doc.toJS(), expected);
}
