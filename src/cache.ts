// A content-addressed cache for work a rebuild can skip: each entry is named by a hash of everything it
// was made from (its source, the settings it depended on and the tool's own code), so an entry is
// either exactly right or never looked up. Entries are written atomically; a broken one reads as a miss.
import {createHash} from 'node:crypto';
import {mkdir, readdir, readFile, rename, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {PROJECT_ROOT} from './project.js';

export class Cache {
  private readonly pending = new Set<Promise<void>>();
  private writes = 0;

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

  async get(kind: string, key: string): Promise<Buffer | undefined> {
    return readFile(this.file(kind, key)).catch(() => undefined);
  }

  /**
   * Writes an entry in the background: a build does not wait for each write (awaited one by one, the
   * writes of 200 chapters cost 0.5–1 s), but calls flush() before it ends. A cache that cannot be
   * written only makes the next build slower, so a failed write is dropped.
   */
  set(kind: string, key: string, data: Uint8Array | string): void {
    const file = this.file(kind, key);
    // Written later: a copy, in case the caller's buffer is reused meanwhile.
    const contents = typeof data === 'string' ? data : Buffer.from(data);
    const writing = (async () => {
      await mkdir(path.dirname(file), {recursive: true});
      const temporary = `${file}.${process.pid}.${this.writes++}.tmp`;
      await writeFile(temporary, contents);
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
