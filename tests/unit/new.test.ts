// `npm run new`: the next number, a frontmatter the build accepts, book.yaml's list appended to with its
// comments kept, and nothing overwritten.
import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {readManuscript} from '../../src/1-manuscript/index.js';
import {renderChapters} from '../../src/2-markdown/index.js';
import {appendToCases, createCase, NewCaseError, nextNumber} from '../../src/new-case.js';
import {cli, PROJECT, writeManuscript} from '../helpers.js';

const CASE = (title: string) => `---\ntitle: ${title}\n---\n\n正文。\n`;

describe('numbering', () => {
  it('takes the number after the highest prefix, as wide as it', () => {
    expect(nextNumber(['01-linping.md', '02-xihu.md'])).toBe('03');
    expect(nextNumber(['02-xihu.md', '01-linping.md', 'notes.txt'])).toBe('03');
    expect(nextNumber(['009-a.md'])).toBe('010');
    expect(nextNumber(['1-a.md', '3-b.md'])).toBe('4');
    expect(nextNumber(['99-a.md'])).toBe('100');
    expect(nextNumber([])).toBe('01');
    expect(nextNumber(['.05-draft.md.swp', 'readme.md'])).toBe('01');
  });

  it('counts files listed in book.yaml that do not exist yet', async () => {
    const root = await writeManuscript({
      'book.yaml': 'title: 测试之书\ncases:\n  - cases/01-a.md\n  - cases/04-planned.md\n',
      'cases/01-a.md': CASE('甲'),
    });
    const created = await createCase({manuscriptDir: root, title: '新案例'});
    expect(created.entry).toBe('cases/05-case.md');
  });
});

describe('the new case file', () => {
  it('is written after the last case and passes the build’s validation', async () => {
    const book = 'title: 测试之书 # a comment\n';
    const root = await writeManuscript({'book.yaml': book, 'cases/01-a.md': CASE('甲'), 'cases/02-b.md': CASE('乙')});
    const created = await createCase({manuscriptDir: root, title: '  “数字”赋能：西湖区的新路径  '});
    expect(created).toEqual({file: path.join(root, 'cases/03-case.md'), entry: 'cases/03-case.md', listed: false});
    const text = await readFile(created.file, 'utf8');
    expect(text).toMatch(/^---\ntitle: “数字”赋能：西湖区的新路径\n/);
    expect(text).toContain(':query[正文待写]');
    // book.yaml does not list the cases: it is left alone, the folder order takes the new file last.
    expect(await readFile(path.join(root, 'book.yaml'), 'utf8')).toBe(book);

    const {manuscript, files} = await readManuscript(root);
    expect(files.flatMap((file) => file.messages.filter((message) => message.fatal).map(String))).toEqual([]);
    expect(manuscript!.chapters.map((chapter) => chapter.meta.title)).toEqual(['甲', '乙', '“数字”赋能：西湖区的新路径']);
    // The Markdown stage reports the placeholder as an open query (a warning), nothing else.
    await renderChapters(manuscript!);
    const messages = files.flatMap((file) => file.messages);
    expect(messages.filter((message) => message.fatal)).toEqual([]);
    expect(messages.map((message) => message.ruleId)).toEqual(['editorial-query']);
  });

  it('quotes a title YAML would misread', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 测试之书\n'});
    const title = '- [草稿] #1: 标题';
    const created = await createCase({manuscriptDir: root, title, slug: 'draft'});
    expect(created.entry).toBe('cases/01-draft.md');
    const {manuscript, files} = await readManuscript(root);
    expect(files.flatMap((file) => file.messages.filter((message) => message.fatal).map(String))).toEqual([]);
    expect(manuscript!.chapters[0]!.meta.title).toBe(title);
  });

  it('refuses an empty title, a title of several lines and a slug that is not ASCII', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 测试之书\n', 'cases/01-a.md': CASE('甲')});
    await expect(createCase({manuscriptDir: root, title: '   '})).rejects.toThrow(NewCaseError);
    await expect(createCase({manuscriptDir: root, title: '第一行\n第二行'})).rejects.toThrow(/one line/);
    await expect(createCase({manuscriptDir: root, title: '标题', slug: '西湖'})).rejects.toThrow(/ASCII/);
    expect(await readdir(path.join(root, 'cases'))).toEqual(['01-a.md']);
  });

  it('never overwrites an existing file', async () => {
    const book = 'title: 测试之书\ncases:\n  - cases/01-case.md\n';
    const root = await writeManuscript({'book.yaml': book, 'cases/01-case.md': CASE('甲')});
    await expect(createCase({manuscriptDir: root, title: '乙', number: 1})).rejects.toThrow(/01-case\.md already exists/);
    expect(await readFile(path.join(root, 'cases/01-case.md'), 'utf8')).toBe(CASE('甲'));
    expect(await readFile(path.join(root, 'book.yaml'), 'utf8')).toBe(book);
  });
});

describe('book.yaml listing the cases', () => {
  it('gets the new file appended to the list, every other byte kept', async () => {
    const book = [
      '# 杭州路径 — book settings.',
      'title: 杭州路径   # aligned comment',
      'cip: |',
      '  图书在版编目（CIP）数据',
      '  杭州路径. —— 杭州：某出版社，2025.10',
      'front:',
      '- front/01-intro.md',
      'cases:',
      '  # in the order of the survey',
      '  - cases/02-b.md  # moved up',
      '  - "cases/01-a.md"',
      '',
      '# publisher and ISBN follow',
      '',
    ].join('\n');
    const root = await writeManuscript({'book.yaml': book, 'front/01-intro.md': CASE('序'), 'cases/01-a.md': CASE('甲'), 'cases/02-b.md': CASE('乙')});
    const created = await createCase({manuscriptDir: root, title: '丙'});
    expect(created.listed).toBe(true);
    expect(await readFile(path.join(root, 'book.yaml'), 'utf8')).toBe(book.replace('  - "cases/01-a.md"\n', '  - "cases/01-a.md"\n  - cases/03-case.md\n'));
    const {manuscript, files} = await readManuscript(root);
    expect(files.flatMap((file) => file.messages.map(String))).toEqual([]);
    expect(manuscript!.chapters.map((chapter) => chapter.meta.title)).toEqual(['序', '乙', '甲', '丙']);
  });

  it('appends to flow lists, lists at the end of the file and CRLF files', () => {
    expect(appendToCases('title: 书\ncases: [cases/01-a.md]  # flow\n', 'cases/02-case.md')).toBe('title: 书\ncases: [cases/01-a.md, cases/02-case.md]  # flow\n');
    expect(appendToCases('title: 书\ncases: []\n', 'cases/01-case.md')).toBe('title: 书\ncases: [cases/01-case.md]\n');
    expect(appendToCases('title: 书\ncases:\n- cases/01-a.md', 'cases/02-case.md')).toBe('title: 书\ncases:\n- cases/01-a.md\n- cases/02-case.md\n');
    expect(appendToCases('title: 书\r\ncases:\r\n  - cases/01-a.md\r\nlang: zh-CN\r\n', 'cases/02-case.md'))
      .toBe('title: 书\r\ncases:\r\n  - cases/01-a.md\r\n  - cases/02-case.md\r\nlang: zh-CN\r\n');
  });

  it('is left alone, and no file written, when it is not valid YAML', async () => {
    const book = 'title: 测试之书\ncases: [cases/01-a.md\n';
    const root = await writeManuscript({'book.yaml': book, 'cases/01-a.md': CASE('甲')});
    await expect(createCase({manuscriptDir: root, title: '乙'})).rejects.toThrow(/book\.yaml is not valid YAML/);
    expect(await readdir(path.join(root, 'cases'))).toEqual(['01-a.md']);
    expect(await readFile(path.join(root, 'book.yaml'), 'utf8')).toBe(book);
  });
});

describe('npm run new', () => {
  it('prints the path of the new file', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 测试之书\ncases:\n  - cases/009-a.md\n', 'cases/009-a.md': CASE('甲')});
    const result = await cli(['new', '新的案例', '--slug', 'Xihu', '--manuscript', root]);
    expect(result).toMatchObject({code: 0, stdout: `${path.relative(PROJECT, path.join(root, 'cases/010-xihu.md'))}\n`});
    expect(await readFile(path.join(root, 'book.yaml'), 'utf8')).toBe('title: 测试之书\ncases:\n  - cases/009-a.md\n  - cases/010-xihu.md\n');
  });

  it('exits 1 on an empty title and 2 without one', async () => {
    const root = await writeManuscript({'book.yaml': 'title: 测试之书\n'});
    const empty = await cli(['new', ' ', '--manuscript', root]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^error: the title is empty/);
    const missing = await cli(['new', '--manuscript', root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage:');
    expect(await readdir(root)).toEqual(['book.yaml']);
  });
});
