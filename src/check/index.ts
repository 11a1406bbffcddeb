// `npm run check`: the manuscript's Chinese punctuation checked against GB/T 15834 and the W3C's
// Requirements for Chinese Text Layout (clreq), without building; with `fix`, repaired in place.
import {readFile, realpath} from 'node:fs/promises';
import type {Point} from 'unist';
import type {VFile} from 'vfile';
import {location} from 'vfile-location';
import {readManuscript, type Manuscript} from '../1-manuscript/index.js';
import {decodeUtf8} from '../files.js';
import {reportError} from '../messages.js';
import {writeAtomically} from './edits.js';
import {fixSource, lintSource, type LintOptions, type Problem} from './lint.js';

export type {LintOptions, Problem} from './lint.js';
export {fixSource, lintSource} from './lint.js';

export interface CheckOptions {
  /** Repair what can be repaired, in place. */
  fix: boolean;
}

export interface CheckResult {
  /** Every file read, with the manuscript's own messages and the punctuation problems that remain. */
  files: VFile[];
  /** Edits made by `fix`. */
  fixed: number;
  /** Problems left that `fix` would repair. */
  fixable: number;
}

export async function checkManuscript(dir: string, options: CheckOptions): Promise<CheckResult> {
  let fixed = 0;
  const changedMeanwhile = new Set<string>();
  if (options.fix) {
    const {files, manuscript} = await readManuscript(dir);
    for (const file of chapterFiles(files)) {
      const source = String(file.value);
      const result = fixSource(source, lintOptions(manuscript));
      if (result.fixed === 0) continue;
      if (await writeFixed(file.path, source, result.text)) fixed += result.fixed;
      else changedMeanwhile.add(file.path);
    }
  }

  // What remains is read back from disk, so the report and its positions describe the files as they are.
  const {files, manuscript} = await readManuscript(dir);
  let fixable = 0;
  for (const file of chapterFiles(files)) {
    if (changedMeanwhile.has(file.path)) {
      reportError(file, 'the file changed while it was being fixed, so it was left as it is', undefined, 'file-changed',
        'Run the check again.');
    }
    const where = location(file);
    for (const problem of lintSource(String(file.value), lintOptions(manuscript))) {
      report(file, problem, where);
      if (problem.fix) fixable++;
    }
  }
  return {files, fixed, fixable};
}

/** Chapter files that could be read: book.yaml is settings, not text. */
function chapterFiles(files: VFile[]): VFile[] {
  return files.filter((file) => file.value !== undefined && file.extname === '.md');
}

function lintOptions(manuscript: Manuscript | undefined): LintOptions {
  const lang = manuscript?.book.lang ?? 'zh-CN';
  return {simplified: !/^zh-(?:Hant|TW|HK|MO)\b/i.test(lang)};
}

function report(file: VFile, problem: Problem, where: ReturnType<typeof location>) {
  const point = (offset: number): Point => where.toPoint(offset) ?? {line: 1, column: 1, offset: 0};
  reportError(file, problem.reason, {start: point(problem.start), end: point(problem.end)}, problem.ruleId, problem.hint);
}

/**
 * Replaces the chapter's text with `fixed`, keeping its byte-order mark. The file is read again
 * first: if it no longer holds the text that was checked (an editor saved meanwhile), nothing is
 * written. The real file behind a link is written, so the link stays a link.
 */
async function writeFixed(file: string, checked: string, fixed: string): Promise<boolean> {
  const target = await realpath(file);
  const bytes = await readFile(target);
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok || decoded.text !== checked) return false;
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? '\uFEFF' : '';
  await writeAtomically(target, bom + fixed);
  return true;
}
