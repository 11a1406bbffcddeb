// A part's EPUB content document is kept in the cache with stand-ins for its page labels: an edit that
// moves every later part's page numbers leaves their documents usable, labels written in afresh.
import {mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {expect, it} from 'vitest';
import {cachedDocument, partDocument} from '../../src/5-epub/index.js';
import {Cache} from '../../src/cache.js';

const fileOf = new Map([['case-01', 'case-01.xhtml'], ['case-02', 'case-02.xhtml']]);
const html = '<section class="part" id="case-01"><p>第一页的文字从这里开始，接着说下去。</p><p>第二页从这一句开始，直到段落结束。<a href="#case-02">下一篇</a></p></section>';
const pages = (first: number) => [
  {label: String(first), text: '第一页的文字从这里开始', partId: 'case-01'},
  {label: String(first + 1), text: '第二页从这一句开始，直', partId: 'case-01'},
];

it('gives the document of a part whose pages moved, from the cache, as it would make it afresh', async () => {
  const cache = await Cache.open(await mkdtemp(path.join(tmpdir(), 'cache-')));
  const first = partDocument({html}, pages(1), undefined, undefined, fileOf, cache);
  expect(first.pages).toEqual(['1', '2']);
  expect(first.xhtml).toContain('id="page-2"');
  expect(first.xhtml).toContain('href="case-02.xhtml"');
  await cache.flush();

  const cached = await cachedDocument(html, fileOf, cache);
  expect(cached).toBeDefined();
  const moved = partDocument({html}, pages(7), cached, undefined, fileOf, cache);
  expect(moved).toEqual(partDocument({html}, pages(7), undefined, undefined, fileOf));
  expect(moved.xhtml).toContain('id="page-8" aria-label="8"');
  expect(moved.xhtml).not.toContain('\uE000');
});

it('makes the document afresh when its pages begin with other texts', async () => {
  const cache = await Cache.open(await mkdtemp(path.join(tmpdir(), 'cache-')));
  partDocument({html}, pages(1), undefined, undefined, fileOf, cache);
  await cache.flush();
  const other = [{label: '1', text: '第一页的文字从这里开始', partId: 'case-01'}];
  const made = partDocument({html}, other, await cachedDocument(html, fileOf, cache), undefined, fileOf, cache);
  expect(made.pages).toEqual(['1']);
  expect(made.xhtml).not.toContain('page-2');
});

it('writes a text that holds a stand-in itself as it is, and keeps no document of it', async () => {
  const cache = await Cache.open(await mkdtemp(path.join(tmpdir(), 'cache-')));
  const odd = html.replace('接着说下去', '接着\uE0001\uE001说下去');
  const made = partDocument({html: odd}, pages(1), undefined, undefined, fileOf, cache);
  expect(made.pages).toEqual(['1', '2']);
  expect(made.xhtml).toContain('接着\uE0001\uE001说下去');
  expect(made.xhtml).toContain('id="page-2"');
  await cache.flush();
  expect(await cachedDocument(odd, fileOf, cache)).toBeUndefined();
});
