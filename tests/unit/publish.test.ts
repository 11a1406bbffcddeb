// The out folder (src/publish.ts): a kill at any step of publishing leaves the complete old set or the
// complete new one, and the next build tidies up; nothing the tool did not make (or that changed since
// it made it) is removed or replaced without --force; builds into one folder take turns.
import {spawn} from 'node:child_process';
import {appendFile, lstat, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {OutFolder, OutFolderError, RECORD} from '../../src/publish.js';
import {PROJECT, temporaryDirectory} from '../helpers.js';

type Files = Record<string, string>;

const OLD: Files = {'html/index.html': 'old page', 'html/styles/book.css': 'old style', 'Book.pdf': 'old pdf', 'Book-print.pdf': 'old print', 'Book.epub': 'old epub'};
const NEW: Files = {'html/index.html': 'new page', 'html/styles/book.css': 'new style', 'Book.pdf': 'new pdf', 'Book-print.pdf': 'new print', 'Book.epub': 'new epub'};
const RENAMED: Files = {'html/index.html': 'renamed page', 'New-Title.pdf': 'renamed pdf', 'New-Title.epub': 'renamed epub'};
const NEXT: Files = {'html/index.html': 'next page', 'Book.pdf': 'next pdf', 'Book.epub': 'next epub'};

const STEPS = ['staged', 'renamed', 'recorded', 'linked', 'switched', 'unlinked', 'removed', 'done'];
const BEFORE_SWITCH = new Set(['staged', 'renamed', 'recorded', 'linked']);

async function writeStaged(folder: OutFolder, files: Files) {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(folder.staging, name);
    await mkdir(path.dirname(file), {recursive: true});
    await writeFile(file, content);
  }
  return [...new Set(Object.keys(files).map((name) => name.split('/')[0]!))];
}

/** A build's publishing, in this process. */
async function publish(out: string, files: Files, options: Parameters<typeof OutFolder.open>[1] = {}) {
  const folder = await OutFolder.open(out, options);
  try {
    await folder.publish(await writeStaged(folder, files));
  } finally {
    await folder.close();
  }
}

/** A build's publishing in a process of its own, killed (SIGKILL) at `step`. */
function publishKilledAt(out: string, files: Files, step: string): Promise<{code: number | null; signal: NodeJS.Signals | null}> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT, 'tests/fixtures/publish-child.ts'), out, JSON.stringify(files)], {
    cwd: PROJECT,
    env: {...process.env, HANGZHOU_LUJING_FAULT: `publish:${step}`},
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
}

/** What an editor finds under the folder's visible names, links followed: path → content. */
async function visible(out: string): Promise<Files> {
  const found: Files = {};
  const walk = async (file: string, name: string) => {
    const info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) for (const entry of await readdir(file)) await walk(path.join(file, entry), `${name}/${entry}`);
    else if (info?.isFile()) found[name] = await readFile(file, 'utf8');
  };
  for (const entry of (await readdir(out)).filter((name) => !name.startsWith('.'))) await walk(path.join(out, entry), entry);
  return found;
}

async function hiddenEntries(out: string): Promise<string[]> {
  return (await readdir(out)).filter((name) => name.startsWith('.')).map((name) => (name.startsWith('.build-') ? '.build-…' : name)).sort();
}

describe('publishing killed at every step', () => {
  const scenarios = [
    {name: 'over the previous outputs', before: OLD, after: NEW, reached: ['staged', 'renamed', 'recorded', 'switched', 'removed', 'done']},
    {name: 'under new names (the title changed)', before: OLD, after: RENAMED, reached: STEPS},
    {name: 'into an empty folder', before: undefined, after: NEW, reached: ['staged', 'renamed', 'recorded', 'linked', 'switched', 'done']},
  ];
  for (const {name, before, after, reached} of scenarios) {
    it(`leaves the whole old set or the whole new set, ${name}, and the next build tidies up`, async () => {
      // Each step in a folder of its own, all at once.
      const killed = await Promise.all(STEPS.map(async (step) => {
        const out = await temporaryDirectory('out');
        if (before) await publish(out, before);
        const {signal} = await publishKilledAt(out, after, step);
        const seen = await visible(out);
        expect(seen, `killed at ${step}`).toEqual(signal === 'SIGKILL' && BEFORE_SWITCH.has(step) ? before ?? {} : after);

        await publish(out, NEXT);
        expect(await visible(out), `the build after a kill at ${step}`).toEqual(NEXT);
        expect(await hiddenEntries(out)).toEqual(['.build-…', '.current', RECORD]);
        return signal === 'SIGKILL' ? [step] : [];
      }));
      expect(killed.flat()).toEqual(reached);
    });
  }
});

describe('files the tool did not make', () => {
  it('are named and left alone; --force takes the folder over and keeps them', async () => {
    const out = await temporaryDirectory('out');
    await publish(out, OLD);
    await writeFile(path.join(out, 'notes.txt'), 'mine');
    await mkdir(path.join(out, '.git'));
    const refusal = await publish(out, NEW).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OutFolderError);
    expect((refusal as OutFolderError).entries.sort()).toEqual(['.git', 'notes.txt']);
    expect(await visible(out)).toEqual({...OLD, 'notes.txt': 'mine'});

    await publish(out, NEW, {force: true});
    expect(await visible(out)).toEqual({...NEW, 'notes.txt': 'mine'});
    // Taken over: later builds accept them, and never remove them.
    await publish(out, RENAMED);
    expect(await visible(out)).toEqual({...RENAMED, 'notes.txt': 'mine'});
    expect((await lstat(path.join(out, '.git'))).isDirectory()).toBe(true);
  });

  it('are replaced with --force only where an output goes (the editor’s own html/)', async () => {
    const out = await temporaryDirectory('out');
    await mkdir(path.join(out, 'html'));
    await writeFile(path.join(out, 'html/index.html'), 'my own page');
    const refusal = await publish(out, NEW).catch((error: unknown) => error);
    expect((refusal as OutFolderError).entries).toEqual(['html']);
    expect(await readFile(path.join(out, 'html/index.html'), 'utf8')).toBe('my own page');
    await publish(out, NEW, {force: true});
    expect(await visible(out)).toEqual(NEW);
  });

  it('include outputs changed since the tool wrote them: replaced by another file, edited in place, or added to', async () => {
    const changes: [string, (out: string) => Promise<void>, string][] = [
      ['replaced', async (out) => {
        await writeFile(path.join(out, 'annotated.pdf'), 'annotated');
        await rename(path.join(out, 'annotated.pdf'), path.join(out, 'Book.pdf'));
      }, 'Book.pdf (changed since this tool wrote it)'],
      ['edited in place', async (out) => {
        await appendFile(path.join(out, 'Book.pdf'), ' with notes');
      }, 'Book.pdf (changed'],
      ['edited, same size and time', async (out) => {
        const file = path.join(out, 'Book.pdf');
        const {mtime} = await stat(file);
        await writeFile(file, 'OLD PDF');
        await utimes(file, mtime, mtime);
      }, 'Book.pdf (changed'],
      ['added to', async (out) => {
        await writeFile(path.join(out, 'html/notes.txt'), 'mine');
      }, 'html/notes.txt (changed'],
    ];
    for (const [how, change, named] of changes) {
      const out = await temporaryDirectory('out');
      await publish(out, OLD);
      await change(out);
      const before = await visible(out);
      const refusal = await publish(out, NEW).catch((error: unknown) => error);
      expect(refusal, how).toBeInstanceOf(OutFolderError);
      expect((refusal as OutFolderError).message, how).toContain(named);
      expect(await visible(out), how).toEqual(before);
      await publish(out, NEW, {force: true});
      expect(await visible(out), how).toEqual(NEW);
    }
  });

  it('cannot be claimed by a record copied from another folder, or edited', async () => {
    const first = await temporaryDirectory('out');
    await publish(first, OLD);
    const second = await temporaryDirectory('out');
    await writeFile(path.join(second, 'Book.pdf'), 'mine');
    await writeFile(path.join(second, RECORD), await readFile(path.join(first, RECORD)));
    expect(await publish(second, NEW).catch((error: unknown) => error)).toBeInstanceOf(OutFolderError);
    expect(await readFile(path.join(second, 'Book.pdf'), 'utf8')).toBe('mine');

    // An edited record (the editor's notes.txt added to the tool's list) proves nothing.
    await writeFile(path.join(first, 'notes.txt'), 'mine');
    const record = JSON.parse(await readFile(path.join(first, RECORD), 'utf8')) as {links: Record<string, string>};
    record.links['notes.txt'] = 'notes.txt';
    await writeFile(path.join(first, RECORD), JSON.stringify(record));
    const refusal = await publish(first, NEW).catch((error: unknown) => error);
    expect((refusal as OutFolderError).entries).toContain('notes.txt');
    expect(await readFile(path.join(first, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('include a staging folder no record lists, and outputs of the earlier version (which kept no proof)', async () => {
    const out = await temporaryDirectory('out');
    await mkdir(path.join(out, '.staging-123-456'));
    expect(((await publish(out, NEW).catch((error: unknown) => error)) as OutFolderError).entries).toEqual(['.staging-123-456']);

    const legacy = await temporaryDirectory('out');
    await mkdir(path.join(legacy, 'html'));
    await writeFile(path.join(legacy, 'Book.pdf'), 'old pdf');
    await writeFile(path.join(legacy, '.outputs.json'), JSON.stringify(['html', 'Book.pdf']));
    const refusal = (await publish(legacy, NEW).catch((error: unknown) => error)) as OutFolderError;
    expect(refusal.hint).toMatch(/earlier version of this tool/);
  });

  it('a folder made by a build that publishes nothing is removed again', async () => {
    const out = path.join(await temporaryDirectory('parent'), 'out');
    const folder = await OutFolder.open(out);
    await writeStaged(folder, NEW);
    await folder.close();
    await expect(lstat(out)).rejects.toThrow(/ENOENT/);
  });
});

describe('builds into one folder', () => {
  it('take turns: the second waits for the first and publishes after it', async () => {
    const out = await temporaryDirectory('out');
    const first = await OutFolder.open(out);
    let waited = '';
    const second = OutFolder.open(out, {lockWaitMs: 60_000, onWait: (holder) => (waited = holder)});
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(waited).toBe(`process ${process.pid}`);
    await first.publish(await writeStaged(first, OLD));
    await first.close();
    const next = await second;
    await next.publish(await writeStaged(next, NEW));
    await next.close();
    expect(await visible(out)).toEqual(NEW);
  });

  it('fail clearly when the other does not end in time', async () => {
    const out = await temporaryDirectory('out');
    const first = await OutFolder.open(out);
    try {
      await expect(OutFolder.open(out, {lockWaitMs: 300})).rejects.toThrow(/another build \(process \d+\) is still building into this out folder/);
    } finally {
      await first.close();
    }
  });

  it('take over the lock of a build that was killed, at once', async () => {
    const out = await temporaryDirectory('out');
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('exit', resolve));
    await writeFile(path.join(out, '.lock'), JSON.stringify({tool: 'hangzhou-lujing', id: 'x', pid: dead.pid, host: (await import('node:os')).hostname()}));
    await writeFile(path.join(out, '.lock-1-abc'), JSON.stringify({tool: 'hangzhou-lujing', id: 'y', pid: dead.pid, host: 'h'}));
    const started = performance.now();
    await publish(out, NEW, {lockWaitMs: 0});
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await hiddenEntries(out)).toEqual(['.build-…', '.current', RECORD]);

    // A lock cut short as it was written is stale once old, waited for while new.
    await writeFile(path.join(out, '.lock'), '');
    await expect(publish(out, OLD, {lockWaitMs: 300})).rejects.toThrow(/another build/);
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(out, '.lock'), old, old);
    await publish(out, OLD, {lockWaitMs: 0});
    expect(await visible(out)).toEqual(OLD);
    await rm(out, {recursive: true});
  });
});
