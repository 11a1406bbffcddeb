// A chapter's Markdown work kept in the build cache, so that a rebuild after editing one case redoes
// only that case. The key is the chapter's source and the build settings; the images it uses are
// checked again on every use (an image replaced under the same name is a miss), and the warnings the
// chapter gave are given again, so that a cached chapter reports what it reported the first time.
import {readFile} from 'node:fs/promises';
import type {Point, Position} from 'unist';
import type {VFileMessage} from 'vfile-message';
import type {Chapter} from '../1-manuscript/index.js';
import type {Cache} from '../cache.js';
import type {Heading} from './index.js';
import {contentHash, type ImageAsset} from './rehype-local-images.js';

interface CachedChapter {
  html: string;
  headings: Heading[];
  images: Omit<ImageAsset, 'data'>[];
  messages: {reason: string; place?: Point | Position; ruleId?: string; source?: string; fatal?: boolean | null; note?: string}[];
}

/** A chapter's output depends on its source, the build settings, and which chapters its links may name. */
export function chapterKey(cache: Cache, chapter: Chapter, root: string, chapters: Map<string, string>, final: boolean): string {
  return cache.key('markdown', root, chapter.file.path, String(chapter.file.value), String(final), JSON.stringify([...chapters]));
}

export async function restoreChapter(cache: Cache, key: string, chapter: Chapter) {
  const cached = await cache.getJson<CachedChapter>('markdown', key);
  if (!cached) return undefined;
  const images: ImageAsset[] = [];
  for (const image of cached.images) {
    const data = await readFile(image.source).catch(() => undefined);
    if (!data || !image.name.startsWith(contentHash(data))) return undefined;
    images.push({...image, data: new Uint8Array(data)});
  }
  for (const {reason, place, ruleId, source, fatal, note} of cached.messages) {
    const message = chapter.file.message(reason, {place, ruleId, source});
    message.fatal = fatal;
    if (note) message.note = note;
  }
  return {html: cached.html, headings: cached.headings, images};
}

export function storeChapter(cache: Cache, key: string, value: {html: string; headings: Heading[]; images: ImageAsset[]; messages: VFileMessage[]}) {
  const cached: CachedChapter = {
    html: value.html,
    headings: value.headings,
    images: value.images.map(({data: _data, ...image}) => image),
    messages: value.messages.map((message) => ({reason: message.reason, place: message.place, ruleId: message.ruleId, source: message.source, fatal: message.fatal, note: message.note})),
  };
  cache.setJson('markdown', key, cached);
}
