// A rebuild after editing one case: only that case's Markdown is processed again, and the page numbers
// are still right although the edit moved every later case.
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {build, type BuildResult} from '../../src/build.js';
import {pdfPages, tableOfContents, temporaryDirectory, writeManuscript} from '../helpers.js';

const TITLES = ['一', '二', '三', '四'].map((number) => `案例${number}：探路内涵式发展，临平经开区加快迈向未来智造城`);
let cold: BuildResult;
let warm: BuildResult;
let coldPages: Awaited<ReturnType<typeof pdfPages>>;

beforeAll(async () => {
  const manuscript = await writeManuscript(await syntheticCasebook({cases: 4, vary: true}));
  const outDir = await temporaryDirectory('incremental');
  const cacheDir = await temporaryDirectory('cache');
  cold = await build({manuscriptDir: manuscript, outDir, cacheDir});
  // Read now: the rebuild replaces the PDF.
  coldPages = await pdfPages(cold.outputs!.screenPdf!);
  // Case two grows by some five pages: every later case moves.
  const edited = path.join(manuscript, 'cases/002-case.md');
  const added = Array.from({length: 40}, (_, index) => `编辑补写的第${index + 1}段，用于检验增量构建之后的页码与目录仍然正确。`.repeat(3)).join('\n\n');
  await writeFile(edited, (await readFile(edited, 'utf8')).replace('时隔十年', `${added}\n\n时隔十年`));
  warm = await build({manuscriptDir: manuscript, outDir, cacheDir});
});

describe('a rebuild after editing one case', () => {
  it('processes only that case again', () => {
    expect(cold.ok && warm.ok).toBe(true);
    expect(cold.stats!.chaptersProcessed).toBe(5);
    expect(warm.stats!.chaptersProcessed).toBe(1);
  });

  it('moves the later cases and prints their new page numbers in the table of contents', async () => {
    const before = tableOfContents(coldPages, TITLES);
    const after = tableOfContents(await pdfPages(warm.outputs!.screenPdf!), TITLES);
    expect(after[3]!.opening).toBeGreaterThan(before[3]!.opening);
    for (const entry of after) {
      expect(entry.printed, entry.title).toBe(entry.folio);
      expect((entry.opening + 1) % 2, entry.title).toBe(1);
    }
  });
});
