import {VFile} from 'vfile';
import {toHtml} from 'hast-util-to-html';
import type {Root} from 'hast';
import {createProcessor} from '../src/2-markdown/index.js';
const n = Number(process.argv[2] ?? 100);
const kind = process.argv[3] ?? 'nest';
const body = kind === 'nest' ? Array.from({length: n}, () => `${'> - '.repeat(16)}a`).join('\n')
  : kind === 'table' ? `${'|a'.repeat(10)}|\n${'|-'.repeat(10)}|\n${`${'|x'.repeat(10)}|\n`.repeat(n)}`
  : kind === 'foot' ? `${Array.from({length: n}, (_, i) => `a[^${i}]`).join(' ')}\n\n${Array.from({length: n}, (_, i) => `[^${i}]: b`).join('\n')}`
  : `${Array.from({length: n}, (_, i) => `[r${i}]: https://e.com/${i}`).join('\n')}\n\n${Array.from({length: n}, (_, i) => `[x][r${i}]`).join(' ')}`;
const file = new VFile({path: '/bench/cases/01.md', value: `---\ntitle: 测\n---\n\n${body}\n`});
const processor = createProcessor({root: '/bench', idPrefix: 'case-01', chapters: new Map()});
let t = performance.now();
const tree = processor.parse(file);
const parse = performance.now() - t;
// time each transformer by running them via a wrapped processor is complex; time run as a whole
t = performance.now();
const out = await processor.run(tree, file);
const run = performance.now() - t; t = performance.now();
toHtml(out as Root);
console.log(kind, n, {parse: Math.round(parse), run: Math.round(run), html: Math.round(performance.now() - t)});
