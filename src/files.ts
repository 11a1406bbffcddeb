// File helpers shared by the stages: reading manuscript text safely and keeping every read inside the
// manuscript folder.
import {realpath, readFile} from 'node:fs/promises';
import path from 'node:path';

/** True when `target` is `root` or lies below it (both already resolved, no `..` left). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Resolves `target` through symlinks and checks it stays inside `root`: a link pointing out of the
 * manuscript must not become a way to read other files. Returns undefined when it does not exist.
 */
export async function resolveInside(root: string, target: string): Promise<{real: string; inside: boolean} | undefined> {
  try {
    const real = await realpath(target);
    return {real, inside: isInside(await realpath(root), real)};
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
