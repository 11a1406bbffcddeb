// A build: the five stages in the order data flows, stopping at the first stage that finds errors.
// Outputs are written to a staging folder inside the out folder and moved into place only when all of
// them are made, so a failed build leaves the previous book untouched.
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import type {Browser} from 'puppeteer-core';
import {readManuscript} from './1-manuscript/index.js';
import {renderChapters} from './2-markdown/index.js';
import {assembleBook, TemplateError, type AssembledBook} from './3-assemble/index.js';
import {launchBrowser, renderPdfs, type LayoutReport} from './4-pdf/index.js';
import {packageEpub} from './5-epub/index.js';
import {preflight, type PreflightReport} from './6-preflight/index.js';
import {hasErrors, reportError} from './messages.js';
import {VFile} from 'vfile';

export interface BuildOptions {
  manuscriptDir: string;
  outDir: string;
  /** The build sent to print: placeholders and open editorial queries are errors. */
  final?: boolean;
  /** Which PDFs to write (both by default). */
  pdf?: PdfKind[];
  /** Pad the print PDF with blank pages to a multiple of 4. */
  pad?: boolean;
  /** Called as each stage starts, for a progress display. */
  onStage?: (stage: string) => void;
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
  passes: number;
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

export async function build(options: BuildOptions): Promise<BuildResult> {
  const timings: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    options.onStage?.(stage);
    const start = performance.now();
    try {
      return await work();
    } finally {
      timings[stage] = Math.round(performance.now() - start);
    }
  };

  const read = await timed('read', () => readManuscript(options.manuscriptDir));
  const files = read.files;
  if (!read.manuscript || hasErrors(files)) return {ok: false, files};
  const manuscript = read.manuscript;

  const chapters = await timed('markdown', () => renderChapters(manuscript, {final: options.final}));
  if (hasErrors(files)) return {ok: false, files};

  let book: AssembledBook | undefined;
  try {
    const assembled = await timed('assemble', () => assembleBook(manuscript, chapters));
    files.push(...assembled.files);
    book = assembled.book;
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    files.push(error.file);
  }
  if (!book || hasErrors(files)) return {ok: false, files};

  const outDir = path.resolve(options.outDir);
  const staging = path.join(outDir, `.staging-${process.pid}-${Date.now()}`);
  const date = buildDate(book);
  const names = outputNames(book.config.title);
  let browser: Browser | undefined;
  try {
    await timed('write html', () => writeAssets(path.join(staging, 'html'), book));
    browser = await timed('launch chromium', () => launchBrowser());
    const launched = browser;
    const htmlDir = path.join(staging, 'html');
    const pdf = await timed('pdf', () => renderPdfs(book, htmlDir, launched, {date, pad: options.pad}));
    if (pdf.refused.length > 0) throw new Error(`Chromium tried to load files outside the build: ${pdf.refused.join(', ')}`);
    // The EPUB's page list follows the print pages.
    const pages = pdf.pages.map((page) => ({label: page.label, partId: page.part.id, text: page.startText}));
    const epub = await timed('epub', () => packageEpub(book, {date, pages, browser: launched, htmlDir}));

    const kinds = options.pdf ?? ['print', 'screen'];
    const written: Partial<Record<PdfKind, string>> = {};
    const preflightReports: Partial<Record<PdfKind, PreflightReport>> = {};
    await timed('preflight', async () => {
      for (const kind of kinds) {
        const name = kind === 'print' ? names.printPdf : names.screenPdf;
        const bytes = kind === 'print' ? pdf.print : pdf.screen;
        const report = await preflight(bytes, {kind, trim: book.geometry.trim, bleed: book.geometry.bleed});
        preflightReports[kind] = report;
        // The PDF was made by this build: a problem here is the tool's, reported like any other.
        const file = new VFile({path: path.join(outDir, name)});
        for (const finding of report.findings.filter((finding) => finding.severity === 'error')) {
          reportError(file, `preflight: ${finding.message}`, undefined, 'preflight');
        }
        if (file.messages.length > 0) files.push(file);
        await writeFile(path.join(staging, name), bytes);
        written[kind] = name;
      }
    });
    if (hasErrors(files)) return {ok: false, files};
    await writeFile(path.join(staging, names.epub), epub);
    await publish(staging, outDir, [names.html, ...Object.values(written), names.epub]);
    return {
      ok: true,
      files,
      outputs: {
        html: path.join(outDir, names.html, 'index.html'),
        screenPdf: written.screen && path.join(outDir, written.screen),
        printPdf: written.print && path.join(outDir, written.print),
        epub: path.join(outDir, names.epub),
      },
      stats: {
        pages: pdf.pages.length,
        passes: pdf.passes,
        characters: [...book.text.replace(/\s/g, '')].length,
        timings,
        sizes: {pdf: pdf.screen.length, printPdf: pdf.print.length, epub: epub.length},
        layout: pdf.layout,
        preflight: preflightReports,
      },
    };
  } finally {
    await browser?.close();
    await rm(staging, {recursive: true, force: true});
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
  return {html: 'html', screenPdf: `${base}.pdf`, printPdf: `${base}-print.pdf`, epub: `${base}.epub`};
}

async function writeAssets(htmlDir: string, book: AssembledBook) {
  await mkdir(htmlDir, {recursive: true});
  await writeFile(path.join(htmlDir, 'index.html'), book.html);
  for (const asset of book.assets) {
    const target = path.join(htmlDir, asset.path);
    await mkdir(path.dirname(target), {recursive: true});
    await writeFile(target, asset.data);
  }
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
