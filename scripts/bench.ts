// `npm run bench [-- 1,10,50,200 [runs]]`: builds synthetic casebooks made from the real case and prints,
// per size, the wall time and peak memory of each stage, the pages, and our PDF time against the floor —
// Debian Chromium's own `--print-to-pdf` of our final HTML, timed right after each build, and for the
// 50-case book a warm rebuild after editing one case, timed right after that. Figures, not pass/fail:
// these machines are noisy (their speed drifts by a fifth or more within minutes), so each figure is
// the median of several runs (three by default) and each ratio pairs a build with what was timed next
// to it.
import {execFile, fork} from 'node:child_process';
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {promisify} from 'node:util';
import type {BuildOutputs, BuildStats} from '../src/build.js';
import {syntheticCasebook} from './casebook.js';

const run = promisify(execFile);
const sizes = (process.argv[2] ?? '1,10,50,200').split(',').map(Number);
const WARM_SIZE = 50;
/** Cold builds (and warm rebuilds) per size; the figures printed are their medians. */
const RUNS = Number(process.argv[3] ?? 3);

interface Measured {
  stats: BuildStats;
  outputs: BuildOutputs;
  /** The build's own time (not the process start). */
  wall: number;
  /** Peak memory (the build's process plus Chromium's) per stage, MiB. */
  peaks: Record<string, number>;
}

/** What scripts/bench-build.ts reports to this process. */
export type BuildReport = {stage: string} | {done: {stats: BuildStats; outputs: BuildOutputs; wall: number}} | {failed: string};

/**
 * Memory of a process and all its descendants (Chromium's processes), MiB. Proportional set size:
 * memory shared between Chromium's processes is counted once, not once per process as RSS would.
 * Children are found through /proc/<pid>/task/<tid>/children, which costs far less than reading all of
 * /proc at every sample.
 */
async function treeMemory(root: number): Promise<number> {
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    total += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
      const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      stack.push(...children.split(' ').filter(Boolean).map(Number));
    }
  }
  return total / 1024;
}

/**
 * One build in a process of its own, as an editor's `npm run build` is: builds run one after another in
 * this process got slower and bigger with each (up to a third slower at 200 cases, measured).
 */
async function measuredBuild(manuscriptDir: string, outDir: string, cacheDir: string): Promise<Measured> {
  const child = fork(fileURLToPath(new URL('bench-build.ts', import.meta.url)), [manuscriptDir, outDir, cacheDir]);
  const peaks: Record<string, number> = {};
  let stage = 'start';
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const memory = await treeMemory(child.pid!);
      peaks[stage] = Math.max(peaks[stage] ?? 0, memory);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    return await new Promise<Measured>((resolve, reject) => {
      child.on('message', (report: BuildReport) => {
        if ('stage' in report) stage = report.stage;
        else if ('failed' in report) reject(new Error(`the build of ${manuscriptDir} failed: ${report.failed}`));
        else resolve({...report.done, peaks});
      });
      child.on('exit', (code) => reject(new Error(`the build process of ${manuscriptDir} ended (${code}) without a result`)));
    });
  } finally {
    sampling = false;
    await sampler;
  }
}

/** The floor: Chromium printing our final HTML by itself, launch included. */
async function chromiumFloor(html: string, outDir: string): Promise<number> {
  const start = performance.now();
  await run(process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--no-pdf-header-footer', `--print-to-pdf=${path.join(outDir, 'floor.pdf')}`,
    pathToFileURL(html).href,
  ], {maxBuffer: 16 * 1024 * 1024});
  return performance.now() - start;
}

/** Appends a paragraph to the case in the middle of the book. */
async function appendToCase(manuscriptDir: string, size: number, paragraph: string) {
  const file = path.join(manuscriptDir, 'cases', `${String(Math.ceil(size / 2)).padStart(3, '0')}-case.md`);
  await writeFile(file, `${await readFile(file, 'utf8')}\n${paragraph}\n`);
}

/** The editor adds a sentence, in characters the book has (as most edits are). */
const editCase = (manuscriptDir: string, size: number) => appendToCase(manuscriptDir, size, '时隔十年再度召开的中央城市工作会议明确，要推动城市内涵式发展。');

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rows: string[] = [];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const size of sizes) {
  const work = await mkdtemp(path.join(tmpdir(), `bench-${size}-`));
  const manuscriptDir = path.join(work, 'manuscript');
  for (const [name, content] of Object.entries(await syntheticCasebook({cases: size}))) {
    await mkdir(path.dirname(path.join(manuscriptDir, name)), {recursive: true});
    await writeFile(path.join(manuscriptDir, name), content);
  }
  const outDir = path.join(work, 'out');
  // Each run: a cold build (an empty cache), then the floor, then (50 cases) a warm rebuild with the
  // cache the cold build filled, after one case is edited.
  const runs: {cold: Measured; floor: number; pdfTime: number; warm?: Measured}[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cacheDir = path.join(work, `cache-${run}`);
    const cold = await measuredBuild(manuscriptDir, outDir, cacheDir);
    const floor = await chromiumFloor(cold.outputs.html, work);
    let warm: Measured | undefined;
    if (size === WARM_SIZE) {
      await editCase(manuscriptDir, size);
      warm = await measuredBuild(manuscriptDir, outDir, cacheDir);
    }
    // The PDF stage includes what it waits for Chromium to start.
    runs.push({cold, floor, pdfTime: cold.stats.timings.pdf ?? 0, warm});
  }
  const stats = runs[0]!.cold.stats;
  const wall = median(runs.map((run) => run.cold.wall));
  const floor = median(runs.map((run) => run.floor));
  const pdfTime = median(runs.map((run) => run.pdfTime));
  const pdfRatio = median(runs.map((run) => run.pdfTime / run.floor));
  const buildRatio = median(runs.map((run) => run.cold.wall / run.floor));
  const peak = Math.max(...runs.flatMap((run) => Object.values(run.cold.peaks)));
  console.log(`\n${size} case(s): ${stats.pages} pages, ${stats.characters} characters; medians of ${RUNS} cold builds`);
  console.log('  stage               time s   peak MiB');
  for (const stage of Object.keys(stats.timings)) {
    const time = median(runs.map((run) => run.cold.stats.timings[stage] ?? 0));
    const stagePeak = Math.max(...runs.map((run) => run.cold.peaks[stage] ?? 0));
    console.log(`  ${stage.padEnd(18)} ${seconds(time).padStart(7)}   ${String(Math.round(stagePeak)).padStart(8)}`);
  }
  console.log(`  whole build ${seconds(wall)} s (runs: ${runs.map((run) => seconds(run.cold.wall)).join(', ')}), peak ${Math.round(peak)} MiB`);
  console.log(`  Chromium --print-to-pdf floor ${seconds(floor)} s (runs: ${runs.map((run) => seconds(run.floor)).join(', ')})`);
  console.log(`  our PDF time / floor ${pdfRatio.toFixed(2)}; whole build / floor ${buildRatio.toFixed(2)} (medians of each run's ratio)`);
  rows.push(`| ${size} | ${stats.pages} | ${seconds(wall)} | ${seconds(pdfTime)} | ${seconds(floor)} | ${pdfRatio.toFixed(2)} | ${buildRatio.toFixed(2)} | ${Math.round(peak)} | ${(wall / stats.pages).toFixed(0)} |`);

  const warms = runs.flatMap((run) => (run.warm ? [{...run.warm, speedup: run.cold.wall / run.warm.wall}] : []));
  if (warms.length > 0) {
    const warm = median(warms.map((run) => run.wall));
    const typical = warms.find((run) => run.wall === warm)!;
    console.log(`  warm rebuild after editing one case: ${seconds(warm)} s (runs: ${warms.map((run) => seconds(run.wall)).join(', ')}); ${median(warms.map((run) => run.speedup)).toFixed(1)}× faster than the cold build before it (median of ${warms.map((run) => run.speedup.toFixed(1)).join(', ')})`);
    console.log(`    ${typical.stats.partsPrinted} part(s) printed; ${Object.entries(typical.stats.timings).map(([stage, ms]) => `${stage} ${seconds(ms)}`).join(', ')}`);
    // An edit that brings characters the book has not had: the font files that hold them are subset again.
    await appendToCase(manuscriptDir, size, '编辑在此处补充了一句话，用于测试增量构建。');
    const newCharacters = await measuredBuild(manuscriptDir, outDir, path.join(work, 'cache-0'));
    console.log(`  after an edit bringing three characters the book did not have: ${seconds(newCharacters.wall)} s`);
  }
  await rm(work, {recursive: true, force: true});
}

console.log('\n| cases | pages | build s | PDF s | floor s | PDF/floor | build/floor | peak MiB | ms/page |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
