// Composes the pages of the parts about to be printed, in the page, before the print: what Chromium's
// print cannot do by itself (see in-page/compose-pages.js, run in Chromium).
// - Tables wider than the text block are set smaller; nothing is ever wider than the text block, so
//   Chromium never shrinks the print to fit (one wide line shrank every page of the book to 87%).
// - Every block takes whole lines (body lines on one grid across facing pages and through the leaf).
// - A figure or table pushed to the next page leaves no hole: it moves to that page's top and the text
//   after it fills the page it left.
// - Table of contents entries get their dots up to the page number, on their last line.
// Then it measures, on the pages as they will print: blocks wider than the text block, body lines off
// the grid, pages (but a part's last) filled less than 80%, widow and orphan lines, titles with a line of
// one or two characters. Each part is laid out as columns the size of the text block, which Chromium
// breaks exactly as it breaks pages; the page count of each part is checked against the print.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import type {Page} from 'puppeteer-core';
import {TEXT_HEIGHT_ALLOWANCE, type PageGeometry} from '../3-assemble/index.js';
import {PROJECT_ROOT} from '../project.js';

const COMPOSE_PAGES = readFile(path.join(PROJECT_ROOT, 'src/4-pdf/in-page/compose-pages.js'), 'utf8').then((source) => source.replace(/^\/\/.*\n/gm, '').trim());

export const COMPOSITION_RULES = ['overflow', 'off-grid', 'underfilled-page', 'widow-orphan', 'short-title-line'] as const;
export type CompositionRule = (typeof COMPOSITION_RULES)[number];

/** Pages other than a part's last must be filled at least this much. */
export const MIN_PAGE_FILL = 0.8;

export interface CompositionExample {
  rule: CompositionRule;
  /** The part it is in. */
  part: string;
  /** `line:column` of the block in its chapter file (data-source), or ''. */
  source: string;
  /** The block's first words. */
  context: string;
}

export interface Composition {
  id: string;
  counts: Record<CompositionRule, number>;
  /** Pages the part takes, as composed (its print must take as many). */
  pages: number;
  /** Figures and tables moved to the top of a later page. */
  floated: number;
  examples: CompositionExample[];
}

const PIXELS_PER_POINT = 4 / 3;

/** Composes the parts `ids` (each starts a page) of the book loaded in `page`. */
export async function composePages(page: Page, ids: string[], geometry: PageGeometry): Promise<Composition[]> {
  const options = {
    roots: ids,
    composed: '.chapter, .toc',
    line: geometry.line * PIXELS_PER_POINT,
    textWidth: geometry.textWidth * PIXELS_PER_POINT,
    // As tall as the printed page's text block, its allowance included (see geometryVariables).
    textHeight: (geometry.textHeight + TEXT_HEIGHT_ALLOWANCE) * PIXELS_PER_POINT,
    lines: geometry.linesPerPage,
    minFill: MIN_PAGE_FILL,
  };
  return (await page.evaluate(`(${await COMPOSE_PAGES})(${JSON.stringify(options)})`)) as Composition[];
}

export interface CompositionSummary {
  counts: Record<CompositionRule | 'page-count', number>;
  /** Every example found (all overflows among them: each is an error in the manuscript). */
  examples: CompositionExample[];
  floated: number;
}

/**
 * The compositions of the book's parts added up, each checked against the pages its print took: a part
 * printed on more or fewer pages than it was composed on would have its floats and page fill measured on
 * pages that are not the print's (`page-count`, 0 unless Chromium's print breaks pages otherwise).
 */
export function summarizeCompositions(parts: {composition: Composition; pages: number}[]): CompositionSummary {
  const counts = Object.fromEntries([...COMPOSITION_RULES, 'page-count'].map((rule) => [rule, 0])) as CompositionSummary['counts'];
  const examples: CompositionExample[] = [];
  let floated = 0;
  for (const {composition, pages} of parts) {
    for (const rule of COMPOSITION_RULES) counts[rule] += composition.counts[rule];
    if (composition.pages !== pages) counts['page-count']++;
    examples.push(...composition.examples);
    floated += composition.floated;
  }
  return {counts, examples, floated};
}
