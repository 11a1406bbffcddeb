// Watches folders for saves with fs.watch and reports them once things are quiet (a debounce): an
// editor's save is often several events (write, rename, chmod) and a `git checkout` dozens. Editors'
// temporary and backup files are ignored. Natively recursive where Node's fs.watch is (macOS, Windows);
// on Linux every folder is watched on its own and new folders are picked up as they appear.
import {watch, type FSWatcher} from 'node:fs';
import {readdir} from 'node:fs/promises';
import path from 'node:path';

export interface WatchOptions {
  /** Quiet time before `onChange` is called, in milliseconds (default 200). */
  debounceMs?: number;
  /** Called when a folder cannot be watched. */
  onError?: (error: Error) => void;
}

export interface FolderWatcher {
  close(): void;
  /** Resolves once every folder present at the start is watched. */
  ready: Promise<void>;
}

const NATIVE_RECURSIVE = process.platform === 'darwin' || process.platform === 'win32';

/** Files editors write beside the one being saved, and system litter: never a reason to rebuild. */
export function isIgnoredFile(name: string): boolean {
  const base = path.basename(name);
  return (
    base.startsWith('.') || // .file.swp (vim), .#file (emacs lock), .DS_Store, .~lock.file# (LibreOffice)
    base.endsWith('~') || // backups (vim, emacs, gedit)
    /^#.*#$/.test(base) || // emacs auto-save
    /^~\$/.test(base) || // Office owner files
    base === '4913' || // vim's probe for write permission
    /\.(?:swp|swo|swx|swn|tmp|temp|bak|orig|crswap|kate-swp|part)$/i.test(base) ||
    /___jb_(?:tmp|old)___$/.test(base) || // JetBrains safe write
    /^(?:Thumbs\.db|desktop\.ini)$/i.test(base)
  );
}

export function watchFolders(folders: string[], onChange: (changed: string[]) => void, options: WatchOptions = {}): FolderWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const watchers = new Map<string, FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let rescan: NodeJS.Timeout | undefined;
  let closed = false;

  const fire = () => {
    timer = undefined;
    if (closed || changed.size === 0) return;
    const files = [...changed];
    changed.clear();
    onChange(files);
  };

  const event = (folder: string, type: string, name: string | Buffer | null) => {
    if (closed) return;
    const relative = name === null ? '' : String(name);
    // Any part of the path may be hidden (a .git folder inside the manuscript) or an editor's file.
    if (relative && relative.split(/[\\/]/).some((part) => isIgnoredFile(part))) return;
    changed.add(path.join(folder, relative));
    clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
    if (!NATIVE_RECURSIVE && type === 'rename') {
      clearTimeout(rescan);
      rescan = setTimeout(() => void scan(), debounceMs);
    }
  };

  const add = (folder: string, recursive: boolean): boolean => {
    if (closed || watchers.has(folder)) return false;
    try {
      const watcher = watch(folder, {recursive, persistent: true}, (type, name) => event(folder, type, name));
      watcher.on('error', () => {
        // The folder went away (deleted or renamed): a rescan picks up what replaced it.
        watcher.close();
        watchers.delete(folder);
      });
      watchers.set(folder, watcher);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(error as Error);
      return false;
    }
  };

  const scan = async (initial = false) => {
    if (NATIVE_RECURSIVE) {
      for (const folder of folders) add(folder, true);
      return;
    }
    const present = new Set<string>();
    for (const folder of folders) for (const sub of await subfolders(folder)) present.add(sub);
    if (closed) return;
    for (const [folder, watcher] of watchers) {
      if (!present.has(folder)) {
        watcher.close();
        watchers.delete(folder);
      }
    }
    // Files copied into a new folder before it was watched are seen by the build this change starts.
    for (const folder of present) if (add(folder, false) && !initial) event(folder, 'change', null);
  };

  const ready = scan(true);
  return {
    ready,
    close() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(rescan);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/** The folder and every folder below it, hidden ones (.git) and node_modules left out. */
async function subfolders(folder: string): Promise<string[]> {
  const result: string[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, {withFileTypes: true});
    } catch {
      return;
    }
    result.push(dir);
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') await walk(path.join(dir, entry.name));
    }
  };
  await walk(folder);
  return result;
}
