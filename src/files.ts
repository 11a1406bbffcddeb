// File helpers shared by the stages: reading manuscript text safely and keeping every read inside the
// manuscript folder.
import {realpath, readFile, stat} from 'node:fs/promises';
import type {Stats} from 'node:fs';
import path from 'node:path';

/** True when `target` is `root` or lies below it (both already resolved, no `..` left). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A file followed through its symbolic links, or why it cannot be. */
export type Resolved = {real: string; inside: boolean} | {problem: string};

/**
 * Resolves `target` through symlinks and checks it stays inside `root`: a link pointing out of the
 * manuscript must not become a way to read other files. Only a regular file is resolved: a folder, a
 * named pipe (whose reading would wait for ever) or a device is a problem, said in words.
 */
export async function resolveInside(root: string, target: string): Promise<Resolved> {
  let real: string;
  try {
    real = await realpath(target);
  } catch (error) {
    return {problem: fileProblem(error as NodeJS.ErrnoException)};
  }
  const info = await stat(real).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) return {problem: fileProblem(info)};
  if (!info.isFile()) return {problem: `is ${kindOf(info)}, not a file`};
  return {real, inside: isInside(await realpath(root), real)};
}

/** What the file system's error means for a file that was to be read. */
export function fileProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ELOOP':
      return 'is a loop of symbolic links (a link that leads back to itself)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read (permission denied)';
    case 'ENOTDIR':
      return 'does not exist (a part of its path is a file, not a folder)';
    case 'ENAMETOOLONG':
      return 'has a name too long for the file system';
    default:
      return `cannot be read (${error.code ?? error.message})`;
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

/** A percent-encoded path or fragment decoded; undefined if an escape in it is malformed (`%E4` alone). */
export function decodePercent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export type Utf8Result = {ok: true; text: string} | {ok: false; line: number; column: number};

/** Decodes UTF-8 strictly (no silent U+FFFD), drops a byte-order mark and says where bad bytes start. */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    const text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
    return {ok: true, text: text.startsWith('\uFEFF') ? text.slice(1) : text};
  } catch {
    const offset = firstInvalidUtf8Byte(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    const lines = before.split('\n');
    return {ok: false, line: lines.length, column: [...lines.at(-1)!].length + 1};
  }
}

function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  const strict = new TextDecoder('utf-8', {fatal: true});
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index]!;
    const length = byte < 0x80 ? 1 : byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4;
    try {
      strict.decode(bytes.subarray(index, index + length));
    } catch {
      return index;
    }
    index += length;
  }
  return index;
}

export async function readText(file: string): Promise<Utf8Result> {
  return decodeUtf8(await readFile(file));
}
