// `npx tsx scripts/bench-markdown.ts [pattern …] [--limits]`: how long the Markdown stage (the real
// processor: remark-parse and its extensions, our plugins, remark-rehype) takes on the worst inputs
// known, as their size grows. Each pattern is repeated n times in one chapter, n doubling until one run
// takes longer than STOP_MS; each time is the best of two runs, each in a fresh processor. The figures
// set the limits of src/2-markdown/limits.ts (docs/markdown-limits.md); `--limits` also runs each
// pattern at its limit, as checkSourceLimits lets it through, and at twice the limit, which it refuses.
import {VFile} from 'vfile';
import type {Chapter} from '../src/1-manuscript/index.js';
import {toHtml} from 'hast-util-to-html';
import type {Root} from 'hast';
import {createProcessor} from '../src/2-markdown/index.js';
import {checkSourceLimits, LIMITS} from '../src/2-markdown/limits.js';

/** A run longer than this ends a pattern's series. */
const STOP_MS = 4000;
/** No series goes past this many characters (the largest chapter file allowed is 5 MB). */
const MAX_CHARACTERS = 5_000_000;

interface Pattern {
  name: string;
  /** The chapter's body for n repeats. */
  body: (n: number) => string;
  /** The repeats at the limit checkSourceLimits enforces (for --limits). */
  atLimit?: number;
}

const words = '城市发展的动力来自哪里，创新是第一动力。';

export const PATTERNS: Pattern[] = [
  {name: 'plain paragraphs (the baseline)', body: (n) => `${words}\n\n`.repeat(n)},
  // Emphasis delimiters that can both open and close: micromark pairs them by looking back over every
  // earlier one in the paragraph.
  {name: 'a**b in one paragraph', body: (n) => 'a**b'.repeat(n), atLimit: LIMITS.delimiters},
  {name: 'a*b in one paragraph', body: (n) => 'a*b'.repeat(n), atLimit: LIMITS.delimiters},
  {name: '中**文 in one paragraph', body: (n) => '中**文'.repeat(n), atLimit: LIMITS.delimiters},
  {name: 'a_b_ in one paragraph', body: (n) => 'a_b_'.repeat(n), atLimit: LIMITS.delimiters / 2},
  {name: '*a ** in one paragraph', body: (n) => '*a ** '.repeat(n), atLimit: LIMITS.delimiters / 2},
  {name: 'a**b, 500 to a paragraph', body: (n) => Array.from({length: Math.ceil(n / 500)}, () => 'a**b'.repeat(500)).join('\n\n'), atLimit: LIMITS.chapterDelimiters},
  {name: '~~a in one paragraph (strikethrough)', body: (n) => '~~a'.repeat(n), atLimit: LIMITS.delimiters},
  {name: '[a in one paragraph (unclosed brackets)', body: (n) => '[a'.repeat(n), atLimit: LIMITS.brackets},
  {name: '[a]( in one paragraph', body: (n) => '[a]('.repeat(n), atLimit: LIMITS.brackets},
  {name: '[a](, 500 to a paragraph', body: (n) => Array.from({length: Math.ceil(n / 500)}, () => '[a]('.repeat(500)).join('\n\n'), atLimit: LIMITS.chapterBrackets},
  {name: '![a in one paragraph', body: (n) => '![a'.repeat(n), atLimit: LIMITS.brackets},
  {name: '[a][b] references, all undefined', body: (n) => '[a][b] '.repeat(n), atLimit: LIMITS.brackets / 2},
  {name: 'n definitions and n references', body: (n) => `${Array.from({length: n}, (_, i) => `[r${i}]: https://e.com/${i}`).join('\n')}\n\n${Array.from({length: n}, (_, i) => `[x][r${i}]`).join(' ')}`},
  {name: '`a`` in one paragraph (code spans of mixed lengths)', body: (n) => '`a``'.repeat(n), atLimit: LIMITS.delimiters / 2},
  {name: '> nested quotes, one line', body: (n) => `${'> '.repeat(n)}a`, atLimit: LIMITS.nesting},
  {name: '- nested lists, one line', body: (n) => `${'- '.repeat(n)}a`, atLimit: LIMITS.nesting},
  {name: 'lists nested by indentation', body: (n) => Array.from({length: n}, (_, i) => `${'  '.repeat(i)}- a`).join('\n'), atLimit: LIMITS.nesting},
  {name: '> and - nested 32 deep, n lines', body: (n) => Array.from({length: n}, () => `${'> - '.repeat(16)}a`).join('\n'), atLimit: LIMITS.nestedLines / 31},
  // Closing a container inside a list item copies every event read so far (micromark's document
  // tokenizer, EditMap.consume): lists of quotes or lists grow with the square of their items.
  {name: '- > a, n items', body: (n) => '- > a\n'.repeat(n), atLimit: LIMITS.nestedLines},
  {name: '- a with an indented - b, n lines', body: (n) => '- a\n  - b\n'.repeat(n / 2), atLimit: LIMITS.nestedLines * 2},
  {name: '> - > - a, n lines', body: (n) => '> - > - a\n'.repeat(n), atLimit: LIMITS.nestedLines / 3},
  {name: 'lists of 10 nested items between paragraphs, n lines', body: (n) => '- a\n  - b\n  - c\n- d\n  - e\n  - f\n- g\n  - h\n  - i\n  - j\n\n段落。\n\n'.repeat(Math.ceil(n / 10))},
  {name: ':::directives nested', body: (n) => `${Array.from({length: n}, (_, i) => `${':'.repeat(3 + n - i)}commentary`).join('\n')}\n${Array.from({length: n}, (_, i) => ':'.repeat(4 + i)).join('\n')}`, atLimit: LIMITS.directives},
  {name: ':a[ text directives unclosed', body: (n) => ':a['.repeat(n), atLimit: LIMITS.brackets},
  {name: 'table of n rows × 10 columns', body: (n) => `${'|a'.repeat(10)}|\n${'|-'.repeat(10)}|\n${`${'|x'.repeat(10)}|\n`.repeat(n)}`, atLimit: LIMITS.tableRows - 2},
  {name: 'footnote references and definitions', body: (n) => `${Array.from({length: n}, (_, i) => `a[^${i}]`).join('\n\n')}\n\n${Array.from({length: n}, (_, i) => `[^${i}]: b`).join('\n')}`, atLimit: LIMITS.footnotes / 2},
  {name: 'www. autolinks in one paragraph', body: (n) => 'www.a.com '.repeat(n)},
];

function chapterOf(body: string): Chapter {
  const file = new VFile({path: '/bench/cases/01.md', value: `---\ntitle: 测\n---\n\n${body}\n`});
  return {kind: 'case', id: 'case-01', file, meta: {title: '测'}, metaPosition: () => ({start: {line: 2, column: 1}, end: {line: 2, column: 1}})};
}

/** Best of two runs of the Markdown stage (as renderChapter runs it, without the limits) on the chapter, ms. */
async function time(body: string): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < 2; run++) {
    const {file} = chapterOf(body);
    const start = performance.now();
    const processor = createProcessor({root: '/bench', idPrefix: 'case-01', chapters: new Map()});
    toHtml((await processor.run(processor.parse(file), file)) as Root);
    best = Math.min(best, performance.now() - start);
    if (best > STOP_MS) break;
  }
  return best;
}

async function series(pattern: Pattern) {
  const rows: string[] = [];
  for (let n = 250; ; n *= 2) {
    const body = pattern.body(n);
    if (body.length > MAX_CHARACTERS) break;
    let ms: number;
    try {
      ms = await time(body);
    } catch (error) {
      rows.push(`${n}: ${(error as Error).message}`);
      break;
    }
    rows.push(`${n} (${Math.round(body.length / 1000)} K chars): ${ms < 10_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`}`);
    if (ms > STOP_MS) break;
  }
  console.log(`${pattern.name}\n  ${rows.join('\n  ')}`);
}

async function atLimit(pattern: Pattern) {
  if (!pattern.atLimit) return;
  for (const n of [pattern.atLimit, pattern.atLimit * 2]) {
    const chapter = chapterOf(pattern.body(Math.floor(n)));
    const allowed = checkSourceLimits(chapter.file);
    const ms = allowed ? await time(pattern.body(Math.floor(n))) : 0;
    console.log(`  ${Math.floor(n)}: ${allowed ? `allowed, ${ms.toFixed(0)} ms` : `refused: ${chapter.file.messages[0]?.reason}`}`);
  }
}

const names = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
const limits = process.argv.includes('--limits');
for (const pattern of PATTERNS.filter((candidate) => names.length === 0 || names.some((name) => candidate.name.includes(name)))) {
  if (limits) {
    console.log(pattern.name);
    await atLimit(pattern);
  } else {
    await series(pattern);
  }
}
