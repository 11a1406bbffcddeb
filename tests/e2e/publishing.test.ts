// What the command line does to the out folder, and what a build leaves when it is stopped: it never
// writes into the manuscript, never replaces a file it did not make without --force, publishes one
// whole book (two builds at once take turns; a kill at any moment leaves the old book or the new), and
// a killed or interrupted build leaves no Chromium running and nothing the next build does not remove.
import {execFile, spawn} from 'node:child_process';
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import {describe, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {alive, cli, epubText, processTree, PROJECT, snapshot, temporaryDirectory, writeManuscript} from '../helpers.js';

const run = promisify(execFile);
const CASE = (title: string, body: string) => `---\ntitle: ${title}\n---\n\n${body}\n`;

function manuscriptOf(title: string, marker: string) {
  return writeManuscript({'book.yaml': `title: ${title}\n`, 'cases/01.md': CASE('案例', `正文${marker}。`)});
}

/**
 * The marker of the book each output of the folder holds (html, screen PDF, print PDF, EPUB), as its
 * reader finds it. Only names that lead to a file count: a link made for a new title before the switch
 * leads nowhere until then.
 */
async function markersIn(out: string): Promise<Record<string, string | undefined>> {
  const marker = (text: string) => /正文(版本\S)。/.exec(text.replace(/\s+/g, ''))?.[1];
  const names: string[] = [];
  for (const name of (await readdir(out)).filter((candidate) => !candidate.startsWith('.'))) if (await stat(path.join(out, name)).then(() => true, () => false)) names.push(name);
  const found: Record<string, string | undefined> = {html: marker(await readFile(path.join(out, 'html/index.html'), 'utf8').catch(() => ''))};
  for (const name of names.filter((candidate) => candidate.endsWith('.pdf'))) found[name] = marker((await run('pdftotext', [path.join(out, name), '-'])).stdout);
  for (const name of names.filter((candidate) => candidate.endsWith('.epub'))) found[name] = marker(await epubText(path.join(out, name)));
  return found;
}

function buildProcess(root: string, out: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [path.join(PROJECT, 'scripts/tool.mjs'), 'build', '--manuscript', root, '--out', out], {cwd: PROJECT, env: {...process.env, NO_COLOR: '1', ...env}});
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.resume();
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>((resolve) => child.on('exit', (code, signal) => resolve({code, signal, stderr})));
  return {child, exited};
}

/** Waits until the build has staged its outputs and its Chromium is printing; returns Chromium's processes. */
async function whenPrinting(pid: number, out: string): Promise<number[]> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const staged = (await readdir(out).catch(() => [] as string[])).some((name) => name.startsWith('.staging-'));
    const chromium = (await processTree(pid)).slice(1);
    if (staged && chromium.length > 2 && (await readdir(path.join(out, (await readdir(out)).find((name) => name.startsWith('.staging-'))!, 'html')).catch(() => [])).length > 0) return chromium;
  }
  throw new Error('the build never started printing');
}

async function stillAlive(pids: number[], waitMs: number): Promise<number[]> {
  const until = Date.now() + waitMs;
  let left = pids;
  while (Date.now() < until) {
    left = (await Promise.all(left.map(async (pid) => ((await alive(pid)) ? [pid] : [])))).flat();
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return left;
}

describe('the out folder', () => {
  it('is never the manuscript folder or one holding it, even with a record listing the manuscript’s files, even with --force', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 测试之书\n', 'cases/01.md': CASE('案例', '正文。'), 'images/a.png': 'x'});
    // A record of the earlier version, listing the manuscript's own files.
    await writeFile(path.join(root, '.outputs.json'), JSON.stringify(['cases', 'images', 'book.yaml']));
    const before = await snapshot(root);
    const results = await Promise.all([
      cli(['build', '--manuscript', root, '--out', root]),
      cli(['build', '--manuscript', root, '--out', root, '--force']),
      cli(['build', '--manuscript', root, '--out', path.dirname(root), '--force']),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    expect(results[0]!.stderr).toMatch(/:1:1: error: the out folder is the manuscript folder \[out-folder\]/);
    expect(results[2]!.stderr).toMatch(/:1:1: error: the out folder holds the manuscript folder \[out-folder\]/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('holding the editor’s own html/ is refused, naming it; --force replaces it and leaves the editor’s other files', async () => {
    const root = await manuscriptOf('测试之书', '版本甲');
    const out = await temporaryDirectory('out');
    await mkdir(path.join(out, 'html'));
    await writeFile(path.join(out, 'html/index.html'), '<p>my own page</p>');
    await writeFile(path.join(out, 'notes.txt'), 'mine');
    const refused = await cli(['build', '--manuscript', root, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/:1:1: error: the out folder holds files this tool did not make or that changed since it wrote them: html, notes\.txt \[out-folder\]/);
    expect(await readFile(path.join(out, 'html/index.html'), 'utf8')).toBe('<p>my own page</p>');

    expect((await cli(['build', '--manuscript', root, '--out', out, '--force'])).code).toBe(0);
    expect(await markersIn(out)).toEqual({'html': '版本甲', '测试之书.pdf': '版本甲', '测试之书-print.pdf': '版本甲', '测试之书.epub': '版本甲'});
    expect(await readFile(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
    // Taken over: the next build needs no --force.
    expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
  });

  it('gets one whole book from two builds of different texts at once: the second waits for the first', async () => {
    const [first, second] = await Promise.all([manuscriptOf('测试之书', '版本甲'), manuscriptOf('测试之书', '版本乙')]);
    const out = await temporaryDirectory('out');
    const results = await Promise.all([cli(['build', '--manuscript', first, '--out', out]), cli(['build', '--manuscript', second, '--out', out])]);
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    const markers = await markersIn(out);
    expect(Object.keys(markers)).toHaveLength(4);
    expect(new Set(Object.values(markers)).size).toBe(1);
    expect(['版本甲', '版本乙']).toContain(markers.html);
  });

  it('holds the old book or the new one, whole, when a build is killed between its publishing renames', async () => {
    const root = await manuscriptOf('旧书名', '版本甲');
    const renamed = await manuscriptOf('新书名', '版本乙');
    // Each step in a folder of its own, all at once (nine builds).
    await Promise.all(([['linked', '版本甲'], ['switched', '版本乙'], ['unlinked', '版本乙']] as const).map(async ([step, expected]) => {
      const out = await temporaryDirectory('out');
      expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
      const killed = buildProcess(renamed, out, {HANGZHOU_LUJING_FAULT: `publish:${step}`});
      expect((await killed.exited).signal).toBe('SIGKILL');
      const markers = await markersIn(out);
      expect(Object.keys(markers), step).toHaveLength(4);
      expect(Object.values(markers), step).toEqual([expected, expected, expected, expected]);
      // The next build tidies up what the killed one left.
      expect((await cli(['build', '--manuscript', renamed, '--out', out])).code).toBe(0);
      expect((await readdir(out)).sort()).toEqual(expect.arrayContaining(['html', '新书名.pdf', '新书名-print.pdf', '新书名.epub']));
      expect((await readdir(out)).filter((name) => /^\.(staging|tmp|lock)/.test(name) || name.startsWith('旧书名'))).toEqual([]);
      expect((await readdir(out)).filter((name) => name.startsWith('.build-'))).toHaveLength(1);
    }));
  }, 600_000);
});

describe('a build stopped midway', () => {
  it('by SIGKILL leaves no Chromium running, and the next build removes its staging folder', async () => {
    const root = await writeManuscript(await syntheticCasebook({cases: 8}));
    const out = await temporaryDirectory('out');
    const build = buildProcess(root, out);
    const chromium = await whenPrinting(build.child.pid!, out);
    build.child.kill('SIGKILL');
    await build.exited;
    // Chromium reads its commands from a pipe from the build: the pipe closed, it quits with its helpers.
    expect(await stillAlive(chromium, 10_000)).toEqual([]);
    expect((await readdir(out)).filter((name) => name.startsWith('.staging-'))).toHaveLength(1);
    expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
    expect((await readdir(out)).filter((name) => name.startsWith('.staging-') || name === '.lock')).toEqual([]);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`by ${signal} ends at once, Chromium killed, its staging folder and lock removed, the previous book intact`, async () => {
      const files = await syntheticCasebook({cases: 8});
      const root = await writeManuscript(files);
      const out = await temporaryDirectory('out');
      expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
      const before = await snapshot(out);
      for (const [name, content] of Object.entries(files)) if (name.startsWith('cases/')) await writeFile(path.join(root, name), `${content}\n又一段。\n`);
      const build = buildProcess(root, out);
      const chromium = await whenPrinting(build.child.pid!, out);
      const sent = performance.now();
      build.child.kill(signal);
      const ended = await build.exited;
      expect(performance.now() - sent).toBeLessThan(5000);
      expect(ended.code).toBe(code);
      expect(ended.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(await stillAlive(chromium, 2000)).toEqual([]);
      expect((await readdir(out)).filter((name) => name.startsWith('.staging-') || name === '.lock')).toEqual([]);
      expect(await snapshot(out)).toEqual(before);
    });
  }
});
