// Measures the typeset text in Chromium, line by line, against clreq and GB/T 15834: a line must not
// start with a closing mark or end with an opening one, —— and …… must not be split, a paragraph's
// last line must not hold a single character, and no space may sit between two Han characters.
// Lines are found from per-character client rectangles: where a character is left of the one before
// it, a new line has begun. The page is measured with print media and the print text width, so its
// lines are the lines of the PDF.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import type {Page} from 'puppeteer-core';
import type {Cache} from '../cache.js';
import {PROJECT_ROOT} from '../project.js';

const MEASURE_LINES = readFile(path.join(PROJECT_ROOT, 'src/4-pdf/in-page/measure-lines.js'), 'utf8').then((source) => source.replace(/^\/\/.*\n/gm, '').trim());

export interface LayoutExample {
  rule: LayoutRule;
  /** The id of the nearest part or section, to find the place. */
  where: string;
  /** The text around the problem, with ⏎ where the line breaks. */
  context: string;
}

const RULES = ['line-start-closing', 'line-end-opening', 'split-dash-ellipsis', 'single-character-last-line', 'space-between-han'] as const;
export type LayoutRule = (typeof RULES)[number];
/** Examples kept (measure-lines.js keeps as many per part). */
const MAX_EXAMPLES = 20;

export interface LayoutReport {
  counts: Record<LayoutRule, number>;
  /** Blocks of text measured (paragraphs, headings, captions, cells). */
  blocks: number;
  examples: LayoutExample[];
}

/** Marks that must not start a line (clreq 3.1.7, GB/T 15834). */
export const CLOSING_MARKS = '、，。．；：？！）》」』”’…—〕】〉〗〙〛｝］％‰·・ー々〻';
/** Marks that must not end a line. */
export const OPENING_MARKS = '（《「『“‘〔【〈〖〘〚｛［';

const BLOCKS = 'p, h1, h2, h3, h4, h5, h6, figcaption, dt, dd, td, th, li:not(:has(p, ol, ul))';

/** A part of the book, measured on its own; with a key, its report is kept in the cache. */
export interface LayoutUnit {
  id: string;
  /** Everything its lines depend on (its HTML, the stylesheets, the faces), hashed. */
  key?: string;
}

/** Measures the whole page, or each of `parts` (those whose key the cache holds are not measured again). */
export async function checkLayout(page: Page, options: {parts?: LayoutUnit[]; cache?: Cache} = {}): Promise<LayoutReport> {
  return (await planLayoutCheck(page, options)).run();
}

export interface LayoutCheck {
  /** The parts to be measured (the others' reports are in the cache); none named for the whole page. */
  unmeasured: string[];
  /** Measures them in the page, or each in the one of `pages` it is in (the book printed in two tabs). */
  run(pages?: {page: Page; parts: string[]}[]): Promise<LayoutReport>;
}

/** Reads what the cache holds, so that the caller can choose when to measure the rest. */
export async function planLayoutCheck(page: Page | Promise<Page>, options: {parts?: LayoutUnit[]; cache?: Cache} = {}): Promise<LayoutCheck> {
  const measure = await MEASURE_LINES;
  // The page as it is laid out: the PDF stage loads it in print media, with the print text width.
  const measureIn = async (roots: string[] | null, within: Page | Promise<Page> = page) =>
    (await within).evaluate(`(${measure})(${JSON.stringify(BLOCKS)}, ${JSON.stringify(CLOSING_MARKS)}, ${JSON.stringify(OPENING_MARKS)}, ${JSON.stringify(roots)})`) as Promise<LayoutReport[]>;
  const {parts, cache} = options;
  if (!parts) return {unmeasured: [], run: async () => merge(await measureIn(null))};

  const reports = new Map<string, LayoutReport>();
  const cached = await Promise.all(parts.map((part) => (part.key && cache ? cache.getJson<LayoutReport>('layout', part.key) : undefined)));
  cached.forEach((report, index) => report && reports.set(parts[index]!.id, report));
  const missing = parts.filter((part) => !reports.has(part.id));
  return {
    unmeasured: missing.map((part) => part.id),
    async run(pages) {
      const groups = pages?.map((one) => ({page: one.page, parts: missing.filter((part) => one.parts.includes(part.id))})) ?? [{page, parts: missing}];
      const measured = await Promise.all(groups.map((group) => (group.parts.length > 0 ? measureIn(group.parts.map((part) => part.id), group.page) : [])));
      groups.forEach((group, number) => {
        for (const [index, part] of group.parts.entries()) {
          reports.set(part.id, measured[number]![index]!);
          if (part.key && cache) cache.setJson('layout', part.key, measured[number]![index]);
        }
      });
      return merge(parts.map((part) => reports.get(part.id)!));
    },
  };
}

/** One report of several, in their order: counts and blocks added up, the first examples kept. */
function merge(reports: LayoutReport[]): LayoutReport {
  const counts = Object.fromEntries(RULES.map((rule) => [rule, reports.reduce((sum, report) => sum + report.counts[rule], 0)])) as Record<LayoutRule, number>;
  return {counts, blocks: reports.reduce((sum, report) => sum + report.blocks, 0), examples: reports.flatMap((report) => report.examples).slice(0, MAX_EXAMPLES)};
}
