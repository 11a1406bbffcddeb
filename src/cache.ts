// A content-addressed cache for work a rebuild can skip: each entry is named by a hash of everything it
// was made from (its source, the settings it depended on and the tool's own code), so an entry is
// either exactly right or never looked up. Entries are written atomically, and each carries a hash of
// its content, checked on every read: an entry damaged on the disk (cut short, bytes changed) is
// removed, reported, and its work done again; it is never used.
import {createHash} from 'node:crypto';
import {mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {VFile} from 'vfile';
import {reportWarning} from './messages.js';
import {PROJECT_ROOT} from './project.js';

/** An entry: this mark, the SHA-256 of the content, the content. */
const MARK = Buffer.from('HZC1');
const HEADER = MARK.length + 32;

export class Cache {
  private readonly pending = new Set<Promise<void>>();
  private writes = 0;
  /** Entries found damaged (and removed) in this build. */
  readonly damaged: string[] = [];

  private constructor(
    private readonly dir: string,
    /** Hash of the tool itself: its code and its locked dependencies. */
    readonly toolVersion: string,
  ) {}

  static async open(dir: string): Promise<Cache> {
    return new Cache(dir, await toolVersion());
  }

  key(...parts: (string | Uint8Array)[]): string {
    const hash = createHash('sha256').update(this.toolVersion);
    for (const part of parts) hash.update(String(typeof part === 'string' ? part.length : part.byteLength)).update(':').update(part);
    return hash.digest('hex');
  }

  /** Empties the cache (`--clean`). */
  static async clear(dir: string = DEFAULT_CACHE_DIR): Promise<void> {
    await rm(dir, {recursive: true, force: true});
  }

  /** The entry's content, if there is one and it is intact (a damaged one is removed). */
  async get(kind: string, key: string): Promise<Buffer | undefined> {
    const file = this.file(kind, key);
    const data = await readFile(file).catch(() => undefined);
    if (!data) return undefined;
    const content = data.subarray(HEADER);
    if (data.length >= HEADER && data.subarray(0, MARK.length).equals(MARK) && data.subarray(MARK.length, HEADER).equals(digest(content))) return content;
    this.damaged.push(path.relative(this.dir, file));
    await rm(file, {force: true});
    return undefined;
  }

  /** The damaged entries of this build, as warnings on the cache folder. */
  report(): VFile {
    const file = new VFile({path: this.dir});
    for (const entry of this.damaged) {
      reportWarning(file, `the cache entry ${entry} was damaged: it was removed and its work done again`, undefined, 'cache-damaged',
        'A disk that damages files may damage the outputs too: check it if this happens again.');
    }
    return file;
  }

  /**
   * Writes an entry in the background: a build does not wait for each write (awaited one by one, the
   * writes of 200 chapters cost 0.5–1 s), but calls flush() before it ends. A cache that cannot be
   * written only makes the next build slower, so a failed write is dropped.
   */
  set(kind: string, key: string, data: Uint8Array | string): void {
    const file = this.file(kind, key);
    const content = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // Written later: a copy (the caller's buffer may be reused meanwhile), with the content's hash.
    const entry = Buffer.concat([MARK, digest(content), content]);
    const writing = (async () => {
      await mkdir(path.dirname(file), {recursive: true});
      const temporary = `${file}.${process.pid}.${this.writes++}.tmp`;
      await writeFile(temporary, entry);
      await rename(temporary, file);
    })();
    this.pending.add(writing);
    writing.catch(() => undefined).finally(() => this.pending.delete(writing));
  }

  setJson(kind: string, key: string, value: unknown): void {
    this.set(kind, key, JSON.stringify(value));
  }

  /** Waits for the writes begun so far. */
  async flush(): Promise<void> {
    await Promise.allSettled(this.pending);
  }

  async getJson<T>(kind: string, key: string): Promise<T | undefined> {
    const data = await this.get(kind, key);
    try {
      return data ? (JSON.parse(data.toString('utf8')) as T) : undefined;
    } catch {
      return undefined;
    }
  }

  private file(kind: string, key: string): string {
    return path.join(this.dir, kind, key.slice(0, 2), key);
  }
}

function digest(content: Uint8Array): Buffer {
  return createHash('sha256').update(content).digest();
}

/** The cache lives in the project, beside the tool whose work it keeps. */
export const DEFAULT_CACHE_DIR = path.join(PROJECT_ROOT, '.cache');

let version: Promise<string> | undefined;

function toolVersion(): Promise<string> {
  version ??= (async () => {
    const hash = createHash('sha256');
    for (const file of await filesUnder(path.join(PROJECT_ROOT, 'src'))) hash.update(file).update(await readFile(file));
    hash.update(await readFile(path.join(PROJECT_ROOT, 'package-lock.json')).catch(() => ''));
    return hash.digest('hex');
  })();
  return version;
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, {withFileTypes: true, recursive: true}).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
