// The fonts step: every character of the book from a bundled face, none missing without a message.
import {mkdtemp, readdir, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import * as fontkit from 'fontkit';
import {describe, expect, it} from 'vitest';
import {fontFaceCss, subsetFonts} from '../../src/3-assemble/fonts.js';
import {Cache} from '../../src/cache.js';
import {PROJECT} from '../helpers.js';

const SERIF = {family: 'Noto Serif SC', weight: 400, style: 'normal' as const, epub: true, sources: ['@fontsource/noto-serif-sc/chinese-simplified-400.css', '@fontsource/noto-serif-sc/400.css']};

describe('subsetFonts', () => {
  it('takes common characters from the big file and rare ones from the slices', async () => {
    const {files, missing} = await subsetFonts([SERIF], '资源配臵HGT51F，“智造”', PROJECT);
    expect(missing).toEqual([]);
    expect(files.length).toBe(2);
    const covered = files.flatMap((file) => file.codePoints.map((codePoint) => String.fromCodePoint(codePoint)));
    expect(covered.sort()).toEqual([...new Set('资源配臵HGT51F，“智造”')].sort());
    for (const file of files) {
      const font = fontkit.create(Buffer.from(file.data)) as fontkit.Font;
      for (const codePoint of file.codePoints) expect(font.hasGlyphForCodePoint(codePoint)).toBe(true);
      expect(font.numGlyphs).toBeLessThan(40);
    }
    expect(fontFaceCss(files, '../fonts/')).toContain('unicode-range: U+81F5;');
  });

  it('decodes a font again when the decoded copy in the cache is broken', async () => {
    // The second call wants other characters of the same eight slice files, so it reads their decoded
    // copies from the cache: garbage there must read as a miss, not reach the subsetter.
    const SLICES = {...SERIF, sources: ['@fontsource/noto-serif-sc/400.css']};
    const dir = await mkdtemp(path.join(tmpdir(), 'font-cache-'));
    const cache = await Cache.open(dir);
    expect((await subsetFonts([SLICES], '龃鸰鲂骀飝靛闄铵', PROJECT, cache)).files.length).toBe(8);
    await cache.flush();
    const decoded = (await readdir(path.join(dir, 'font-sources'), {recursive: true, withFileTypes: true})).filter((entry) => entry.isFile());
    expect(decoded.length).toBe(8);
    for (const entry of decoded) await writeFile(path.join(entry.parentPath, entry.name), 'not a font');
    const {files, missing} = await subsetFonts([SLICES], '龅鸱鲃骃飡靜闅铷', PROJECT, cache);
    expect(missing).toEqual([]);
    expect(files.length).toBe(8);
    for (const file of files) {
      const font = fontkit.create(Buffer.from(file.data)) as fontkit.Font;
      for (const codePoint of file.codePoints) expect(font.hasGlyphForCodePoint(codePoint)).toBe(true);
    }
  });

  it('names the characters no face has', async () => {
    const {missing} = await subsetFonts([SERIF], '中\u{10FFFD}文\u{E000}', PROJECT);
    expect(missing).toEqual(['\u{E000}', '\u{10FFFD}']);
  });
});
