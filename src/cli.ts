// The command line. Exit codes: 0 success, 1 the manuscript has errors, 2 wrong usage.
// Problems are printed as `path:line:col: severity: message [rule]`, never as a stack trace.
import {stat} from 'node:fs/promises';
import path from 'node:path';
import {parseArgs, type ParseArgsConfig} from 'node:util';
import {build} from './build.js';
import {BrowserUnavailableError} from './4-pdf/index.js';
import {formatReport} from './report.js';

const USAGE = `Usage:
  npm run build [-- --manuscript <dir>] [--out <dir>] [--final]
      Builds the book: out/html/index.html, the screen PDF, the print PDF and the EPUB.
      --manuscript  the manuscript folder (default: manuscript)
      --out         the output folder (default: out)
      --final       the build sent to print: placeholders and open queries are errors
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'build':
      return runBuild(rest);
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
    help: {type: 'boolean', default: false},
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const manuscriptDir = path.resolve(String(values.manuscript));
  if (!(await stat(manuscriptDir).then((info) => info.isDirectory(), () => false))) {
    throw new UsageError(`the manuscript folder ${values.manuscript} does not exist`);
  }
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  const onStage = process.stderr.isTTY ? (stage: string) => process.stderr.write(`… ${stage}\n`) : undefined;
  const result = await build({manuscriptDir, outDir: String(values.out), final: Boolean(values.final), onStage});
  process.stderr.write(formatReport(result.files, {color}));
  if (!result.ok || !result.outputs || !result.stats) {
    process.stderr.write('The book was not built; the previous outputs are unchanged.\n');
    return 1;
  }
  const {outputs, stats} = result;
  const relative = (file: string) => path.relative(process.cwd(), file);
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
  process.stdout.write(
    [
      `Built ${relative(outputs.html)}`,
      `      ${relative(outputs.screenPdf)} (${stats.pages} pages, ${kb(stats.sizes.pdf!)})`,
      `      ${relative(outputs.printPdf)} (${kb(stats.sizes.printPdf!)})`,
      `      ${relative(outputs.epub)} (${kb(stats.sizes.epub!)})`,
      `${stats.characters} characters; page numbers settled after ${stats.passes} passes`,
      `Time: ${Object.entries(stats.timings).map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
      '',
    ].join('\n'),
  );
  return 0;
}

function parse<const Options extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: Options) {
  try {
    return parseArgs({args, options, allowPositionals: false, strict: true});
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (error instanceof BrowserUnavailableError) {
      process.stderr.write(`error: ${error.message}\n`);
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
