// The out folder: what a build may write, remove and replace there, and how it publishes a new set of
// outputs so that a kill at any instant leaves the complete previous set or the complete new one.
//
// Layout (docs/publishing.md):
//   out/杭州路径.pdf → .current/杭州路径.pdf     each output name is a symbolic link through .current
//   out/html → .current/html
//   out/.current → .build-<id>                    switched by one rename: the moment a build is published
//   out/.build-<id>/                               the complete outputs of one build
//   out/.staging-<id>/                             a build's outputs while they are made
//   out/.hangzhou-lujing.json                      what the tool made here, with each file's hash
//   out/.lock                                      held by the build running into this folder
//
// Nothing is removed that the record does not list with the content it had when it was written: a file
// the tool did not make, or one changed since, stops the build with its name (--force takes the folder
// over). The record is checked against a hash of itself and of the folder it is in, so that a record
// copied from elsewhere, or cut short, proves nothing.
import {createHash, randomBytes} from 'node:crypto';
import {hostname} from 'node:os';
import {link, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, symlink, unlink, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {isInside} from './files.js';

export const RECORD = '.hangzhou-lujing.json';
const LOCK = '.lock';
const CURRENT = '.current';
const TOOL = 'hangzhou-lujing';
const FORM = 1;

/** The out folder cannot be used: the message names what is wrong, `entries` the files concerned. */
export class OutFolderError extends Error {
  constructor(message: string, readonly hint?: string, readonly entries: string[] = []) {
    super(message);
  }
}

interface FileRecord {
  /** Relative to the build folder, `/`-separated; folders end with `/`. */
  path: string;
  size?: number;
  mtimeMs?: number;
  sha256?: string;
}

interface Record {
  tool: typeof TOOL;
  form: typeof FORM;
  /** The out folder's real path: a record copied into another folder proves nothing there. */
  folder: string;
  /** Each build folder and what it holds. */
  builds: {[name: string]: FileRecord[]};
  /** Each output name and the link it is (`.current/<name>`). */
  links: {[name: string]: string};
  /** Builds begun and not finished: their staging folders and temporary names are the tool's. */
  pending: string[];
  /** Entries the tool did not make and was told to leave alone (--force). */
  tolerated: string[];
  signature?: string;
}

export interface OpenOptions {
  /** Take over a folder holding files the tool did not make (they are left alone, or replaced where an output goes). */
  force?: boolean;
  /** How long to wait for another build into the same folder. */
  lockWaitMs?: number;
  /** Told once when the build waits for another. */
  onWait?: (holder: string) => void;
}

/**
 * Test hook: `HANGZHOU_LUJING_FAULT=publish:<step>` kills this process at that step, as a power cut or
 * `kill -9` would, so that tests can check what every step leaves behind.
 */
function faultPoint(step: string) {
  if (process.env.HANGZHOU_LUJING_FAULT === `publish:${step}`) process.kill(process.pid, 'SIGKILL');
}

/** An out folder opened by a build: locked, checked, cleared of what earlier builds left unfinished. */
export class OutFolder {
  readonly staging: string;
  /** Build folders changed by hand, removed once the new outputs are published (--force). */
  private readonly replaced = new Set<string>();
  private publishing?: Promise<void>;
  private published = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly id: string,
    private record: Record,
    /** The folder was made by this build (removed again if nothing is published). */
    private readonly made: boolean,
  ) {
    this.staging = path.join(dir, `.staging-${id}`);
  }

  static async open(outDir: string, options: OpenOptions = {}): Promise<OutFolder> {
    const dir = path.resolve(outDir);
    const made = await makeFolder(dir);
    const id = `${Date.now().toString(36)}-${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
    await takeLock(dir, id, options);
    try {
      const real = await realpath(dir);
      const record = await readRecord(dir, real);
      const folder = new OutFolder(dir, id, record, made);
      await folder.check(Boolean(options.force));
      // The staging folder is recorded before it is made: whatever a kill leaves of it is the tool's.
      folder.record.pending.push(id);
      await folder.writeRecord();
      return folder;
    } catch (error) {
      await releaseLock(dir, id);
      if (made) await rmdir(dir).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Sorts the folder's entries into the tool's (checked against the record) and the others. Removes what
   * earlier builds left unfinished. Throws, naming them, if there are files the tool did not make or that
   * changed since it wrote them, unless `force`.
   */
  private async check(force: boolean) {
    const {record, dir} = this;
    const foreign: string[] = [];
    const changed: string[] = [];
    const stale: string[] = [];
    const current = await readlink(path.join(dir, CURRENT)).catch(() => undefined);
    for (const name of await readdir(dir)) {
      const full = path.join(dir, name);
      if (name === RECORD || name === LOCK || record.tolerated.includes(name)) continue;
      if (name in record.builds) {
        // The current build, or one a killed build left (superseded, or never switched to).
        const differences = await compareBuild(full, record.builds[name]!);
        if (differences.length > 0) changed.push(...differences.map((file) => `${name}/${file}`));
        else if (name !== current) stale.push(name);
      } else if (record.pending.some((id) => ownsTemporary(name, id)) || (await isLockDebris(full, name))) {
        stale.push(name);
      } else if (name === CURRENT) {
        if (current === undefined || !(current in record.builds)) changed.push(name);
      } else if (name in record.links) {
        if ((await readlink(full).catch(() => undefined)) !== record.links[name]) changed.push(name);
      } else {
        foreign.push(name);
      }
    }
    if ((foreign.length > 0 || changed.length > 0) && !force) {
      const legacy = await legacyOutputs(dir);
      const list = [...changed.map((name) => `${name} (changed since this tool wrote it)`), ...foreign];
      throw new OutFolderError(
        `the out folder holds files this tool did not make or that changed since it wrote them: ${list.join(', ')}`,
        foreign.length > 0 && changed.length === 0 && foreign.every((name) => legacy.includes(name) || name === '.outputs.json')
          ? 'An earlier version of this tool made them and kept no proof of it: delete them, or build once with --force to replace them.'
          : 'Choose an empty or new folder with --out, move these files away, or build with --force to take the folder over (files in the way of the outputs are then replaced).',
        list,
      );
    }
    for (const name of stale) await rm(path.join(dir, name), {recursive: true, force: true});
    record.pending = [];
    for (const name of Object.keys(record.builds)) if (!(await exists(path.join(dir, name)))) delete record.builds[name];
    // Taken over (--force): a changed build folder goes once the new one is published; other entries are
    // left alone, now and in later builds, unless an output is to take their name.
    for (const entry of changed) {
      const name = entry.split('/')[0]!;
      if (name in record.builds) this.replaced.add(name);
      else if (!record.tolerated.includes(name)) record.tolerated.push(name);
      delete record.links[name];
    }
    record.tolerated.push(...foreign);
  }

  /** Refuses to publish into a folder that holds a file of the manuscript. */
  checkInputs(files: string[]) {
    const inside = files.filter((file) => isInside(this.dir, file));
    if (inside.length > 0) {
      throw new OutFolderError(`the out folder holds files of the manuscript: ${inside.map((file) => path.relative(this.dir, file)).join(', ')}`, 'Choose an out folder outside the manuscript folder.', inside);
    }
  }

  /**
   * Publishes the staged outputs (`names`: entries of the staging folder). Every step before the switch
   * of `.current` leaves the previous set in place; every step after it, the new one.
   */
  async publish(names: string[]): Promise<string> {
    this.publishing = this.switchTo(names);
    await this.publishing;
    return realpath(path.join(this.dir, `.build-${this.id}`));
  }

  private async switchTo(names: string[]) {
    const {dir, id, record} = this;
    const build = `.build-${id}`;
    faultPoint('staged');
    const files = await describeBuild(this.staging);
    await rename(this.staging, path.join(dir, build));
    faultPoint('renamed');
    const previous = await readlink(path.join(dir, CURRENT)).catch(() => undefined);
    const oldLinks = {...record.links};
    record.builds[build] = files;
    for (const name of names) record.links[name] = `${CURRENT}/${name}`;
    // An entry left alone so far that an output is now to replace (--force took the folder over).
    const inTheWay = record.tolerated.filter((name) => names.includes(name) || name === CURRENT);
    record.tolerated = record.tolerated.filter((name) => !inTheWay.includes(name));
    await this.writeRecord();
    faultPoint('recorded');

    // A new output name (the title changed) gets its link before the switch: until then it leads nowhere.
    for (const name of names) {
      const full = path.join(dir, name);
      if ((await readlink(full).catch(() => undefined)) === record.links[name]) continue;
      if (inTheWay.includes(name)) await rm(full, {recursive: true, force: true});
      await replaceWithLink(full, record.links[name]!, this.temporary('link'));
      faultPoint('linked');
    }
    await this.assertLocked();
    if (inTheWay.includes(CURRENT)) await rm(path.join(dir, CURRENT), {recursive: true, force: true});
    await replaceWithLink(path.join(dir, CURRENT), build, this.temporary('current'));
    this.published = true;
    faultPoint('switched');

    // Then what the previous build had and this one has not: links of old names, its folder.
    for (const name of Object.keys(oldLinks).filter((candidate) => !names.includes(candidate))) {
      const full = path.join(dir, name);
      if ((await readlink(full).catch(() => undefined)) === oldLinks[name]) await unlink(full);
      delete record.links[name];
      faultPoint('unlinked');
    }
    for (const old of Object.keys(record.builds).filter((name) => name !== build && (name === previous || this.replaced.has(name)))) {
      const full = path.join(dir, old);
      if (this.replaced.has(old) || (await compareBuild(full, record.builds[old]!)).length === 0) {
        await rm(full, {recursive: true, force: true});
        delete record.builds[old];
      }
      faultPoint('removed');
    }
    record.pending = record.pending.filter((pending) => pending !== id);
    await this.writeRecord();
    faultPoint('done');
  }

  /** Ends the build's use of the folder: removes what it staged (if not published), and the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const {dir, id} = this;
    try {
      if (!this.published) {
        for (const name of await readdir(dir).catch(() => [] as string[])) if (ownsTemporary(name, id)) await rm(path.join(dir, name), {recursive: true, force: true});
        this.record.pending = this.record.pending.filter((pending) => pending !== id);
        if (this.made && Object.keys(this.record.builds).length === 0 && this.record.tolerated.length === 0) {
          await rm(path.join(dir, RECORD), {force: true});
        } else {
          await this.writeRecord();
        }
      }
    } finally {
      await releaseLock(dir, id);
      if (this.made && !this.published) await rmdir(dir).catch(() => undefined);
    }
  }

  /**
   * On a signal: a publish under way is let finish (it takes milliseconds, and stopping it between its
   * steps would only leave more for the next build to tidy), then the folder is closed.
   */
  async abandon(): Promise<void> {
    await this.publishing?.catch(() => undefined);
    await this.close();
  }

  private temporary(purpose: string): string {
    return path.join(this.dir, `.tmp-${this.id}-${purpose}`);
  }

  private async assertLocked() {
    const holder = await readFile(path.join(this.dir, LOCK), 'utf8').catch(() => '');
    if (!holder.includes(`"${this.id}"`)) throw new OutFolderError('another build took this out folder’s lock while this one was running: nothing was published', 'Run one build at a time into a folder.');
  }

  private async writeRecord() {
    const {signature: _, ...fields} = this.record;
    const record: Record = {...fields, signature: sign(fields)};
    const temporary = this.temporary('record');
    await writeFile(temporary, `${JSON.stringify(record)}\n`);
    await rename(temporary, path.join(this.dir, RECORD));
  }
}

/** Creates the out folder if need be; true when it did. Errors say what is wrong with the path. */
async function makeFolder(dir: string): Promise<boolean> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw folderError(dir, error);
  });
  if (info && !info.isDirectory()) throw new OutFolderError('--out names a file, not a folder', 'Give a folder for the outputs, for example --out out.');
  if (info) return false;
  await mkdir(dir, {recursive: true}).catch((error: NodeJS.ErrnoException) => {
    throw folderError(dir, error);
  });
  return true;
}

/** An error of the file system about the out folder, in words. */
export function folderError(dir: string, error: NodeJS.ErrnoException): OutFolderError {
  const reasons: {[code: string]: [string, string?]} = {
    EACCES: ['the out folder cannot be written (permission denied)', 'Choose a folder you may write to, or ask for write permission.'],
    EPERM: ['the out folder cannot be written (operation not permitted)', 'Choose a folder you may write to; some file systems (FAT, some shares) cannot hold symbolic links.'],
    EROFS: ['the out folder is on a read-only file system', 'Choose a folder on a writable disk.'],
    ENOSPC: ['the disk of the out folder is full', 'Free some space, or choose a folder on another disk.'],
    EDQUOT: ['the disk quota of the out folder is used up', 'Free some space, or choose a folder on another disk.'],
    ENOTDIR: ['a part of the out folder’s path is a file, not a folder', 'Check the path given with --out.'],
    ELOOP: ['the out folder’s path is a loop of symbolic links', 'Check the links in the path given with --out.'],
    ENAMETOOLONG: ['the out folder’s path is too long', 'Choose a shorter path.'],
  };
  const [message, hint] = reasons[error.code ?? ''] ?? [`the out folder cannot be used (${error.code ?? error.message})`];
  return new OutFolderError(message, hint, [dir]);
}

/** A lock moved aside to be broken (breakLock) by a build killed before it removed it. */
async function isLockDebris(file: string, name: string): Promise<boolean> {
  return name.startsWith(`${LOCK}-`) && parseHolder(await readFile(file, 'utf8').catch(() => '')) !== undefined;
}

function ownsTemporary(name: string, id: string): boolean {
  return name === `.staging-${id}` || name === `.build-${id}` || name.startsWith(`.tmp-${id}-`);
}

/** The record of the tool's work in `dir`, if it is intact and was written for this folder; else an empty one. */
async function readRecord(dir: string, real: string): Promise<Record> {
  const empty: Record = {tool: TOOL, form: FORM, folder: real, builds: {}, links: {}, pending: [], tolerated: []};
  const text = await readFile(path.join(dir, RECORD), 'utf8').catch(() => undefined);
  if (text === undefined) return empty;
  try {
    const record = JSON.parse(text) as Record;
    const {signature, ...fields} = record;
    const valid = record.tool === TOOL && record.form === FORM && record.folder === real && signature === sign(fields)
      && [record.builds, record.links].every((value) => value && typeof value === 'object')
      && [record.pending, record.tolerated].every(Array.isArray);
    return valid ? {...fields} : empty;
  } catch {
    return empty;
  }
}

function sign(fields: Omit<Record, 'signature'>): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Every file and folder under `dir`, with each file's size, time and hash. */
async function describeBuild(dir: string): Promise<FileRecord[]> {
  const records: FileRecord[] = [];
  for (const entry of (await readdir(dir, {recursive: true, withFileTypes: true})).sort((a, b) => (a.parentPath + a.name).localeCompare(b.parentPath + b.name))) {
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, full).split(path.sep).join('/');
    if (entry.isDirectory()) {
      records.push({path: `${relative}/`});
    } else if (entry.isFile()) {
      const [info, data] = await Promise.all([stat(full), readFile(full)]);
      records.push({path: relative, size: info.size, mtimeMs: info.mtimeMs, sha256: createHash('sha256').update(data).digest('hex')});
    } else {
      throw new Error(`the staged outputs hold ${relative}, which is neither a file nor a folder`);
    }
  }
  return records;
}

/**
 * What differs in a build folder from its record: files added, or changed (a file whose size and time
 * are as recorded is taken as unchanged; else its hash decides). Files missing are not differences: a
 * build may have been killed while removing the folder.
 */
async function compareBuild(dir: string, records: FileRecord[]): Promise<string[]> {
  const expected = new Map(records.map((record) => [record.path, record]));
  const differences: string[] = [];
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => undefined);
  if (!entries) return (await lstat(dir).catch(() => undefined)) ? ['.'] : [];
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, full).split(path.sep).join('/');
    const record = expected.get(entry.isDirectory() ? `${relative}/` : relative);
    if (!record || (entry.isDirectory() ? false : !entry.isFile())) {
      differences.push(relative);
      continue;
    }
    if (entry.isDirectory()) continue;
    const info = await stat(full);
    if (info.size === record.size && info.mtimeMs === record.mtimeMs) continue;
    const hash = createHash('sha256').update(await readFile(full)).digest('hex');
    if (hash !== record.sha256) differences.push(relative);
  }
  return differences;
}

/** Names an earlier version of the tool listed in its unproven record (.outputs.json). */
async function legacyOutputs(dir: string): Promise<string[]> {
  try {
    const list = JSON.parse(await readFile(path.join(dir, '.outputs.json'), 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}

/** Makes `file` a symbolic link to `target`, in one rename (a link of that name may exist). */
async function replaceWithLink(file: string, target: string, temporary: string) {
  await rm(temporary, {force: true});
  await symlink(target, temporary);
  await rename(temporary, file);
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(() => true, () => false);
}

// The lock: a file made only if it does not exist (O_EXCL), naming the process that holds it. A lock
// whose process is gone (a killed build) is stale and taken over.

interface LockHolder {
  tool: string;
  id: string;
  pid: number;
  host: string;
  /** The process's start time (Linux), so that a reused process id is not taken for the holder. */
  started?: string;
}

async function takeLock(dir: string, id: string, options: OpenOptions) {
  const file = path.join(dir, LOCK);
  const holder: LockHolder = {tool: TOOL, id, pid: process.pid, host: hostname(), started: await processStart(process.pid)};
  const deadline = Date.now() + (options.lockWaitMs ?? 10 * 60_000);
  let told = false;
  for (;;) {
    try {
      await writeFile(file, JSON.stringify(holder), {flag: 'wx'});
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw folderError(dir, error as NodeJS.ErrnoException);
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const other = parseHolder(text);
    if (await isStale(file, other)) {
      await breakLock(file, text);
      continue;
    }
    const who = other ? `process ${other.pid}${other.host === holder.host ? '' : ` on ${other.host}`}` : 'another process';
    if (Date.now() > deadline) {
      throw new OutFolderError(`another build (${who}) is still building into this out folder`, `Wait for it to end, or build into another folder; if no build is running, delete ${path.join(dir, LOCK)}.`);
    }
    if (!told) options.onWait?.(who);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder;
    return holder.tool === TOOL && typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

async function isStale(file: string, holder: LockHolder | undefined): Promise<boolean> {
  // A lock that cannot be read was cut short as it was written: stale once it is older than a build's start.
  if (!holder) return Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0) > 30_000;
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const started = await processStart(holder.pid);
  return Boolean(holder.started && started && holder.started !== started);
}

/**
 * Removes a stale lock, unless another build replaced it meanwhile: it is moved aside first, and put back
 * if it is not the one found stale.
 */
async function breakLock(file: string, staleText: string) {
  const aside = `${file}-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return;
  }
  const text = await readFile(aside, 'utf8').catch(() => '');
  // Not the lock found stale: another build's, put back unless a third took the name meanwhile.
  if (text !== staleText) await link(aside, file).catch(() => undefined);
  await rm(aside, {force: true});
}

async function releaseLock(dir: string, id: string) {
  const file = path.join(dir, LOCK);
  const text = await readFile(file, 'utf8').catch(() => '');
  if (parseHolder(text)?.id === id) await rm(file, {force: true});
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
async function processStart(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ')[19];
}
