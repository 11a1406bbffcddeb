// Rebuilds after editing one case and after adding one: only the edited Markdown is processed again,
// only the parts whose print changed are printed (their pages spliced into the last print), and the
// outputs are those of a build from scratch although the edit moved every later case.
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {build, type BuildResult} from '../../src/build.js';
import {Cache} from '../../src/cache.js';
import {pdfPages, pdfStructure, structureTreeProblems, tableOfContents, temporaryDirectory, writeManuscript} from '../helpers.js';

const TITLES = ['一', '二', '三', '四'].map((number) => `案例${number}：探路内涵式发展，临平经开区加快迈向未来智造城`);
/** Half-title-less book: title page, 版权页, the series introduction, the table of contents, the cases. */
const PARTS = 4 + TITLES.length;

let manuscript: string;
let cacheDir: string;
let cold: BuildResult;
let coldPages: Awaited<ReturnType<typeof pdfPages>>;
/** After the edit: rebuilt with the cache, and built from scratch. */
let edited: {warm: BuildResult; scratch: BuildResult};
/** After a fifth case is added. */
let added: {warm: BuildResult; scratch: BuildResult};

async function rebuildAndScratch(outDir: string): Promise<{warm: BuildResult; scratch: BuildResult}> {
  const warm = await build({manuscriptDir: manuscript, outDir, cacheDir});
  const scratch = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('scratch'), cacheDir: false});
  return {warm, scratch};
}

beforeAll(async () => {
  const book = await syntheticCasebook({cases: 5, vary: true});
  const fifth = book['cases/005-case.md']!;
  delete book['cases/005-case.md'];
  manuscript = await writeManuscript(book);
  const outDir = await temporaryDirectory('incremental');
  cacheDir = await temporaryDirectory('cache');
  cold = await build({manuscriptDir: manuscript, outDir, cacheDir});
  // Read now: the rebuild replaces the PDF.
  coldPages = await pdfPages(cold.outputs!.screenPdf!);
  // Case two grows by some five pages: every later case moves.
  const case2 = path.join(manuscript, 'cases/002-case.md');
  const paragraphs = Array.from({length: 40}, (_, index) => `编辑补写的第${index + 1}段，用于检验增量构建之后的页码与目录仍然正确。`.repeat(3)).join('\n\n');
  await writeFile(case2, (await readFile(case2, 'utf8')).replace('时隔十年', `${paragraphs}\n\n时隔十年`));
  edited = await rebuildAndScratch(outDir);
  await writeFile(path.join(manuscript, 'cases/005-case.md'), fifth);
  added = await rebuildAndScratch(await temporaryDirectory('added'));
});

describe('a rebuild after editing one case', () => {
  it('processes only that case again', () => {
    expect(cold.ok && edited.warm.ok && edited.scratch.ok).toBe(true);
    expect(cold.stats!.chaptersProcessed).toBe(5);
    expect(edited.warm.stats!.chaptersProcessed).toBe(1);
  });

  it('prints only the case, not the book: the 版权页’s new 字数 is written in after the print', async () => {
    expect(cold.stats!.partsPrinted).toBe(PARTS);
    expect(edited.warm.stats!.partsPrinted).toBe(1);
    const wordCount = (pages: Awaited<ReturnType<typeof pdfPages>>) => /字数\s*(\d+)\s*千字/.exec(pages.map((page) => page.text).join('\n'))?.[1];
    const before = Number(wordCount(coldPages));
    expect(Number(wordCount(await pdfPages(edited.warm.outputs!.screenPdf!)))).toBeGreaterThan(before);
  });

  it('moves the later cases and prints their new page numbers in the table of contents', async () => {
    const before = tableOfContents(coldPages, TITLES);
    const after = tableOfContents(await pdfPages(edited.warm.outputs!.screenPdf!), TITLES);
    expect(after[3]!.opening).toBeGreaterThan(before[3]!.opening);
    for (const entry of after) {
      expect(entry.printed, entry.title).toBe(entry.folio);
      expect((entry.opening + 1) % 2, entry.title).toBe(1);
    }
  });
});

describe.each([
  ['editing one case', () => edited],
  ['adding a case', () => added],
])('a rebuild after %s', (_, builds) => {
  it('prints only some parts', () => {
    const {warm, scratch} = builds();
    expect(warm.ok && scratch.ok).toBe(true);
    expect(warm.stats!.partsPrinted).toBeGreaterThan(0);
    expect(warm.stats!.partsPrinted).toBeLessThan(scratch.stats!.partsPrinted / 2);
  });

  it('makes the PDFs of a build from scratch: text, folios, heads, labels, bookmarks, links, structure, boxes', async () => {
    const {warm, scratch} = builds();
    for (const kind of ['screenPdf', 'printPdf'] as const) {
      expect(await pdfPages(warm.outputs![kind]!)).toEqual(await pdfPages(scratch.outputs![kind]!));
    }
    expect(await pdfStructure(warm.outputs!.screenPdf!)).toEqual(await pdfStructure(scratch.outputs!.screenPdf!));
    expect(await structureTreeProblems(warm.outputs!.screenPdf!)).toEqual([]);
    // Black as black ink only on the pages taken from the kept print too.
    expect(warm.stats!.preflight.print!.findings).toEqual(scratch.stats!.preflight.print!.findings);
    expect(warm.stats!.preflight.print!.findings.map((finding) => finding.message).join('\n')).not.toMatch(/RGB/);
  });

  it('makes the EPUB and the HTML of a build from scratch, byte for byte', async () => {
    const {warm, scratch} = builds();
    expect(Buffer.compare(await readFile(warm.outputs!.epub), await readFile(scratch.outputs!.epub))).toBe(0);
    expect(await readFile(warm.outputs!.html, 'utf8')).toBe(await readFile(scratch.outputs!.html, 'utf8'));
  });
});

describe('a rebuild when the kept print is made of three prints already', () => {
  it('prints the whole book (each print spliced in brings its own font subsets)', async () => {
    const rebuilt = await editAndRebuild('cases/001-case.md');
    expect(rebuilt.ok).toBe(true);
    expect(rebuilt.stats!.partsPrinted).toBe(PARTS + 1);
  });
});

describe('a rebuild after Chromium changed', () => {
  it('prints the whole book: the kept print is another Chromium’s', async () => {
    await changeKeptPrint((data) => {
      const length = data.readUInt32BE(0);
      const header = JSON.parse(data.toString('utf8', 4, 4 + length)) as {chromium: string};
      expect(header.chromium).toMatch(/Chrom/);
      const changed = Buffer.from(JSON.stringify({...header, chromium: 'HeadlessChrome/1.0'}));
      const size = Buffer.alloc(4);
      size.writeUInt32BE(changed.length);
      return Buffer.concat([size, changed, data.subarray(4 + length)]);
    });
    const rebuilt = await editAndRebuild('cases/002-case.md');
    expect(rebuilt.ok).toBe(true);
    expect(rebuilt.stats!.partsPrinted).toBe(PARTS + 1);
  });
});

describe('a rebuild whose kept print is broken', () => {
  it('prints the whole book instead, whether its objects or its description are cut short (as a bug could write it)', async () => {
    for (const cut of [(size: number) => size - 100, () => 1000]) {
      await changeKeptPrint((data) => data.subarray(0, cut(data.length)));
      const rebuilt = await editAndRebuild('cases/003-case.md');
      expect(rebuilt.ok).toBe(true);
      expect(rebuilt.stats!.partsPrinted).toBe(PARTS + 1);
      expect(await structureTreeProblems(rebuilt.outputs!.screenPdf!)).toEqual([]);
      expect(rebuilt.files.flatMap((file) => file.messages.filter((message) => message.ruleId === 'cache-damaged'))).toEqual([]);
    }
  });

  it('prints the whole book instead when a page’s content cannot be decoded, or its pages are not its parts’', async () => {
    const {PDFName, PDFRawStream} = await import('pdf-lib');
    const {readObjects, writeObjects} = await import('../../src/4-pdf/pdf-objects.js');
    const changes: ((pdf: import('pdf-lib').PDFDocument) => void)[] = [
      // The title page's, which nothing else in a rebuild of a case reads.
      (pdf) => {
        const page = pdf.getPage(0);
        const ref = page.node.get(PDFName.of('Contents'));
        const stream = pdf.context.lookup(ref as import('pdf-lib').PDFRef) as import('pdf-lib').PDFRawStream;
        pdf.context.assign(ref as import('pdf-lib').PDFRef, PDFRawStream.of(stream.dict, stream.contents.subarray(0, stream.contents.length >> 1)));
      },
      (pdf) => pdf.removePage(pdf.getPageCount() - 1),
    ];
    for (const change of changes) {
      await changeKeptPrint((data) => {
        const length = data.readUInt32BE(0);
        const pdf = readObjects(data.subarray(4 + length));
        change(pdf);
        return Buffer.concat([data.subarray(0, 4 + length), writeObjects(pdf)]);
      });
      const rebuilt = await editAndRebuild('cases/004-case.md');
      expect(rebuilt.ok).toBe(true);
      expect(rebuilt.stats!.partsPrinted).toBe(PARTS + 1);
      expect(await structureTreeProblems(rebuilt.outputs!.screenPdf!)).toEqual([]);
    }
  });
});

/** Rewrites the kept print's cache entry (as the cache writes it: with the hash of its new content). */
async function changeKeptPrint(change: (data: Buffer) => Buffer) {
  const cache = await Cache.open(cacheDir);
  const key = cache.key('kept print');
  const data = await cache.get('print', key);
  expect(data).toBeDefined();
  cache.set('print', key, change(data!));
  await cache.flush();
}

async function editAndRebuild(file: string): Promise<BuildResult> {
  const edited = path.join(manuscript, file);
  await writeFile(edited, `${await readFile(edited, 'utf8')}\n编辑又补了一句。\n`);
  return build({manuscriptDir: manuscript, outDir: await temporaryDirectory('rebuilt'), cacheDir});
}

describe('the build sent to print (--final)', () => {
  it('prints the whole book though only one case changed', async () => {
    const book = 'title: 测试之书\n';
    const chapter = (text: string) => `---\ntitle: 案例${text.slice(0, 2)}\n---\n\n${text}\n`;
    const root = await writeManuscript({'book.yaml': book, 'cases/01.md': chapter('城市发展动力。'), 'cases/02.md': chapter('内涵式发展。'), 'cases/03.md': chapter('品质提升。')});
    const options = {manuscriptDir: root, outDir: await temporaryDirectory('final'), cacheDir: await temporaryDirectory('final-cache')};
    const first = await build(options);
    await writeFile(path.join(root, 'cases/03.md'), chapter('品质提升，案例就是路径。'));
    const rebuilt = await build(options);
    await writeFile(path.join(root, 'cases/03.md'), chapter('品质提升，案例就是路径之一。'));
    const final = await build({...options, final: true});
    expect([first.ok, rebuilt.ok, final.ok]).toEqual([true, true, true]);
    expect(rebuilt.stats!.partsPrinted).toBeLessThan(first.stats!.partsPrinted);
    expect(final.stats!.partsPrinted).toBe(first.stats!.partsPrinted);
  });
});
