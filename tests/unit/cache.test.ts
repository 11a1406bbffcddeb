// The build cache: entries are written in the background, so what is written must be what set() was
// given at the time, whatever the caller does with its buffer afterwards.
import {mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {expect, it} from 'vitest';
import {Cache} from '../../src/cache.js';

it('writes what it was given, though the buffer changes before the write, and has it after flush()', async () => {
  const cache = await Cache.open(await mkdtemp(path.join(tmpdir(), 'cache-')));
  const buffer = new Uint8Array([1, 2, 3]);
  const key = cache.key('test');
  cache.set('things', key, buffer);
  buffer.fill(0);
  cache.setJson('json', key, {a: 1});
  await cache.flush();
  expect([...(await cache.get('things', key))!]).toEqual([1, 2, 3]);
  expect(await cache.getJson('json', key)).toEqual({a: 1});
  expect(await cache.get('things', cache.key('other'))).toBeUndefined();
});
