// One describe per rule of `npm run check`: what it flags (line:column of the mark), what it must
// leave alone, and what --fix writes.
import {chmod, readdir, readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import {VFile} from 'vfile';
import {location} from 'vfile-location';
import {describe, expect, it} from 'vitest';
import {checkManuscript, fixSource, lintSource} from '../../src/check/index.js';
import {writeManuscript} from '../helpers.js';

/** `line:column rule` for each problem found in `markdown`. */
function lint(markdown: string): string[] {
  const where = location(new VFile(markdown));
  return lintSource(markdown).map((problem) => {
    const point = where.toPoint(problem.start)!;
    return `${point.line}:${point.column} ${problem.ruleId}`;
  });
}

function fix(markdown: string): string {
  return fixSource(markdown).text;
}

describe('half-width-punctuation', () => {
  it('flags , . ; : ? ! ( ) that touch Chinese, at the mark', () => {
    expect(lint('发展,转型.\n\n课题是:如何;怎么转?好!')).toEqual([
      '1:3 half-width-punctuation',
      '1:6 half-width-punctuation',
      '3:4 half-width-punctuation',
      '3:7 half-width-punctuation',
      '3:11 half-width-punctuation',
      '3:13 half-width-punctuation',
    ]);
    expect(fix('发展,转型.\n\n课题是:如何;怎么转?好!')).toBe('发展，转型。\n\n课题是：如何；怎么转？好！');
  });

  it('looks through quotes and brackets and across emphasis', () => {
    expect(fix('开发区(以下简称“临平经开区”),正通过“变形记”,提供')).toBe('开发区（以下简称“临平经开区”），正通过“变形记”，提供');
    expect(lint('**强调**,之后')).toEqual(['1:7 half-width-punctuation']);
    expect(fix('**强调**,之后')).toBe('**强调**，之后');
  });

  it('flags the mark after a number or a word that ends a Chinese sentence', () => {
    expect(fix('同比增长6.4%,提升了35%.')).toBe('同比增长6.4%，提升了35%。');
    expect(fix('大模型iMedImage.')).toBe('大模型iMedImage。');
  });

  it('changes parentheses as a pair', () => {
    expect(fix('杭州(Hangzhou)是城市')).toBe('杭州（Hangzhou）是城市');
    expect(fix('see (Figure 1) here')).toBe('see (Figure 1) here');
  });

  it('leaves numbers, ordinals and English alone', () => {
    const text = '增长6.4%、156.57亿元、3:1、10:30、1,000家、第1.2节。\n\n1.发展经济\n\nVersion 2.0 发布。例如 e.g. 这样。他会见了Dr. Smith, CEO。\n\nHello, world. Is it? Yes!';
    expect(lint(text)).toEqual([]);
  });

  it('leaves URLs, e-mail addresses, code, link destinations and entities alone', () => {
    const text = [
      '见https://example.com/a,b?c=1;d=2，或写信给a.b@example.com。',
      '见<https://example.org/x,y>和[链接](https://example.com/p,q "题")。',
      '运行`a, b: c`。',
      '```\n发展,转型\n```',
      '甲&amp;乙&#59;丙',
    ].join('\n\n');
    expect(lint(text)).toEqual([]);
  });

  it('lints directive labels but not their attributes', () => {
    const text = '::figure[说明,好]{src="../images/a,b.jpg" alt="一,二:三"}\n\n:::commentary{author="吕淼" affiliation="中心,副主任"}\n点评,好\n:::\n\n甲:query[问题?]乙';
    expect(lint(text)).toEqual(['1:12 half-width-punctuation', '4:3 half-width-punctuation', '7:11 half-width-punctuation']);
    expect(fix(text)).toBe(
      '::figure[说明，好]{src="../images/a,b.jpg" alt="一,二:三"}\n\n:::commentary{author="吕淼" affiliation="中心,副主任"}\n点评，好\n:::\n\n甲:query[问题？]乙',
    );
  });

  it('keeps directive syntax that the parser left in the text', () => {
    expect(fix('文字::figure[说明,好]{src="../images/a,b.jpg" alt="一,二"}')).toBe('文字::figure[说明，好]{src="../images/a,b.jpg" alt="一,二"}');
  });

  it('lints headings, table cells, quotations, lists and footnotes', () => {
    const text = '## 标题,好\n\n| 甲,乙 | b |\n|---|---|\n| 丙;丁 | e,f |\n\n> 引用,文字\n\n- 列表,项\n\n正文[^1]\n\n[^1]: 脚注,内容\n';
    expect(lint(text)).toEqual([
      '1:6 half-width-punctuation',
      '3:4 half-width-punctuation',
      '5:4 half-width-punctuation',
      '7:5 half-width-punctuation',
      '9:5 half-width-punctuation',
      '13:9 half-width-punctuation',
    ]);
  });

  it('lints the title and subtitle of the frontmatter, nothing else there', () => {
    const text = '---\ntitle: 探路,临平\nsubtitle: "解码,开发区"\nauthors:\n  - 胡金,章\nsource: a,b\n---\n\n正文。\n';
    expect(lint(text)).toEqual(['2:10 half-width-punctuation', '3:14 half-width-punctuation']);
    expect(fix(text)).toBe('---\ntitle: 探路，临平\nsubtitle: "解码，开发区"\nauthors:\n  - 胡金,章\nsource: a,b\n---\n\n正文。\n');
  });
});

describe('straight-quote', () => {
  it('pairs straight quotes in Chinese text as “ ” and ‘ ’', () => {
    const text = '他说"我们要\'创新\'"。';
    expect(lint(text)).toEqual(['1:3 straight-quote', '1:7 straight-quote', '1:10 straight-quote', '1:11 straight-quote']);
    expect(fix(text)).toBe('他说“我们要‘创新’”。');
  });

  it('keeps English quotations and apostrophes', () => {
    expect(fix('他说"你好"，She said "hi" today; don\'t tell O\'Brien.')).toBe('他说“你好”，She said "hi" today; don\'t tell O\'Brien.');
    expect(lint('She said "hello world" and left. It\'s fine.')).toEqual([]);
  });

  it('gives a lone straight quote the direction the text around it asks for', () => {
    expect(fix('他说“你好"')).toBe('他说“你好”');
    expect(fix('他说"你好”')).toBe('他说“你好”');
  });
});

describe('quote-style', () => {
  it('turns corner brackets into mainland quotation marks', () => {
    expect(lint('「引号『内』」')).toEqual(['1:1 quote-style', '1:4 quote-style', '1:6 quote-style', '1:7 quote-style']);
    expect(fix('「引号『内』」')).toBe('“引号‘内’”');
  });
});

describe('unbalanced-mark', () => {
  it('points at a mark without its partner, and at wrong nesting', () => {
    expect(lint('“未闭合\n\n多余”\n\n“甲（乙”丙）\n\n《书名〉')).toEqual([
      '1:1 unbalanced-mark',
      '3:3 unbalanced-mark',
      '5:5 unbalanced-mark',
      '7:1 unbalanced-mark',
      '7:4 unbalanced-mark',
    ]);
  });

  it('is never fixed', () => {
    expect(fixSource('“未闭合')).toEqual({text: '“未闭合', fixed: 0});
  });

  it('accepts balanced marks and apostrophes', () => {
    expect(lint('“他说‘好’（对）”《书》〈篇〉【注】\n\nWi-Fi’s range')).toEqual([]);
  });
});

describe('space-between-han', () => {
  it('flags spaces and tabs between Chinese, and beside its punctuation', () => {
    expect(lint('发展 ，转型\t好 \u00a0中')).toEqual(['1:3 space-between-han', '1:7 space-between-han', '1:9 space-between-han']);
    expect(fix('发展 ，转型\t好 \u00a0中 English')).toBe('发展，转型\u3000好\u3000中 English');
  });

  it('joins spaced-out words in running text, and keeps the gap in short lines as U+3000', () => {
    const running = '城市发展如何从量的积累转向质的跃迁 案例就是路径，这座城市的发展肌理与改革坐标';
    expect(fix(running)).toBe(running.replace(' ', ''));
    expect(fix('■ 胡金 章婕妤 章高渊')).toBe('■ 胡金\u3000章婕妤\u3000章高渊');
  });

  it('keeps the ideographic space, line breaks, and spaces beside Latin', () => {
    expect(lint('## 追“新”\u3000从要素驱动到创新驱动\n\n发展\n转型 and 中 English 文\n\n用 `code` 写')).toEqual([]);
  });
});

describe('ellipsis', () => {
  it('replaces typed ellipses in Chinese text with ……', () => {
    const text = '等等...好的。。。还有…以及⋯⋯结束……';
    expect(lint(text)).toEqual(['1:3 ellipsis', '1:8 ellipsis', '1:13 ellipsis', '1:16 ellipsis']);
    expect(fix(text)).toBe('等等……好的……还有……以及……结束……');
  });

  it('keeps English ellipses', () => {
    expect(lint('Wait... and then…')).toEqual([]);
  });
});

describe('dash', () => {
  it('replaces typed dashes in Chinese text with ——', () => {
    const text = '命题—转型--发展－－好――了——完';
    expect(lint(text)).toEqual(['1:3 dash', '1:6 dash', '1:10 dash', '1:13 dash']);
    expect(fix(text)).toBe('命题——转型——发展——好——了——完');
  });

  it('keeps ranges, hyphens, minus signs and option names', () => {
    expect(lint('1990-2000年，2025—2026年，杭州-上海，使用--fix参数，well-known, A—B, -5℃')).toEqual([]);
  });
});

describe('fixes', () => {
  it('repairs what one fix brings to light, and counts every edit', () => {
    expect(fixSource('发展? 案例')).toEqual({text: '发展？案例', fixed: 2});
  });

  it('replaces an escaped mark together with its backslash', () => {
    expect(fix('他说\\"你好\\"。')).toBe('他说“你好”。');
  });
});

describe('checkManuscript', () => {
  const BOOK = 'title: 测试之书\n';

  it('reports each problem on its file with its position and rule, and the manuscript’s own errors', async () => {
    const root = await writeManuscript({'book.yaml': 'titel: 测试\n', 'cases/01.md': '---\ntitle: 案例\n---\n\n正文,好\n'});
    const {files, fixed} = await checkManuscript(root, {fix: false});
    const messages = files.flatMap((file) => file.messages.map((message) => `${path.basename(file.path)}:${message.line}:${message.column} ${message.fatal ? 'error' : 'warning'} ${message.ruleId}`));
    expect(messages).toContain('book.yaml:1:1 error unknown-key');
    expect(messages).toContain('01.md:5:3 error half-width-punctuation');
    expect(fixed).toBe(0);
  });

  it('fixes in place, keeping CRLF line endings, the byte-order mark and the file’s permissions, by renaming a new file over it', async () => {
    const source = '\uFEFF---\r\ntitle: 探路,临平\r\n---\r\n\r\n正文,好 .\r\n第二行"引号"。\r\n\r\n```\r\n代码,不改\r\n```\r\n\r\n“未闭合\r\n';
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01.md': source});
    const file = path.join(root, 'cases/01.md');
    await chmod(file, 0o640);
    const before = await stat(file);

    const {files, fixed} = await checkManuscript(root, {fix: true});
    const after = await stat(file);
    const text = await readFile(file, 'utf8');
    expect(text).toBe('\uFEFF---\r\ntitle: 探路，临平\r\n---\r\n\r\n正文，好。\r\n第二行“引号”。\r\n\r\n```\r\n代码,不改\r\n```\r\n\r\n“未闭合\r\n');
    expect(fixed).toBe(6);
    // What remains is reported, at its place in the fixed file.
    const remaining = files.flatMap((each) => each.messages.map((message) => `${message.line}:${message.column} ${message.ruleId}`));
    expect(remaining).toEqual(['12:1 unbalanced-mark']);
    // Atomic: a new file took the old one's place (new inode), nothing was left behind.
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
    expect(await readdir(path.dirname(file))).toEqual(['01.md']);
  });

  it('leaves a file without problems untouched', async () => {
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01.md': '---\ntitle: 案例\n---\n\n正文，好。\n'});
    const file = path.join(root, 'cases/01.md');
    const before = await stat(file);
    const {files, fixed} = await checkManuscript(root, {fix: true});
    expect(fixed).toBe(0);
    expect(files.flatMap((each) => each.messages)).toEqual([]);
    expect((await stat(file)).ino).toBe(before.ino);
  });

  it('keeps corner brackets in a Traditional Chinese book', async () => {
    const root = await writeManuscript({'book.yaml': `${BOOK}lang: zh-TW\n`, 'cases/01.md': '---\ntitle: 案例\n---\n\n「引號」\n'});
    const {files} = await checkManuscript(root, {fix: false});
    expect(files.flatMap((file) => file.messages)).toEqual([]);
  });
});
