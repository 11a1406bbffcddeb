// Fixes are edits on the raw source, applied from the end so earlier offsets stay valid; the file is
// replaced atomically, so an interrupted fix leaves the old file, never half a new one.
import {randomUUID} from 'node:crypto';
import {chmod, rename, rm, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';

export interface Edit {
  start: number;
  end: number;
  replacement: string;
}

/**
 * Applies the edits that do not overlap an earlier one. An overlapping edit is left out rather than
 * guessed at: the next pass of the checker finds what it was about again, on the changed text.
 */
export function applyEdits(text: string, edits: readonly Edit[]): {text: string; applied: number} {
  const accepted: Edit[] = [];
  for (const edit of [...edits].sort((a, b) => a.start - b.start || a.end - b.end)) {
    const previous = accepted.at(-1);
    if (previous && edit.start < previous.end) continue;
    accepted.push(edit);
  }
  let result = text;
  for (const edit of accepted.reverse()) result = result.slice(0, edit.start) + edit.replacement + result.slice(edit.end);
  return {text: result, applied: accepted.length};
}

/** Writes `content` to a temporary file beside `target`, with its permissions, then renames it over `target`. */
export async function writeAtomically(target: string, content: string): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
  try {
    const {mode} = await stat(target);
    await writeFile(temporary, content, {flag: 'wx'});
    await chmod(temporary, mode & 0o7777);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, {force: true});
    throw error;
  }
}
