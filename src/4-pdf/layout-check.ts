// Measures the typeset text in Chromium, line by line, against clreq and GB/T 15834: a line must not
// start with a closing mark or end with an opening one, —— and …… must not be split, a paragraph's
// last line must not hold a single character, and no space may sit between two Han characters.
// Lines are found from per-character client rectangles: where a character is left of the one before
// it, a new line has begun. The page is measured with print media and the print text width, so its
// lines are the lines of the PDF.
import {readFile} from 'node:fs/promises';
import type {Page} from 'puppeteer-core';

const MEASURE_LINES = readFile(new URL('in-page/measure-lines.js', import.meta.url), 'utf8').then((source) => source.replace(/^\/\/.*\n/gm, '').trim());

export interface LayoutExample {
  rule: LayoutRule;
  /** The id of the nearest part or section, to find the place. */
  where: string;
  /** The text around the problem, with ⏎ where the line breaks. */
  context: string;
}

export type LayoutRule = 'line-start-closing' | 'line-end-opening' | 'split-dash-ellipsis' | 'single-character-last-line' | 'space-between-han';

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

export async function checkLayout(page: Page): Promise<LayoutReport> {
  await page.emulateMediaType('print');
  const measure = await MEASURE_LINES;
  return page.evaluate(`(${measure})(${JSON.stringify(BLOCKS)}, ${JSON.stringify(CLOSING_MARKS)}, ${JSON.stringify(OPENING_MARKS)})`) as Promise<LayoutReport>;
}
