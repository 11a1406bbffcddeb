// A build: the stages in the order data flows, stopping at the first stage that finds errors.
// Outputs are written to a staging folder inside the out folder and moved into place only when all of
// them are made, so a failed build leaves the previous book untouched.
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import type {Browser} from 'puppeteer-core';
import {VFile} from 'vfile';
import {readManuscript, type Manuscript} from './1-manuscript/index.js';
import {renderChapters, type ChapterContent} from './2-markdown/index.js';
import {assembleBook, TemplateError, type AssembledBook} from './3-assemble/index.js';
import {explainChromiumFailure, launchBrowser, openConfinedPage, renderPdfs, type CompositionExample, type ConfinedPage, type ImageResolution, type LayoutReport, type PdfResult} from './4-pdf/index.js';
import {packageEpub} from './5-epub/index.js';
import {preflight, type PreflightReport} from './6-preflight/index.js';
import {Cache, DEFAULT_CACHE_DIR} from './cache.js';
import {hasErrors, reportError, reportWarning} from './messages.js';

export interface BuildOptions {
  manuscriptDir: string;
  outDir: string;
  /** The build sent to print: placeholders and open editorial queries are errors; the whole book is printed. */
  final?: boolean;
  /** Which PDFs to write (both by default). */
  pdf?: PdfKind[];
  /** Pad the print PDF with blank pages to a multiple of 4. */
  pad?: boolean;
  /** The build cache (chapters, typeset parts, font subsets, line checks, the cover, the last print); false for none. Default: the project's .cache. */
  cacheDir?: string | false;
  /** Called as each stage starts, and with a detail as it goes (“case 3 of 50”), for a progress display. */
  onStage?: (stage: string, detail?: string) => void;
}

export type PdfKind = 'print' | 'screen';

export interface BuildOutputs {
  html: string;
  screenPdf?: string;
  printPdf?: string;
  epub: string;
}

export interface BuildStats {
  pages: number;
  /** Chapters whose Markdown was processed in this build (the others came from the cache). */
  chaptersProcessed: number;
  /** Parts Chromium printed in this build (the others' pages came from the last print, in the cache). */
  partsPrinted: number;
  /** The prints Chromium made of them (two at once for a large book printed whole). */
  prints: number;
  characters: number;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
  sizes: Record<string, number>;
  layout: LayoutReport;
  preflight: Partial<Record<PdfKind, PreflightReport>>;
}

export interface BuildResult {
  ok: boolean;
  files: VFile[];
  outputs?: BuildOutputs;
  stats?: BuildStats;
}

const MANIFEST = '.outputs.json';
/** Print resolution below which pictures look soft. */
const MIN_DPI = 300;

/** Times the stages and tells the progress display which one runs. */
class Stages {
  readonly timings: Record<string, number> = {};
  private current = '';
  constructor(private readonly onStage?: (stage: string, detail?: string) => void) {}

  /** Tells the progress display how the current stage goes. */
  readonly progress = (detail: string) => this.onStage?.(this.current, detail);

  async run<T>(stage: string, work: () => Promise<T>): Promise<T> {
    this.current = stage;
    this.onStage?.(stage);
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.timings[stage] = Math.round(performance.now() - start);
    }
  }

  /**
   * Starts a stage alongside another, which the progress display goes on showing; when that one ends
   * this one is shown, and timed from then: its time is what it adds to the build.
   */
  async alongside<T>(stage: string, other: Promise<unknown>, work: () => Promise<T>): Promise<T> {
    let otherEnd: number | undefined;
    other.then(() => {
      otherEnd = performance.now();
      this.current = stage;
      this.onStage?.(stage);
    }, () => undefined);
    try {
      return await work();
    } finally {
      this.timings[stage] = otherEnd === undefined ? 0 : Math.round(performance.now() - otherEnd);
    }
  }
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const stages = new Stages(options.onStage);
  const outDir = path.resolve(options.outDir);
  const staging = path.join(outDir, `.staging-${process.pid}-${Date.now()}`);
  // Chromium starts, and opens the tab the book is printed in, while the manuscript is read, its
  // Markdown processed and the book assembled.
  const launching = launchBrowser();
  const opening = launching.then((browser) => openConfinedPage(browser, path.join(staging, 'html'), {first: true}));
  opening.catch(() => undefined);
  let closing: Promise<void> | undefined;
  // A Chromium that crashed cannot be closed: its error must not hide the one that explains the failure.
  const closeBrowser = () => (closing ??= launching.then((browser) => browser.close()).catch(() => undefined));
  const cacheOpening = options.cacheDir === false ? undefined : Cache.open(options.cacheDir ?? DEFAULT_CACHE_DIR);
  cacheOpening?.catch(() => undefined);
  let cache: Cache | undefined;
  try {
    const {manuscript, files} = await stages.run('read', () => readManuscript(options.manuscriptDir));
    cache = await cacheOpening;
    if (!manuscript || hasErrors(files)) return {ok: false, files};
    return await buildBook(manuscript, files, {launching, opening, closeBrowser, staging, outDir}, options, stages, cache);
  } catch (error) {
    // Once closed on purpose, Chromium explains nothing.
    throw closing ? error : explainChromiumFailure(error, await launching.catch(() => undefined));
  } finally {
    await cache?.flush();
    await closeBrowser();
  }
}

interface Workspace {
  launching: Promise<Browser>;
  opening: Promise<ConfinedPage>;
  /** Closes Chromium (once): called as soon as the build needs it no more. */
  closeBrowser: () => Promise<void>;
  /** Where the outputs are made, then moved into `outDir`. */
  staging: string;
  outDir: string;
}

async function buildBook(manuscript: Manuscript, files: VFile[], {launching, opening, closeBrowser, staging, outDir}: Workspace, options: BuildOptions, stages: Stages, cache?: Cache): Promise<BuildResult> {
  const chapters = await stages.run('markdown', () =>
    renderChapters(manuscript, {final: options.final, cache, onChapter: (done, total) => stages.progress(`chapter ${done} of ${total}`)}),
  );
  if (hasErrors(files)) return {ok: false, files};

  let book: AssembledBook | undefined;
  try {
    const assembled = await stages.run('assemble', () => assembleBook(manuscript, chapters, {cache}));
    files.push(...assembled.files);
    book = assembled.book;
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    files.push(error.file);
  }
  if (!book || hasErrors(files)) return {ok: false, files};

  const htmlDir = path.join(staging, 'html');
  const date = buildDate(book);
  const names = outputNames(book.config.title);
  const kinds = options.pdf ?? ['print', 'screen'];
  try {
    let markPrinted!: () => void;
    const printed = new Promise<void>((resolve) => (markPrinted = resolve));
    // Begun while Chromium may still be starting and the HTML's files are written (the PDF stage plans
    // the print meanwhile): its tab is ready when both are done.
    const ready = Promise.all([opening, writeAssets(htmlDir, book)]).then(([tab]) => tab);
    const printing = stages.run('pdf', () => renderPdfs(book, htmlDir, ready, {date, pad: options.pad, onProgress: stages.progress, onPrinted: markPrinted, cache, whole: options.final}));
    // The EPUB is begun while Chromium prints (this process would otherwise wait): its page list follows
    // the print pages; its cover is drawn by Chromium while the PDFs are finished here.
    const pages = printing.then((pdf) => pdf.pages.map((page) => ({label: page.label, partId: page.part.id, text: page.startText})));
    const [pdf, epub] = await Promise.all([
      printing,
      stages.alongside('epub', printing, async () => packageEpub(book, {date, pages, printed, browser: await launching, htmlDir, cache})),
    ]);
    // Chromium takes a tenth of a second to close: it does so while the PDFs are checked and written.
    void closeBrowser();
    if (pdf.refused.length > 0) throw new Error(`Chromium tried to load files outside the build: ${pdf.refused.join(', ')}`);
    reportLowResolution(pdf.images, chapters);
    reportOverflows(pdf.layout.problems, chapters, manuscript.bookFile);
    reportLongHeads(pdf.longHeads, chapters, Boolean(options.final));
    // Written into the staging folder while the PDFs are checked (a failed check leaves them unpublished).
    const written = kinds.map(names.pdf);
    const writing = Promise.all([
      writeFile(path.join(htmlDir, 'index.html'), pdf.html),
      ...kinds.map((kind) => writeFile(path.join(staging, names.pdf(kind)), pdf[kind])),
      writeFile(path.join(staging, names.epub), epub),
    ]);
    writing.catch(() => undefined);
    const reports = await stages.run('preflight', () => preflightPdfs(pdf, kinds, book, names, outDir, files));
    await writing;
    if (hasErrors(files)) return {ok: false, files};
    await publish(staging, outDir, [names.html, ...written, names.epub]);
    return {
      ok: true,
      files,
      outputs: {
        html: path.join(outDir, names.html, 'index.html'),
        screenPdf: kinds.includes('screen') ? path.join(outDir, names.screenPdf) : undefined,
        printPdf: kinds.includes('print') ? path.join(outDir, names.printPdf) : undefined,
        epub: path.join(outDir, names.epub),
      },
      stats: {
        pages: pdf.pages.length,
        chaptersProcessed: chapters.filter((chapter) => !chapter.cached).length,
        partsPrinted: pdf.printed.length,
        prints: pdf.prints,
        characters: [...book.text.replace(/[\s\u00AD]/g, '')].length,
        timings: stages.timings,
        sizes: {pdf: pdf.screen.length, printPdf: pdf.print.length, epub: epub.length},
        layout: pdf.layout,
        preflight: reports,
      },
    };
  } finally {
    await rm(staging, {recursive: true, force: true});
  }
}

/**
 * Preflight of the PDF the press gets (of the screen PDF when only that one is made): a problem found
 * here is the tool's, reported like any other.
 */
async function preflightPdfs(pdf: PdfResult, kinds: PdfKind[], book: AssembledBook, names: ReturnType<typeof outputNames>, outDir: string, files: VFile[]) {
  const kind: PdfKind = kinds.includes('print') ? 'print' : 'screen';
  const report = await preflight(kind === 'print' ? pdf.printDocument : pdf[kind], {kind, trim: book.geometry.trim, bleed: book.geometry.bleed});
  const file = new VFile({path: path.join(outDir, names.pdf(kind))});
  for (const finding of report.findings) if (finding.severity === 'error') reportError(file, `preflight: ${finding.message}`, undefined, 'preflight');
  if (file.messages.length > 0) files.push(file);
  return {[kind]: report} as Partial<Record<PdfKind, PreflightReport>>;
}

/** Pictures that would print blurred, reported where the manuscript uses them. */
function reportLowResolution(images: ImageResolution[], chapters: ChapterContent[]) {
  for (const image of images.filter((image) => image.dpi < MIN_DPI)) {
    for (const {chapter, images: used} of chapters) {
      const asset = used.find((candidate) => `images/${candidate.name}` === image.src);
      if (!asset) continue;
      reportWarning(chapter.file, `this image prints at ${image.dpi} dpi (${asset.width} pixels across ${image.width} mm); print wants ${MIN_DPI}`, asset.place, 'image-resolution',
        `Supply an image at least ${Math.ceil((image.width / 25.4) * MIN_DPI)} pixels wide.`);
    }
  }
}

/**
 * What the page cannot hold — a table with too many columns even set small, a line that cannot be
 * broken — would make Chromium shrink every page of the book: an error, at its place in the manuscript.
 */
function reportOverflows(problems: CompositionExample[], chapters: ChapterContent[], bookFile: VFile) {
  for (const problem of problems.filter((found) => found.rule === 'overflow')) {
    const chapter = chapters.find((content) => content.chapter.id === problem.part)?.chapter;
    const [line, column] = problem.source.split(':').map(Number);
    const reason = `this is wider than the text block even when set as small as it may be (“${problem.context}”)`;
    const hint = 'Split the table into narrower ones, or shorten what cannot be broken.';
    if (chapter) reportError(chapter.file, reason, line ? {line, column: column ?? 1} : undefined, 'overflow', hint);
    else reportError(bookFile, `${reason}, in the part “${problem.part}”`, undefined, 'overflow', hint);
  }
}

/** A running head wider than the text block is drawn cut short in a proof; the build sent to print refuses it. */
function reportLongHeads(parts: string[], chapters: ChapterContent[], final: boolean) {
  for (const id of parts) {
    const chapter = chapters.find((content) => content.chapter.id === id)?.chapter;
    if (!chapter) continue;
    const key = chapter.meta['short-title'] ? 'short-title' : 'title';
    const report = final ? reportError : reportWarning;
    report(chapter.file, `the running head “${chapter.meta[key]}” is wider than the text block, so it is cut short`, chapter.metaPosition([key]), 'running-head',
      key === 'title' ? 'Give the chapter a shorter head (书眉) in its frontmatter: short-title: …' : 'Shorten the short-title.');
  }
}

/** SOURCE_DATE_EPOCH when set (reproducible builds), else the book's date, else a fixed date. */
function buildDate(book: AssembledBook): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  const date = book.config.date;
  if (date) return new Date(`${date}${date.length === 4 ? '-01-01' : date.length === 7 ? '-01' : ''}T00:00:00Z`);
  return new Date('2025-01-01T00:00:00Z');
}

function outputNames(title: string) {
  const base = title.replace(/[\\/:*?"<>|\s]+/g, '-').replace(/^-+|-+$/g, '') || 'book';
  const names = {html: 'html', screenPdf: `${base}.pdf`, printPdf: `${base}-print.pdf`, epub: `${base}.epub`};
  return {...names, pdf: (kind: PdfKind) => (kind === 'print' ? names.printPdf : names.screenPdf)};
}

async function writeAssets(htmlDir: string, book: AssembledBook) {
  const targets = book.assets.map((asset) => path.join(htmlDir, asset.path));
  for (const folder of new Set([htmlDir, ...targets.map((target) => path.dirname(target))])) await mkdir(folder, {recursive: true});
  // At once: some eighty files (font subsets, stylesheets, pictures), written one after another took 50–150 ms.
  await Promise.all([writeFile(path.join(htmlDir, 'index.html'), book.html), ...book.assets.map((asset, index) => writeFile(targets[index]!, asset.data))]);
}

/**
 * Moves the staged outputs into the out folder, replacing the previous ones, and removes outputs of
 * an earlier build that this one no longer makes (the book's title changed).
 */
async function publish(staging: string, outDir: string, names: string[]) {
  const manifestFile = path.join(outDir, MANIFEST);
  const previous: string[] = await readFile(manifestFile, 'utf8').then((text) => JSON.parse(text) as string[], () => []);
  const retired = path.join(staging, '.retired');
  await mkdir(retired, {recursive: true});
  for (const name of names) {
    await rename(path.join(outDir, name), path.join(retired, name)).catch(() => undefined);
    await rename(path.join(staging, name), path.join(outDir, name));
  }
  for (const name of previous.filter((name) => !names.includes(name) && !name.includes('/') && !name.startsWith('.'))) {
    await rm(path.join(outDir, name), {recursive: true, force: true});
  }
  await writeFile(manifestFile, JSON.stringify(names, null, 2));
}
