// A cache entry damaged on the disk (cut short, bytes changed) is never used: the rebuild notices it by
// its hash, removes it, says so, does its work again, and makes the book a build from scratch makes.
// Every kind of entry in turn, then every entry at once; and `--clean` empties the cache.
import {execFile} from 'node:child_process';
import {readdir, readFile, stat, truncate, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import {beforeAll, describe, expect, it} from 'vitest';
import {build, type BuildResult} from '../../src/build.js';
import {cli, temporaryDirectory, writeManuscript} from '../helpers.js';
import {gradientPng} from '../fixtures/png.js';

const run = promisify(execFile);

/**
 * The entries a rebuild of an unchanged book reads, by kind. The font slices and sources are read only
 * when a face's subsets are made again: they are damaged with the entries above them.
 */
const KINDS: string[][] = [['markdown'], ['typeset'], ['fonts'], ['fonts', 'font-slices'], ['fonts', 'font-slices', 'font-sources'], ['layout'], ['print'], ['epub-parts'], ['covers'], ['drawn-fonts']];

let manuscript: string;
let cacheDir: string;
let reference: {epub: Buffer; text: string; print: string};

async function entries(kind: string): Promise<string[]> {
  const folder = path.join(cacheDir, kind);
  const found = await readdir(folder, {recursive: true, withFileTypes: true}).catch(() => []);
  return found.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

/** Cuts an entry short or changes bytes in its middle, in turn. */
async function damage(file: string, index: number) {
  const size = (await stat(file)).size;
  if (index % 2 === 0) {
    await truncate(file, Math.floor(size / 2));
  } else {
    const data = await readFile(file);
    for (let at = Math.floor(size / 2); at < Math.min(size, Math.floor(size / 2) + 8); at++) data[at] = data[at]! ^ 0xff;
    await writeFile(file, data);
  }
}

async function outputs(result: BuildResult) {
  return {
    epub: await readFile(result.outputs!.epub),
    text: (await run('pdftotext', [result.outputs!.screenPdf!, '-'])).stdout,
    print: (await run('pdftotext', [result.outputs!.printPdf!, '-'])).stdout,
  };
}

function damageWarnings(result: BuildResult): string[] {
  return result.files.flatMap((file) => file.messages.filter((message) => message.ruleId === 'cache-damaged').map((message) => message.reason));
}

beforeAll(async () => {
  const chapter = (title: string, text: string) => `---\ntitle: ${title}\n---\n\n## 一节\n\n${text}\n\n::figure[图]{src="../images/a.png" alt="渐变"}\n`;
  manuscript = await writeManuscript({
    'book.yaml': 'title: 测试之书\npublisher: 出版社\n',
    'cases/01.md': chapter('案例一', '城市发展的动力来自哪里？创新是第一动力。'),
    'cases/02.md': chapter('案例二', '内涵式发展，**品质**提升。'),
    'images/a.png': gradientPng(300, 200),
  });
  cacheDir = await temporaryDirectory('cache');
  const first = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('out'), cacheDir});
  expect(first.ok).toBe(true);
  reference = await outputs(first);
});

describe('a damaged cache entry', () => {
  for (const kinds of KINDS) {
    const kind = kinds.at(-1)!;
    it(`of kind ${kind} is dropped with a warning, its work done again, the book unchanged`, async () => {
      const damaged = (await Promise.all(kinds.map(entries))).flat();
      expect(damaged.length, kind).toBeGreaterThan(0);
      for (const [index, file] of damaged.entries()) await damage(file, index);
      const rebuilt = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('out'), cacheDir});
      expect(rebuilt.ok).toBe(true);
      const warnings = damageWarnings(rebuilt);
      expect(warnings.some((warning) => warning.includes(`cache entry ${kind}/`)), warnings.join('\n')).toBe(true);
      expect(await outputs(rebuilt)).toEqual(reference);
      // Made again, whole: the next rebuild finds nothing damaged.
      const again = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('out'), cacheDir});
      expect(damageWarnings(again)).toEqual([]);
    });
  }

  it('every one at once: the rebuild does everything again and makes the same book', async () => {
    const all = (await readdir(cacheDir, {recursive: true, withFileTypes: true})).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
    expect(all.length).toBeGreaterThan(10);
    for (const file of all) await truncate(file, 3);
    const rebuilt = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('out'), cacheDir});
    expect(rebuilt.ok).toBe(true);
    expect(damageWarnings(rebuilt).length).toBeGreaterThanOrEqual(KINDS.length - 2);
    expect(await outputs(rebuilt)).toEqual(reference);
  });
});

describe('--clean', () => {
  it('empties the cache: everything is made again', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 测试之书\n', 'cases/01.md': '---\ntitle: 案例\n---\n\n正文。\n'});
    const out = await temporaryDirectory('out');
    expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
    const warm = await cli(['build', '--manuscript', root, '--out', out]);
    expect(warm.stdout).toMatch(/0 chapters processed and 0 parts printed/);
    const clean = await cli(['build', '--manuscript', root, '--out', out, '--clean']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/1 chapter processed and \d+ parts printed/);
    expect(clean.stdout).not.toMatch(/ 0 parts printed/);
  });
});
