// One build for the benchmark (scripts/bench.ts), in a process of its own: reports each stage as it
// starts and, at the end, the build's statistics.
import {build} from '../src/build.js';
import type {BuildReport} from './bench.js';

const [manuscriptDir, outDir, cacheDir] = process.argv.slice(2) as [string, string, string];
const send = (report: BuildReport) => new Promise((resolve) => process.send!(report, resolve));
const start = performance.now();
const result = await build({manuscriptDir, outDir, cacheDir, onStage: (stage, detail) => detail === undefined && void send({stage})});
const wall = performance.now() - start;
await send(result.ok ? {done: {stats: result.stats!, outputs: result.outputs!, wall}} : {failed: result.files.flatMap((file) => file.messages.map(String)).join('; ')});
process.disconnect();
