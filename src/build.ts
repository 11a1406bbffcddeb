// A build: the stages in the order data flows, stopping at the first stage that finds errors.
// Outputs are written to a staging folder inside the out folder and published only when all of them
// are made (src/publish.ts), so a failed or killed build leaves the previous book untouched.
import {mkdir, realpath, writeFile} from 'node:fs/promises';
import path from 'node:path';
import type {Browser} from 'puppeteer-core';
import {VFile} from 'vfile';
import {location} from 'vfile-location';
import {readManuscript, type Manuscript} from './1-manuscript/index.js';
import {renderChapters, type ChapterContent} from './2-markdown/index.js';
import {assembleBook, TemplateError, type AssembledBook} from './3-assemble/index.js';
import {explainChromiumFailure, launchBrowser, openConfinedPage, renderPdfs, type CompositionExample, type ConfinedPage, type ImageResolution, type LayoutReport, type PdfResult} from './4-pdf/index.js';
import {packageEpub} from './5-epub/index.js';
import {preflight, type PreflightReport} from './6-preflight/index.js';
import {Cache, DEFAULT_CACHE_DIR} from './cache.js';
import {isInside} from './files.js';
import {whenInterrupted} from './interrupt.js';
import {hasErrors, reportError, reportWarning} from './messages.js';
import {PROJECT_ROOT} from './project.js';
import {folderError, OutFolder, OutFolderError} from './publish.js';

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
  /** Take over an out folder that holds files the build did not make (src/publish.ts). */
  force?: boolean;
  /** Empty the cache first: every stage's work is done again. */
  clean?: boolean;
  /** How long to wait for another build into the same out folder (default 10 minutes). */
  lockWaitMs?: number;
}

export type PdfKind = 'print' | 'screen';

export interface BuildOutputs {
  /** The folder that holds this build's files (the out folder's names are links into it). */
  folder: string;
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
  const refused = await refusedOutFolder(outDir, options.manuscriptDir, options.cacheDir);
  if (refused) return {ok: false, files: [outFolderProblem(outDir, refused)]};
  // Chromium starts, and opens the tab the book is printed in, while the out folder is locked, the
  // manuscript read, its Markdown processed and the book assembled.
  const launching = launchBrowser();
  launching.catch(() => undefined);
  const folderOpening = OutFolder.open(outDir, {force: options.force, lockWaitMs: options.lockWaitMs, onWait: (holder) => options.onStage?.('waiting', `for another build into this folder (${holder})`)});
  folderOpening.catch(() => undefined);
  const opening = Promise.all([launching, folderOpening]).then(([browser, folder]) => openConfinedPage(browser, path.join(folder.staging, 'html'), {first: true}));
  opening.catch(() => undefined);
  let closing: Promise<void> | undefined;
  // A Chromium that crashed cannot be closed: its error must not hide the one that explains the failure.
  const closeBrowser = () => (closing ??= launching.then((browser) => browser.close()).catch(() => undefined));
  // Interrupted (Ctrl-C, kill): Chromium is killed at once, the staging folder and the lock removed.
  const forget = whenInterrupted(async () => {
    const browser = await Promise.race([launching.catch(() => undefined), Promise.resolve(undefined)]);
    killChromium(browser);
    await (await folderOpening.catch(() => undefined))?.abandon();
  });
  if (options.clean) await Cache.clear(options.cacheDir === false ? undefined : options.cacheDir ?? DEFAULT_CACHE_DIR);
  const cacheOpening = options.cacheDir === false ? undefined : Cache.open(options.cacheDir ?? DEFAULT_CACHE_DIR);
  cacheOpening?.catch(() => undefined);
  let cache: Cache | undefined;
  let folder: OutFolder | undefined;
  try {
    try {
      folder = await folderOpening;
    } catch (error) {
      if (error instanceof OutFolderError) return {ok: false, files: [outFolderProblem(outDir, error)]};
      throw error;
    }
    const {manuscript, files} = await stages.run('read', () => readManuscript(options.manuscriptDir));
    cache = await cacheOpening;
    if (!manuscript || hasErrors(files)) return {ok: false, files};
    const result = await buildBook(manuscript, files, {launching, opening, closeBrowser, folder}, options, stages, cache);
    if (cache?.damaged.length) files.push(cache.report());
    return result;
  } catch (error) {
    if (error instanceof OutFolderError) return {ok: false, files: [outFolderProblem(outDir, error)]};
    // Once closed on purpose, Chromium explains nothing.
    throw closing ? error : explainChromiumFailure(error, await launching.catch(() => undefined));
  } finally {
    await cache?.flush();
    await closeBrowser();
    await folder?.close();
    forget();
  }
}

/** Kills Chromium and every process it started (puppeteer starts it as the leader of its process group). */
function killChromium(browser: Browser | undefined) {
  const pid = browser?.process()?.pid;
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    browser?.process()?.kill('SIGKILL');
  }
}

/**
 * An out folder no build may write into, whatever is in it: the manuscript folder or one holding it, or
 * one holding the tool itself or its cache.
 */
async function refusedOutFolder(outDir: string, manuscriptDir: string, cacheDir: string | false | undefined): Promise<OutFolderError | undefined> {
  const out = await realpath(outDir).catch(() => undefined);
  if (!out) return undefined;
  const real = async (folder: string) => realpath(folder).catch(() => path.resolve(folder));
  const manuscript = await real(manuscriptDir);
  if (isInside(out, manuscript)) {
    return new OutFolderError(out === manuscript ? 'the out folder is the manuscript folder' : 'the out folder holds the manuscript folder', 'The outputs go to a folder of their own: give one with --out, for example --out out.');
  }
  for (const folder of [PROJECT_ROOT, ...(cacheDir === false ? [] : [cacheDir ?? DEFAULT_CACHE_DIR])]) {
    if (isInside(out, await real(folder))) return new OutFolderError('the out folder holds the tool’s own files', 'The outputs go to a folder of their own: give one with --out, for example --out out.');
  }
  return undefined;
}

/** An out folder problem as a message on the out folder. */
function outFolderProblem(outDir: string, error: OutFolderError): VFile {
  const file = new VFile({path: outDir});
  reportError(file, error.message, undefined, 'out-folder', error.hint);
  return file;
}

interface Workspace {
  launching: Promise<Browser>;
  opening: Promise<ConfinedPage>;
  /** Closes Chromium (once): called as soon as the build needs it no more. */
  closeBrowser: () => Promise<void>;
  /** The out folder: the outputs are made in its staging folder, then published. */
  folder: OutFolder;
}

async function buildBook(manuscript: Manuscript, files: VFile[], {launching, opening, closeBrowser, folder}: Workspace, options: BuildOptions, stages: Stages, cache?: Cache): Promise<BuildResult> {
  const {staging, dir: outDir} = folder;
  const chapters = await stages.run('markdown', () =>
    renderChapters(manuscript, {final: options.final, cache, onChapter: (done, total) => stages.progress(`chapter ${done} of ${total}`)}),
  );
  if (hasErrors(files)) return {ok: false, files};
  // An out folder inside the manuscript is refused if it holds a file the book is made from.
  const inputs = [manuscript.bookFile.path, ...manuscript.chapters.map((chapter) => chapter.file.path)];
  folder.checkInputs([...(await Promise.all(inputs.map((file) => realpath(file).catch(() => file)))), ...chapters.flatMap((content) => content.images.map((image) => image.source))]);

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
  if (names.shortened) {
    const title = String(manuscript.bookFile.value ?? '').search(/^title[ \t]*:/m);
    reportWarning(manuscript.bookFile, `the title is too long for a file name: the outputs are named “${names.epub}” and so on`, title < 0 ? undefined : location(manuscript.bookFile).toPoint(title),
      'title-length', 'A shorter title, or a subtitle for the rest, gives them the whole title.');
  }
  const kinds = options.pdf ?? ['print', 'screen'];
  {
    let markPrinted!: () => void;
    const printed = new Promise<void>((resolve) => (markPrinted = resolve));
    // Begun while Chromium may still be starting and the HTML's files are written (the PDF stage plans
    // the print meanwhile): its tab is ready when both are done.
    const ready = Promise.all([opening, inOutFolder(outDir, writeAssets(htmlDir, book))]).then(([tab]) => tab);
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
    const writing = inOutFolder(outDir, Promise.all([
      writeFile(path.join(htmlDir, 'index.html'), pdf.html),
      ...kinds.map((kind) => writeFile(path.join(staging, names.pdf(kind)), pdf[kind])),
      writeFile(path.join(staging, names.epub), epub),
    ]));
    writing.catch(() => undefined);
    const reports = await stages.run('preflight', () => preflightPdfs(pdf, kinds, book, names, outDir, files));
    await writing;
    if (hasErrors(files)) return {ok: false, files};
    const published = await inOutFolder(outDir, folder.publish([names.html, ...written, names.epub]));
    return {
      ok: true,
      files,
      outputs: {
        folder: published,
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
  }
}

/** What the file system refuses while the outputs are written, as a problem of the out folder. */
function inOutFolder<T>(outDir: string, work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    throw error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' ? folderError(outDir, error as NodeJS.ErrnoException) : error;
  });
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

/**
 * The outputs' file names, from the book's title: without the characters file systems refuse, not
 * hidden (no leading dot), and short enough for every file system (a name may have 255 bytes; a
 * Chinese character takes 3): a longer title is cut, and `shortened` says so.
 */
export function outputNames(title: string) {
  const full = title.replace(/[\\/:*?"<>|\s\p{Cc}]+/gu, '-').replace(/^[-.]+|-+$/g, '') || 'book';
  let base = '';
  for (const character of full) {
    if (Buffer.byteLength(base + character) > MAX_NAME_BYTES) break;
    base += character;
  }
  base = base.replace(/-+$/, '');
  const names = {html: 'html', screenPdf: `${base}.pdf`, printPdf: `${base}-print.pdf`, epub: `${base}.epub`};
  return {...names, shortened: base !== full, pdf: (kind: PdfKind) => (kind === 'print' ? names.printPdf : names.screenPdf)};
}

/** Bytes of an output's name before its ending (-print.pdf): well under the 255 that file systems allow. */
const MAX_NAME_BYTES = 150;

async function writeAssets(htmlDir: string, book: AssembledBook) {
  const targets = book.assets.map((asset) => path.join(htmlDir, asset.path));
  for (const folder of new Set([htmlDir, ...targets.map((target) => path.dirname(target))])) await mkdir(folder, {recursive: true});
  // At once: some eighty files (font subsets, stylesheets, pictures), written one after another took 50–150 ms.
  await Promise.all([writeFile(path.join(htmlDir, 'index.html'), book.html), ...book.assets.map((asset, index) => writeFile(targets[index]!, asset.data))]);
}
