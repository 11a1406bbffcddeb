// The command line. Exit codes: 0 success, 1 the manuscript has errors, 2 wrong usage.
// Problems are printed as `path:line:col: severity: message [rule]`, never as a stack trace.
import {readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import {parseArgs, type ParseArgsConfig} from 'node:util';
import {bookSchema} from './1-manuscript/schema.js';
import {build, type BuildOutputs, type BuildStats, type PdfKind} from './build.js';
import {formatPreflight, preflight} from './6-preflight/index.js';
import {BrowserUnavailableError, ChromiumFailedError} from './4-pdf/index.js';
import {checkManuscript} from './check/index.js';
import {DEFAULT_PORT, startDevServer} from './dev/server.js';
import {exitOnSignals} from './interrupt.js';
import {hasErrors} from './messages.js';
import {createCase, NewCaseError} from './new-case.js';
import {formatReport, jsonMessages} from './report.js';
import type {VFile} from 'vfile';

const USAGE = `Usage:
  npm run build [-- --manuscript <dir>] [--out <dir>] [--final] [--pdf print,screen] [--pad] [--format json] [--force] [--clean]
      Builds the book: out/html/index.html, the screen PDF, the print PDF and the EPUB.
      --manuscript  the manuscript folder (default: manuscript)
      --out         the output folder (default: out)
      --final       the build sent to print: placeholders and open queries are errors, the whole book printed
      --pdf         which PDFs to write: print (for the press), screen, or both (default)
      --pad         pad the print PDF with blank pages to a multiple of 4
      --format      json: the messages and the summary as JSON on standard output, for machines
      --force       take over an out folder that holds files the build did not make
      --clean       empty the build cache first: everything is made again
  npm run preflight -- <file.pdf> [--trim 170mm×240mm] [--bleed 3mm]
      Reports what a print house checks: pages, page boxes, fonts, image resolution, RGB colour.
  npm run check [-- --manuscript <dir>] [--fix] [--format json]
      Checks the manuscript's Chinese punctuation (GB/T 15834, W3C clreq) without building.
      --manuscript  the manuscript folder (default: manuscript)
      --fix         repairs in place what can be repaired, and reports what remains
  npm run dev [-- --manuscript <dir>] [--port <n>]
      Serves a preview of the book's pages on 127.0.0.1 and rebuilds it whenever a file is saved.
      --manuscript  the manuscript folder (default: manuscript)
      --port        the port (default: 4321; 0 for any free port)
  npm run new -- "<title>" [--slug <ascii>] [--manuscript <dir>]
      Adds cases/NN-<slug>.md (the next number) with its frontmatter, listed in book.yaml if it lists cases.
      --slug        the file name after the number: ASCII letters, digits, hyphens (default: case)
      --manuscript  the manuscript folder (default: manuscript)
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'build':
      return runBuild(rest);
    case 'check':
      return runCheck(rest);
    case 'preflight':
      return runPreflight(rest);
    case 'dev':
      return runDev(rest);
    case 'new':
      return runNew(rest);
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command “${command}”`);
  }
}

async function runBuild(args: string[]): Promise<number> {
  const {values} = parse(args, {
    manuscript: {type: 'string', default: 'manuscript'},
    out: {type: 'string', default: 'out'},
    final: {type: 'boolean', default: false},
    pdf: {type: 'string', default: 'print,screen'},
    pad: {type: 'boolean', default: false},
    format: {type: 'string', default: 'text'},
    force: {type: 'boolean', default: false},
    clean: {type: 'boolean', default: false},
  });
  const json = outputFormat(values.format);
  const pdf = String(values.pdf).split(',').map((kind) => kind.trim());
  if (pdf.length === 0 || pdf.some((kind) => kind !== 'print' && kind !== 'screen')) throw new UsageError(`--pdf takes print, screen or print,screen, not “${values.pdf}”`);
  const manuscriptDir = await manuscriptFolder(String(values.manuscript));
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  const progress = process.stderr.isTTY && !json ? progressLine() : undefined;
  let result;
  try {
    exitOnSignals(() => progress?.clear());
    result = await build({manuscriptDir, outDir: String(values.out), final: Boolean(values.final), pdf: pdf as PdfKind[], pad: Boolean(values.pad), force: Boolean(values.force), clean: Boolean(values.clean), onStage: progress?.update});
  } finally {
    progress?.clear();
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ok: result.ok, messages: jsonMessages(result.files), outputs: result.outputs, stats: result.stats}, null, 2)}\n`);
    return result.ok ? 0 : 1;
  }
  process.stderr.write(formatReport(result.files, {color}));
  if (!result.ok || !result.outputs || !result.stats) {
    process.stderr.write('The book was not built; the previous outputs are unchanged.\n');
    return 1;
  }
  process.stdout.write(buildSummary(result.outputs, result.stats, result.files));
  return 0;
}

function outputFormat(value: unknown): boolean {
  if (value !== 'text' && value !== 'json') throw new UsageError(`--format takes text or json, not “${String(value)}”`);
  return value === 'json';
}

/** One line on the terminal, rewritten as the build goes: stage, chapter n of N, pages. */
function progressLine() {
  const write = (text: string) => process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns || 80) - 1)}`);
  return {
    update: (stage: string, detail?: string) => write(`… ${stage}${detail ? `: ${detail}` : ''}`),
    clear: () => write(''),
  };
}

function buildSummary(outputs: BuildOutputs, stats: BuildStats, files: VFile[]): string {
  const relative = (file: string) => path.relative(process.cwd(), file);
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
  const layout = Object.entries(stats.layout.counts).map(([rule, count]) => `${rule} ${count}`).join(', ');
  const warnings = files.reduce((count, file) => count + file.messages.filter((message) => !message.fatal).length, 0);
  return [
    `Built ${relative(outputs.html)}`,
    ...(outputs.screenPdf ? [`      ${relative(outputs.screenPdf)} (screen, ${stats.pages} pages, ${kb(stats.sizes.pdf!)})`] : []),
    ...(outputs.printPdf ? [`      ${relative(outputs.printPdf)} (print, ${stats.preflight.print?.pages ?? stats.pages} pages, ${kb(stats.sizes.printPdf!)})`] : []),
    `      ${relative(outputs.epub)} (${kb(stats.sizes.epub!)})`,
    `${stats.characters} characters, ${warnings} warning${warnings === 1 ? '' : 's'}; ${stats.chaptersProcessed} chapter${stats.chaptersProcessed === 1 ? '' : 's'} processed and ${stats.partsPrinted} part${stats.partsPrinted === 1 ? '' : 's'} printed${stats.prints > 1 ? ` (in ${stats.prints} prints at once)` : ''}, the others from the cache`,
    `Layout check (${stats.layout.blocks} blocks): ${layout}`,
    ...(stats.preflight.print ? [formatPreflight(relative(outputs.printPdf!), stats.preflight.print).trimEnd()] : []),
    `Time: ${Object.entries(stats.timings).map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
    '',
  ].join('\n');
}

async function runPreflight(args: string[]): Promise<number> {
  const {values, positionals} = parse(args, {trim: {type: 'string'}, bleed: {type: 'string'}}, true);
  if (positionals.length !== 1) throw new UsageError('preflight takes one PDF file');
  const file = positionals[0]!;
  const bytes = await readFile(file).catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });
  const trim = values.trim ? bookSchema.shape.trim.safeParse(values.trim) : undefined;
  const bleed = values.bleed ? bookSchema.shape.bleed.safeParse(values.bleed) : undefined;
  if (trim?.success === false || bleed?.success === false) throw new UsageError('--trim takes a size such as 170mm×240mm, --bleed a length such as 3mm');
  const report = await preflight(new Uint8Array(bytes), {
    kind: trim || bleed || /-print\.pdf$/.test(file) ? 'print' : 'screen',
    trim: trim?.data,
    bleed: bleed?.data,
  });
  process.stdout.write(formatPreflight(file, report));
  return report.findings.some((finding) => finding.severity === 'error') ? 1 : 0;
}

async function runCheck(args: string[]): Promise<number> {
  const {values} = parse(args, {
    manuscript: {type: 'string', default: 'manuscript'},
    fix: {type: 'boolean', default: false},
    format: {type: 'string', default: 'text'},
  });
  const json = outputFormat(values.format);
  const manuscriptDir = await manuscriptFolder(String(values.manuscript));
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  const result = await checkManuscript(manuscriptDir, {fix: Boolean(values.fix)});
  if (json) {
    process.stdout.write(`${JSON.stringify({ok: !hasErrors(result.files), messages: jsonMessages(result.files), fixed: result.fixed, fixable: result.fixable}, null, 2)}\n`);
    return hasErrors(result.files) ? 1 : 0;
  }
  process.stderr.write(formatReport(result.files, {color}));
  const plural = (count: number) => `${count} problem${count === 1 ? '' : 's'}`;
  if (values.fix) process.stdout.write(`Fixed ${plural(result.fixed)}.\n`);
  else if (result.fixable > 0) process.stdout.write(`${plural(result.fixable)} can be fixed with: npm run check -- --fix\n`);
  return hasErrors(result.files) ? 1 : 0;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function runDev(args: string[]): Promise<number> {
  const {values} = parse(args, {
    manuscript: {type: 'string', default: 'manuscript'},
    port: {type: 'string', default: String(DEFAULT_PORT)},
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(String(values.port)) || port > 65535) throw new UsageError(`--port takes a number from 0 to 65535, not “${values.port}”`);
  const manuscriptDir = await manuscriptFolder(String(values.manuscript));
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  let server;
  try {
    server = await startDevServer({manuscriptDir, port, color, log: (line) => process.stderr.write(`${line}\n`)});
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    process.stderr.write(`error: port ${port} is in use; choose another with --port <n> (--port 0 picks a free one)\n`);
    return 1;
  }
  process.stdout.write(`Preview: ${server.url}\n`);
  process.stderr.write(`Watching ${path.relative(process.cwd(), manuscriptDir) || '.'}, styles and templates. Press Ctrl-C to stop.\n`);
  await new Promise<void>((resolve) => {
    let stopping = 0;
    const stop = () => {
      // The same Ctrl-C may arrive twice (from the terminal and relayed by tsx); a later one forces the end.
      if (stopping) {
        if (Date.now() - stopping > 1000) process.exit(130);
        return;
      }
      stopping = Date.now();
      process.stderr.write('Stopping…\n');
      void server.close().then(() => {
        for (const signal of SIGNALS) process.off(signal, stop);
        resolve();
      });
    };
    for (const signal of SIGNALS) process.on(signal, stop);
  });
  return 0;
}

async function runNew(args: string[]): Promise<number> {
  const {values, positionals} = parse(args, {
    manuscript: {type: 'string', default: 'manuscript'},
    slug: {type: 'string'},
  }, true);
  if (positionals.length !== 1) throw new UsageError('new takes the case’s title, in quotes: npm run new -- "案例标题"');
  const manuscriptDir = await manuscriptFolder(String(values.manuscript));
  try {
    const created = await createCase({manuscriptDir, title: positionals[0]!, slug: values.slug});
    process.stdout.write(`${path.relative(process.cwd(), created.file)}\n`);
    if (created.listed) process.stderr.write(`Added ${created.entry} to the cases listed in book.yaml.\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof NewCaseError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  }
}

async function manuscriptFolder(value: string): Promise<string> {
  const manuscriptDir = path.resolve(value);
  if (!(await stat(manuscriptDir).then((info) => info.isDirectory(), () => false))) {
    throw new UsageError(`the manuscript folder ${value} does not exist`);
  }
  return manuscriptDir;
}

/** `--help` anywhere: the usage is printed and the command ends with 0. */
class HelpRequested extends Error {}

/** A command's options (`--help` is every command's); wrong usage throws UsageError. */
function parse<const Options extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: Options, allowPositionals = false) {
  if (args.includes('--help')) throw new HelpRequested();
  try {
    return parseArgs({args, options, allowPositionals, strict: true});
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof HelpRequested) {
      process.stdout.write(USAGE);
      process.exitCode = 0;
    } else if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (error instanceof BrowserUnavailableError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof ChromiumFailedError) {
      process.stderr.write(`error: ${error.message}. The book was not built; the previous outputs are unchanged.\n`);
      process.exitCode = 1;
    } else {
      // A bug or an environment failure, not a manuscript problem: one clear line, the stack only on request.
      process.stderr.write(`internal error: ${(error as Error)?.message ?? String(error)}\n`);
      if (process.env.DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
      else process.stderr.write('(run with DEBUG=1 for details)\n');
      process.exitCode = 1;
    }
  },
);
