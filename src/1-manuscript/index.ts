// Stage 1: the manuscript folder → a Manuscript (validated book.yaml + one VFile per chapter, in book
// order). Nothing is rendered here; every problem found is reported on the file it concerns.
import {readdir, stat} from 'node:fs/promises';
import path from 'node:path';
import type {Position} from 'unist';
import {VFile} from 'vfile';
import {readText, resolveInside} from '../files.js';
import {reportError, reportWarning} from '../messages.js';
import {bookSchema, chapterSchema, type BookConfig, type ChapterMeta} from './schema.js';
import {parseYaml, type ParsedYaml} from './yaml.js';

export type {BookConfig, ChapterMeta} from './schema.js';

export type ChapterKind = 'front' | 'case';

export interface Chapter {
  kind: ChapterKind;
  /** Stable, readable, XML-safe id derived from the file name: `case-01-linping`. */
  id: string;
  /** The whole source file (frontmatter included, so positions match the editor's view). */
  file: VFile;
  meta: ChapterMeta;
  /** Where a frontmatter key is, for messages about it found in later stages (a running head too long). */
  metaPosition(path: (string | number)[]): Position;
}

export interface Manuscript {
  root: string;
  book: BookConfig;
  bookFile: VFile;
  /** Where a key of book.yaml is, for messages about it found in later stages. */
  bookPosition(path: (string | number)[]): Position;
  chapters: Chapter[];
}

export interface ReadResult {
  manuscript?: Manuscript;
  /** Every file read, each with its messages. */
  files: VFile[];
}

const FRONTMATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

export async function readManuscript(root: string): Promise<ReadResult> {
  root = path.resolve(root);
  const bookFile = new VFile({path: path.join(root, 'book.yaml')});
  const files = [bookFile];
  const bookText = await readSource(root, bookFile);
  if (bookText === undefined) return {files};
  // Even when book.yaml has errors, the chapters are read (in folder order) so that all problems of
  // the manuscript are reported in one run.
  const parsedBook = parseYaml({file: bookFile, text: bookText, offset: 0}, bookSchema);

  const chapters: Chapter[] = [];
  const usedIds = new Set<string>();
  const titles = new Map<string, VFile>();
  const listed: {kind: ChapterKind; file: VFile}[] = [];
  for (const kind of ['front', 'case'] as const) {
    for (const chapterPath of await chapterPaths(root, kind, parsedBook, bookFile)) listed.push({kind, file: new VFile({path: chapterPath})});
  }
  // Read all at once: one after the other, a 50-case book's files took twice as long.
  const texts = await Promise.all(listed.map(({file}) => readSource(root, file)));
  for (const [index, {kind, file}] of listed.entries()) {
    files.push(file);
    if (texts[index] === undefined) continue;
    const frontmatter = readFrontmatter(file);
    if (!frontmatter) continue;
    const {data: meta} = frontmatter;
    // Two chapters with one title would make the table of contents and the running heads ambiguous.
    const earlier = titles.get(meta.title);
    if (earlier) {
      reportError(file, `another chapter has the title “${meta.title}”: ${path.relative(root, earlier.path)}`, frontmatter.positionOf(['title']), 'duplicate-title');
    }
    titles.set(meta.title, file);
    chapters.push({kind, id: uniqueId(kind, file.path, usedIds), file, meta, metaPosition: frontmatter.positionOf});
  }
  return {files, manuscript: parsedBook && {root, book: parsedBook.data, bookFile, bookPosition: parsedBook.positionOf, chapters}};
}

/** Larger than any chapter or book.yaml an editor writes: refused before it is read into memory. */
const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** Reads a file into `file.value`; reports unreadable, outside, oversized or non-UTF-8 files. */
async function readSource(root: string, file: VFile): Promise<string | undefined> {
  const resolved = await resolveInside(root, file.path);
  if ('problem' in resolved) {
    reportError(file, `the file ${resolved.problem}`, undefined, 'missing-file');
    return undefined;
  }
  if (!resolved.inside) {
    reportError(file, `this file links to ${resolved.real}, outside the manuscript folder`, undefined, 'outside-manuscript');
    return undefined;
  }
  const size = (await stat(resolved.real)).size;
  if (size > MAX_FILE_BYTES) {
    reportError(file, `the file is ${(size / 1024 / 1024).toFixed(1)} MB; a manuscript file may be at most ${MAX_FILE_BYTES / 1024 / 1024} MB`, undefined, 'file-size',
      'Split the chapter, or check that this is the file you meant.');
    return undefined;
  }
  const decoded = await readText(resolved.real).catch((error: NodeJS.ErrnoException) => {
    reportError(file, `cannot read the file (${error.code ?? error.message})`, undefined, 'unreadable-file');
    return undefined;
  });
  if (!decoded) return undefined;
  if (!decoded.ok) {
    reportError(file, 'the file is not valid UTF-8 text', {line: decoded.line, column: decoded.column}, 'invalid-utf8',
      'Save the file as UTF-8 in your editor (not GBK or GB18030).');
    return undefined;
  }
  file.value = decoded.text;
  return decoded.text;
}

function readFrontmatter(file: VFile): ParsedYaml<ChapterMeta> | undefined {
  const text = String(file.value);
  const match = FRONTMATTER.exec(text);
  if (!match) {
    reportError(file, 'the chapter has no frontmatter', {line: 1, column: 1}, 'missing-frontmatter',
      'Start the file with a block between two “---” lines that gives at least “title: …”.');
    return undefined;
  }
  const yaml = match[1] ?? '';
  const offset = match[0].indexOf('\n') + 1;
  return parseYaml({file, text: yaml, offset}, chapterSchema);
}

async function chapterPaths(root: string, kind: ChapterKind, parsedBook: ParsedYaml<BookConfig> | undefined, bookFile: VFile): Promise<string[]> {
  const folder = kind === 'front' ? 'front' : 'cases';
  const key = kind === 'front' ? 'front' : 'cases';
  const inFolder = await markdownFilesIn(path.join(root, folder));
  const listed = parsedBook?.data[key];
  if (!parsedBook || !listed) return inFolder;

  const result: string[] = [];
  const absolutes = listed.map((entry) => path.resolve(root, entry));
  const inside = (absolute: string) => absolute.startsWith(root + path.sep);
  const isFile = await Promise.all(absolutes.map((absolute) => (inside(absolute) ? stat(absolute).then((info) => info.isFile(), () => false) : false)));
  for (const [index, entry] of listed.entries()) {
    const at = parsedBook.positionOf([key, index]);
    const absolute = absolutes[index]!;
    if (!inside(absolute)) {
      reportError(bookFile, `“${entry}” is outside the manuscript folder`, at, 'outside-manuscript');
    } else if (!entry.endsWith('.md')) {
      reportError(bookFile, `“${entry}” is not a Markdown (.md) file`, at, 'not-markdown');
    } else if (result.includes(absolute)) {
      reportError(bookFile, `“${entry}” is listed twice`, at, 'duplicate-chapter');
    } else if (!isFile[index]) {
      reportError(bookFile, `“${entry}” does not exist`, at, 'missing-file',
        inFolder.length > 0 ? `Files in ${folder}/: ${inFolder.map((file) => path.basename(file)).join(', ')}.` : undefined);
    } else {
      result.push(absolute);
    }
  }
  for (const unlisted of inFolder.filter((file) => !result.includes(file))) {
    reportWarning(bookFile, `${path.relative(root, unlisted)} is not listed under “${key}”, so it is not in the book`,
      parsedBook.positionOf([key]), 'unlisted-chapter');
  }
  return result;
}

async function markdownFilesIn(folder: string): Promise<string[]> {
  const exists = await stat(folder).then((info) => info.isDirectory(), () => false);
  if (!exists) return [];
  const names = (await readdir(folder)).filter((name) => name.endsWith('.md') && !name.startsWith('.'));
  return names.sort((a, b) => a.localeCompare(b, 'en', {numeric: true})).map((name) => path.join(folder, name));
}

function uniqueId(kind: ChapterKind, file: string, used: Set<string>): string {
  const slug = path.basename(file, '.md').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const base = `${kind}-${slug || used.size + 1}`;
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}
