// Stage 1: book.yaml and chapter frontmatter read with positions, whatever the editor's file looks like.
import {describe, expect, it} from 'vitest';
import {readManuscript} from '../../src/1-manuscript/index.js';
import {writeManuscript} from '../helpers.js';

async function read(files: Record<string, string | Uint8Array>) {
  const result = await readManuscript(await writeManuscript(files));
  const messages = result.files.flatMap((file) =>
    file.messages.map((message) => `${file.basename}:${message.line}:${message.column} ${message.fatal ? 'error' : 'warning'} ${message.ruleId}`),
  );
  return {...result, messages};
}

const CASE = '---\ntitle: 案例\n---\n\n正文。\n';
const titled = (title: string) => CASE.replace('案例', title);

describe('readManuscript', () => {
  it('reads book.yaml with defaults and the cases in file-name order', async () => {
    const {manuscript, messages} = await read({'book.yaml': 'title: 书\n', 'cases/10-b.md': titled('乙'), 'cases/2-a.md': titled('甲'), 'front/intro.md': titled('序')});
    expect(messages).toEqual([]);
    expect(manuscript!.book).toMatchObject({title: '书', lang: 'zh-CN', trim: {width: 170, height: 240}, bleed: 3});
    expect(manuscript!.chapters.map((chapter) => chapter.id)).toEqual(['front-intro', 'case-2-a', 'case-10-b']);
  });

  it('reads CRLF files with a byte-order mark', async () => {
    const {manuscript, messages} = await read({
      'book.yaml': '\uFEFFtitle: 书\r\ntrim: 148mm×210mm\r\n',
      'cases/01.md': '\uFEFF---\r\ntitle: 案例\r\nauthors:\r\n  - 甲\r\n---\r\n\r\n正文。\r\n',
    });
    expect(messages).toEqual([]);
    expect(manuscript!.book.trim).toEqual({width: 148, height: 210});
    expect(manuscript!.chapters[0]!.meta).toEqual({title: '案例', authors: ['甲']});
  });

  it('takes control characters out of book.yaml and frontmatter values, each reported where it was', async () => {
    const {manuscript, messages} = await read({
      'book.yaml': 'title: "𡒄书\u0007名"\nauthors: [甲\uFEFF乙]\n',
      'cases/01.md': '---\ntitle: 案\u001b例\n---\n\n正文。\n',
    });
    expect(messages).toEqual(['book.yaml:1:11 warning stray-character', 'book.yaml:2:12 warning stray-character', '01.md:2:9 warning stray-character']);
    expect(manuscript!.book.title).toBe('𡒄书名');
    expect(manuscript!.book.authors).toEqual(['甲乙']);
    expect(manuscript!.chapters[0]!.meta.title).toBe('案例');
  });

  it('refuses files that are not UTF-8, naming the line', async () => {
    const gbk = Buffer.concat([Buffer.from('---\ntitle: 案例\n---\n\n'), Buffer.from([0xd5, 0xfd, 0xce, 0xc4, 0x0a])]);
    const {messages} = await read({'book.yaml': 'title: 书\n', 'cases/01.md': gbk});
    expect(messages).toEqual(['01.md:5:1 error invalid-utf8']);
  });

  it('stops YAML alias bombs with a message', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghij'.split('').map((name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghij'[index]}`).join(',')}]`)].join('\n');
    const {messages} = await read({'book.yaml': `title: 书\n${bomb}\n`});
    expect(messages).toEqual(['book.yaml:1:1 error yaml-syntax']);
  });

  it('reports chapters without frontmatter or with wrong values', async () => {
    const {messages} = await read({
      'book.yaml': 'title: 书\nidentifier: 978-7-111-11111-1\n',
      'cases/01.md': '正文。\n',
      'cases/02.md': '---\ntitle: 案例\nauthors: 胡金\ndate: 昨天\n---\n',
    });
    expect(messages).toEqual([
      'book.yaml:2:13 error invalid-field',
      '01.md:1:1 error missing-frontmatter',
      '02.md:3:10 error invalid-field',
      '02.md:4:7 error invalid-field',
    ]);
  });

  it('refuses two chapters with one title, at the second title', async () => {
    const {messages} = await read({'book.yaml': 'title: 书\n', 'cases/01.md': CASE, 'cases/02.md': '---\nsubtitle: 副\ntitle: 案例\n---\n'});
    expect(messages).toEqual(['02.md:3:8 error duplicate-title']);
  });

  it('refuses files too large to be a chapter before reading them', async () => {
    const {messages} = await read({'book.yaml': 'title: 书\n', 'cases/01.md': `${CASE}${'字'.repeat(2_000_000)}\n`});
    expect(messages).toEqual(['01.md:1:1 error file-size']);
  });

  it('warns about case files left out of the cases list', async () => {
    const {manuscript, messages} = await read({'book.yaml': 'title: 书\ncases:\n  - cases/b.md\n', 'cases/a.md': titled('甲'), 'cases/b.md': titled('乙')});
    expect(manuscript!.chapters.map((chapter) => chapter.id)).toEqual(['case-b']);
    expect(messages).toEqual(['book.yaml:3:3 warning unlisted-chapter']);
  });
});
