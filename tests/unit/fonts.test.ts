// The fonts step: every character of the book from a bundled face, none missing without a message.
import * as fontkit from 'fontkit';
import {describe, expect, it} from 'vitest';
import {fontFaceCss, subsetFonts} from '../../src/3-assemble/fonts.js';
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

  it('names the characters no face has', async () => {
    const {missing} = await subsetFonts([SERIF], '中\u{10FFFD}文\u{E000}', PROJECT);
    expect(missing).toEqual(['\u{E000}', '\u{10FFFD}']);
  });
});
