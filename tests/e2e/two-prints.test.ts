// A large book printed whole is printed as two prints made at once, in two tabs, the second spliced into
// the first: it must give what one print gives (the build sent to print is made in one).
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {beforeAll, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {build, type BuildResult} from '../../src/build.js';
import {pdfPages, pdfStructure, structureTreeProblems, temporaryDirectory, writeManuscript} from '../helpers.js';

let manuscript: string;
let cacheDir: string;
let twoPrints: BuildResult;
let onePrint: BuildResult;

beforeAll(async () => {
  const book = await syntheticCasebook({cases: 30});
  // Without the editorial queries and the figures still to come, which a build sent to print refuses.
  const ready = (text: string) => text.replace(/:query\[[^\]]*\]/g, '').replace(/^::figure.*\n/gm, '');
  manuscript = await writeManuscript(Object.fromEntries(Object.entries(book).map(([name, text]) => [name, ready(text)])));
  cacheDir = await temporaryDirectory('two-prints-cache');
  twoPrints = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('two-prints'), cacheDir});
  onePrint = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('one-print'), cacheDir: false, final: true});
});

it('prints a large book in two prints, and the build sent to print in one', () => {
  expect(twoPrints.ok && onePrint.ok).toBe(true);
  expect(twoPrints.stats!.prints).toBe(2);
  expect(onePrint.stats!.prints).toBe(1);
  expect(twoPrints.stats!.partsPrinted).toBe(onePrint.stats!.partsPrinted);
});

it('gives the PDFs one print gives: text, folios, heads, labels, bookmarks, links, structure, boxes', async () => {
  for (const kind of ['screenPdf', 'printPdf'] as const) {
    expect(await pdfPages(twoPrints.outputs![kind]!)).toEqual(await pdfPages(onePrint.outputs![kind]!));
  }
  expect(await pdfStructure(twoPrints.outputs!.screenPdf!)).toEqual(await pdfStructure(onePrint.outputs!.screenPdf!));
  expect(await structureTreeProblems(twoPrints.outputs!.screenPdf!)).toEqual([]);
  expect(twoPrints.stats!.layout).toEqual(onePrint.stats!.layout);
});

it('gives the EPUB and the HTML one print gives, byte for byte', async () => {
  expect(Buffer.compare(await readFile(twoPrints.outputs!.epub), await readFile(onePrint.outputs!.epub))).toBe(0);
  expect(await readFile(twoPrints.outputs!.html, 'utf8')).toBe(await readFile(onePrint.outputs!.html, 'utf8'));
});

it('keeps the two prints as one for a rebuild, which prints only the edited case', async () => {
  const edited = path.join(manuscript, 'cases/020-case.md');
  await writeFile(edited, `${await readFile(edited, 'utf8')}\n编辑又补了一句。\n`);
  const rebuilt = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('two-prints-rebuilt'), cacheDir});
  expect(rebuilt.ok).toBe(true);
  expect(rebuilt.stats!.prints).toBe(1);
  expect(rebuilt.stats!.partsPrinted).toBeLessThanOrEqual(2);
  const scratch = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('two-prints-scratch'), cacheDir: false, final: true});
  expect(await pdfPages(rebuilt.outputs!.screenPdf!)).toEqual(await pdfPages(scratch.outputs!.screenPdf!));
  expect(await pdfStructure(rebuilt.outputs!.screenPdf!)).toEqual(await pdfStructure(scratch.outputs!.screenPdf!));
});
