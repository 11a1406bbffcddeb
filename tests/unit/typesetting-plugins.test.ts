// The typesetting's own transforms: the text block cut from the trim, titles broken between clauses and
// words, break points in addresses and long words, source positions on blocks, the source line.
import type {Root} from 'hast';
import {fromHtml} from 'hast-util-from-html';
import {toHtml} from 'hast-util-to-html';
import {unified, type Plugin} from 'unified';
import {describe, expect, it} from 'vitest';
import {bookSchema} from '../../src/1-manuscript/schema.js';
import rehypeBreakLongWords, {SOFT_HYPHEN} from '../../src/2-markdown/rehype-break-long-words.js';
import {GeometryError, pageGeometry, readPageRules} from '../../src/3-assemble/geometry.js';
import {chineseDate, sourceLine} from '../../src/3-assemble/imprint.js';
import rehypeTitleBreaks from '../../src/3-assemble/rehype-title-breaks.js';

const MM = 72 / 25.4;

async function html(input: string, plugin: Plugin<[], Root>): Promise<string> {
  const tree = fromHtml(input, {fragment: true});
  await unified().use(plugin).run(tree);
  return toHtml(tree);
}

describe('the text block (版心)', async () => {
  const rules = await readPageRules();
  const trim = (value: string) => bookSchema.shape.trim.parse(value);
  const geometry = (value: string, extra = {}) => pageGeometry({trim: trim(value), bleed: 3, ...extra}, rules);

  it.each(['170mm×240mm', 'A5', 'B5', '16开', '大16开', '32开', '大32开', 'A4'])('%s: whole characters and lines, margins that leave the trim clear', (size) => {
    const page = geometry(size);
    expect(page.textWidth).toBeCloseTo(page.charactersPerLine * 10.5, 6);
    expect(page.textHeight).toBeCloseTo(page.linesPerPage * 18.375, 6);
    const {top, bottom, inner, outer} = page.margins;
    expect(top + bottom + page.textHeight / MM).toBeCloseTo(page.trim.height, 6);
    expect(inner + outer + page.textWidth / MM).toBeCloseTo(page.trim.width, 6);
    expect(Math.min(inner, outer)).toBeGreaterThanOrEqual(12);
    expect(top).toBeGreaterThanOrEqual(20);
    expect(bottom).toBeGreaterThanOrEqual(21);
    expect(inner).toBeGreaterThan(outer);
  });

  it('keeps the real book’s 35 characters by 30 lines, and gives A5 fewer', () => {
    expect(geometry('170mm×240mm')).toMatchObject({charactersPerLine: 35, linesPerPage: 30});
    expect(geometry('A5')).toMatchObject({charactersPerLine: 30, linesPerPage: 26});
  });

  it('takes the measure, the lines and the margins book.yaml gives, and refuses what does not fit', () => {
    expect(geometry('A5', {measure: 28, lines: 24, margins: {inner: 22}})).toMatchObject({charactersPerLine: 28, linesPerPage: 24, margins: {inner: 22}});
    expect(() => geometry('A5', {measure: 40})).toThrow(GeometryError);
    expect(() => geometry('A5', {lines: 32})).toThrow(/lines/);
    expect(() => geometry('A5', {margins: {inner: 35}})).toThrow(/inner margin/);
  });

  it('knows the sizes by their names and refuses sizes no book has', () => {
    expect(trim('a5')).toEqual({width: 148, height: 210});
    expect(trim('大32开')).toEqual({width: 140, height: 203});
    expect(bookSchema.shape.trim.safeParse('50mm×50mm').success).toBe(false);
    expect(bookSchema.shape.trim.safeParse('240mm×170mm').error?.issues[0]?.message).toMatch(/wider than it is high/);
    expect(bookSchema.shape.trim.safeParse('A7').error?.issues[0]?.message).toMatch(/A5, A4, B5, 16开/);
  });
});

describe('rehype-title-breaks', () => {
  const breaks = (input: string) => html(input, rehypeTitleBreaks as Plugin<[], Root>);

  it('makes each clause a block a line breaks around, with break points between its words only', async () => {
    const out = await breaks('<h1>探路内涵式发展，临平经开区加快迈向未来智造城</h1>');
    const clauses = [...out.matchAll(/<span class="clause">(.*?)<\/span>/g)].map((match) => match[1]);
    expect(clauses.map((clause) => clause!.replace(/<wbr>/g, ''))).toEqual(['探路内涵式发展，', '临平经开区加快迈向未来智造城']);
    // No break inside the words of the dictionary.
    for (const word of ['智造城', '迈向', '加快', '发展']) expect(out.replace(/<[^>]+>/g, (tag) => (tag === '<wbr>' ? '|' : ''))).not.toMatch(new RegExp([...word].join('\\|')));
  });

  it('joins a clause of fewer than four characters to its neighbour and leaves no two characters alone', async () => {
    const out = await breaks('<h2>城市更新与共同富裕的杭州实践，好</h2>');
    expect(out.match(/class="clause"/g)).toHaveLength(1);
    const text = out.replace(/<wbr>/g, '|').replace(/<[^>]+>/g, '');
    expect(text.endsWith('|好') || /\|.{1,2}$/.test(text)).toBe(false);
  });

  it('keeps the markup inside a title, and leaves titles without Chinese alone', async () => {
    expect(await breaks('<h2>发展<em>新质生产力</em>，推动产业转型升级</h2>')).toContain('<em>');
    expect(await breaks('<h2>Version 2.0</h2>')).toBe('<h2>Version 2.0</h2>');
  });
});

describe('rehype-break-long-words', () => {
  const broken = (input: string) => html(input, rehypeBreakLongWords as Plugin<[], Root>);

  it('puts break points into addresses after slashes and before dots, question marks and ampersands', async () => {
    const out = await broken('<p>见https://www.zj.gov.cn/art/2025/index.html?id=3&amp;lang=zh，或拨打</p>');
    expect(out).toContain('https://<wbr>www<wbr>.zj<wbr>.gov<wbr>.cn/<wbr>art/<wbr>2025/<wbr>index<wbr>.html<wbr>?id<wbr>=3<wbr>&#x26;lang<wbr>=zh，或拨打');
    expect(out.replace(/<wbr>/g, '')).toBe('<p>见https://www.zj.gov.cn/art/2025/index.html?id=3&#x26;lang=zh，或拨打</p>');
  });

  it('hyphenates long words by their language, and leaves short ones, code and headings alone', async () => {
    const out = await broken('<p>例如Donaudampfschifffahrtsgesellschaft和internationalization，city</p><p><code>internationalization</code></p><h2>internationalization</h2>');
    expect(out).toContain(`Donau${SOFT_HYPHEN}dampf${SOFT_HYPHEN}schiff`);
    expect(out).toContain(`in${SOFT_HYPHEN}ter${SOFT_HYPHEN}na`);
    expect(out).toContain('<code>internationalization</code>');
    expect(out).toContain('<h2>internationalization</h2>');
    expect(out.replace(new RegExp(SOFT_HYPHEN, 'g'), '')).toContain('Donaudampfschifffahrtsgesellschaft和internationalization，city');
  });
});

describe('the source line', () => {
  it('puts the publication in 书名号 and writes the date in Chinese (GB/T 15834)', () => {
    expect(sourceLine('浙江日报', '2025-10-13')).toBe('原载《浙江日报》2025年10月13日');
    expect(sourceLine('《浙江日报》第3版')).toBe('原载《浙江日报》第3版');
    expect(chineseDate('2025-01')).toBe('2025年1月');
    expect(chineseDate('2025')).toBe('2025年');
  });
});
