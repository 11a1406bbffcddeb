// `npm run bench [-- 1,10,50,200]`: builds synthetic casebooks made from the real case and prints, per
// size, the wall time and peak memory of each stage, the pages, and our PDF time against the floor —
// Debian Chromium's own `--print-to-pdf` of our final HTML, timed in the same run. Then a warm rebuild
// after editing one case. Figures, not pass/fail: these machines are noisy; compare ratios of one run.
import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {promisify} from 'node:util';
import {build, type BuildResult} from '../src/build.js';
import {syntheticCasebook} from './casebook.js';

const run = promisify(execFile);
const sizes = (process.argv[2] ?? '1,10,50,200').split(',').map(Number);
const WARM_SIZE = 50;

interface Measured {
  result: BuildResult;
  wall: number;
  /** Peak resident memory (this process plus Chromium) per stage, MiB. */
  peaks: Record<string, number>;
}

/**
 * Memory of this process and all its descendants (Chromium's processes), MiB. Proportional set size:
 * memory shared between Chromium's processes is counted once, not once per process as RSS would.
 * Children are found through /proc/<pid>/task/<tid>/children, which costs far less than reading all of
 * /proc at every sample.
 */
async function treeMemory(): Promise<number> {
  let total = 0;
  const stack = [process.pid];
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

async function measuredBuild(manuscriptDir: string, outDir: string, cacheDir: string): Promise<Measured> {
  const peaks: Record<string, number> = {};
  let stage = 'start';
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const memory = await treeMemory();
      peaks[stage] = Math.max(peaks[stage] ?? 0, memory);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const start = performance.now();
  const result = await build({manuscriptDir, outDir, cacheDir, onStage: (name) => (stage = name)});
  const wall = performance.now() - start;
  sampling = false;
  await sampler;
  if (!result.ok) throw new Error(`the build of ${manuscriptDir} failed`);
  return {result, wall, peaks};
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

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rows: string[] = [];

for (const size of sizes) {
  const work = await mkdtemp(path.join(tmpdir(), `bench-${size}-`));
  const manuscriptDir = path.join(work, 'manuscript');
  for (const [name, content] of Object.entries(await syntheticCasebook({cases: size}))) {
    await mkdir(path.dirname(path.join(manuscriptDir, name)), {recursive: true});
    await writeFile(path.join(manuscriptDir, name), content);
  }
  const outDir = path.join(work, 'out');
  // Cold: an empty cache. Warm: the cache the cold build filled.
  const cacheDir = path.join(work, 'cache');
  const cold = await measuredBuild(manuscriptDir, outDir, cacheDir);
  const stats = cold.result.stats!;
  const floor = await chromiumFloor(cold.result.outputs!.html, work);
  const pdfTime = (stats.timings['launch chromium'] ?? 0) + (stats.timings.pdf ?? 0);
  console.log(`\n${size} case(s): ${stats.pages} pages, ${stats.characters} characters`);
  console.log('  stage               time s   peak MiB');
  for (const [stage, ms] of Object.entries(stats.timings)) {
    console.log(`  ${stage.padEnd(18)} ${seconds(ms).padStart(7)}   ${String(Math.round(cold.peaks[stage] ?? 0)).padStart(8)}`);
  }
  const peak = Math.max(...Object.values(cold.peaks));
  console.log(`  whole build ${seconds(cold.wall)} s, peak ${Math.round(peak)} MiB; Chromium --print-to-pdf floor ${seconds(floor)} s`);
  console.log(`  our PDF time / floor ${(pdfTime / floor).toFixed(2)}; whole build / floor ${(cold.wall / floor).toFixed(2)}`);
  rows.push(`| ${size} | ${stats.pages} | ${seconds(cold.wall)} | ${seconds(pdfTime)} | ${seconds(floor)} | ${(pdfTime / floor).toFixed(2)} | ${(cold.wall / floor).toFixed(2)} | ${Math.round(peak)} | ${((cold.wall / stats.pages) * 1).toFixed(0)} |`);

  if (size === WARM_SIZE) {
    const edited = path.join(manuscriptDir, 'cases', `${String(Math.ceil(size / 2)).padStart(3, '0')}-case.md`);
    await writeFile(edited, `${await readFile(edited, 'utf8')}\n编辑在此处补充了一句话，用于测试增量构建。\n`);
    const warm = await measuredBuild(manuscriptDir, outDir, cacheDir);
    console.log(`  warm rebuild after editing one case: ${seconds(warm.wall)} s (cold ${seconds(cold.wall)} s, ${(cold.wall / warm.wall).toFixed(1)}× faster)`);
    console.log(`    ${Object.entries(warm.result.stats!.timings).map(([stage, ms]) => `${stage} ${seconds(ms)}`).join(', ')}`);
  }
  await rm(work, {recursive: true, force: true});
}

console.log('\n| cases | pages | build s | PDF s | floor s | PDF/floor | build/floor | peak MiB | ms/page |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
