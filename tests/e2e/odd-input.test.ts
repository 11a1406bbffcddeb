// Unusual input never ends a build with an internal error, a stack trace or a hang: each is an error
// (exit 1) at the file and position of the problem. And unusual but valid input builds: the smallest page a book may have,
// `]]>` in every kind of text, accents typed as separate marks, a title too long for a file name.
import {execFile} from 'node:child_process';
import {chmod, mkdir, readdir, readFile, stat, symlink, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import sharp from 'sharp';
import {describe, expect, it} from 'vitest';
import {cli, epubcheck, epubText, findOutput, manuscriptTexts, missingInOrder, pdfPages, PROJECT, temporaryDirectory, writeManuscript, type CliResult} from '../helpers.js';
import {cutShortPng, declaredPng, gradientPng} from '../fixtures/png.js';

const run = promisify(execFile);
const BOOK = 'title: 测试之书\n';
const CASE = (body: string) => `---\ntitle: 案例\n---\n\n${body}\n`;
const POINTS_PER_MM = 72 / 25.4;

/** The run failed as a manuscript problem should: exit 1, positioned messages, nothing internal. */
function failedCleanly(result: CliResult) {
  expect(result.stderr).not.toMatch(/internal error|\n\s+at |Error:/);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^\S.*:\d+:\d+: error: /m);
}

async function build(root: string, out?: string, ...options: string[]): Promise<CliResult> {
  return cli(['build', '--manuscript', root, '--out', out ?? (await temporaryDirectory('out')), ...options]);
}

describe('odd input is a positioned error', () => {
  it('in links, images and the Markdown: escapes, decoded names, columns in characters, every image defect, markup limits', async () => {
    const jpeg = await sharp(gradientPng(400, 300)).jpeg().toBuffer();
    const gif = await sharp(gradientPng(120, 80)).gif().toBuffer();
    const root = await writeManuscript({
      'book.yaml': BOOK,
      'cases/01.md': CASE([
        '## 概述', // 5
        '',
        '见[概述](#概述)和[坏链接](%E4.md)。', // 7
        '',
        '![坏路径](../images/%E4.png)', // 9
        '',
        `${'𡒄'.repeat(16)}[x](javascript:alert(1))`, // 11
        '',
        '![截断的 JPEG](../images/cut.jpg)', // 13
        '',
        '![截断的 PNG](../images/cut.png)', // 15
        '',
        '![数据不全的 PNG](../images/short.png)', // 17
        '',
        '![截断的 GIF](../images/cut.gif)', // 19
        '',
        '![巨图](../images/huge.png)', // 21
        '',
        '![空文件](../images/empty.jpg)', // 23
        '',
        '![文本](../images/text.png)', // 25
        '',
        '![文件夹](../images/folder.jpg)', // 27
        '',
        '![管道](../images/pipe.png)', // 29
        '',
        '![循环](../images/loop.jpg)', // 31
        '',
        '![照片](../images/照片.jpg)', // 33: a good one, with a Chinese name
      ].join('\n')),
      'cases/02.md': CASE(`引言。\n\n${'a**b'.repeat(600)}\n`).replace('案例', '另一个案例'),
      'images/cut.jpg': jpeg.subarray(0, jpeg.length >> 1),
      'images/cut.png': gradientPng(300, 200).subarray(0, 2000),
      'images/short.png': cutShortPng(200, 200),
      'images/cut.gif': gif.subarray(0, gif.length - 40),
      'images/huge.png': declaredPng(20_000, 20_000),
      'images/empty.jpg': new Uint8Array(),
      'images/text.png': '这不是图片',
      'images/照片.jpg': jpeg,
    });
    await mkdir(path.join(root, 'images/folder.jpg'));
    await run('mkfifo', [path.join(root, 'images/pipe.png')]);
    await symlink('loop.jpg', path.join(root, 'images/loop.jpg'));
    const started = performance.now();
    const result = await build(root);
    expect(performance.now() - started).toBeLessThan(90_000);
    failedCleanly(result);
    const at = (file: string, line: number, column: number, message: string) => expect(result.stderr).toContain(`${path.relative(PROJECT, root)}/cases/${file}:${line}:${column}: error: ${message}`);
    at('01.md', 7, 2, 'a link to “#概述”, which is nowhere in this chapter');
    at('01.md', 7, 12, 'a link to “%E4.md” has a malformed %-escape');
    at('01.md', 9, 1, 'image “../images/%E4.png” has a malformed %-escape in its path');
    // 𡒄 is one character and two UTF-16 units: the link is the 17th character.
    at('01.md', 11, 17, 'a link to “javascript:alert(1)”');
    at('01.md', 13, 1, 'image “../images/cut.jpg” is damaged: premature end of JPEG image');
    at('01.md', 15, 1, 'image “../images/cut.png” is damaged');
    at('01.md', 17, 1, 'image “../images/short.png” is damaged');
    at('01.md', 19, 1, 'image “../images/cut.gif” is damaged');
    at('01.md', 21, 1, 'image “../images/huge.png” is 20000×20000 pixels (400 megapixels); an image may have at most 100 megapixels');
    at('01.md', 23, 1, '“../images/empty.jpg” is not a JPEG, PNG or GIF image');
    at('01.md', 25, 1, '“../images/text.png” is not a JPEG, PNG or GIF image');
    at('01.md', 27, 1, 'image “../images/folder.jpg” is a folder, not a file');
    at('01.md', 29, 1, 'image “../images/pipe.png” is a named pipe (FIFO), not a file');
    at('01.md', 31, 1, 'image “../images/loop.jpg” is a loop of symbolic links');
    expect(result.stderr).not.toContain('照片');
    at('02.md', 7, 1, 'a paragraph with more than 500 emphasis or code marks');
  });

  it('in the manuscript’s files: a named pipe, a folder and a loop of links named as chapters', async () => {
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01.md': CASE('正文。')});
    await run('mkfifo', [path.join(root, 'cases/02-pipe.md')]);
    await mkdir(path.join(root, 'cases/03-folder.md'));
    await symlink('04-loop.md', path.join(root, 'cases/04-loop.md'));
    const started = performance.now();
    const result = await build(root);
    // Never waits for a writer at the other end of the pipe.
    expect(performance.now() - started).toBeLessThan(60_000);
    failedCleanly(result);
    const prefix = path.relative(PROJECT, root);
    expect(result.stderr).toContain(`${prefix}/cases/02-pipe.md:1:1: error: the file is a named pipe (FIFO), not a file`);
    expect(result.stderr).toContain(`${prefix}/cases/03-folder.md:1:1: error: the file is a folder, not a file`);
    expect(result.stderr).toContain(`${prefix}/cases/04-loop.md:1:1: error: the file is a loop of symbolic links`);
  });

  it('in the out folder: a file, a path through a file, a folder that cannot be written', async () => {
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01.md': CASE('正文。')});
    const parent = await temporaryDirectory('out');
    const file = path.join(parent, 'a-file');
    await writeFile(file, 'x');
    const locked = path.join(parent, 'locked');
    await mkdir(locked);
    // Root may write anywhere, but not into an immutable folder; others are stopped by its mode.
    const immutable = await run('chattr', ['+i', locked]).then(() => true, () => false);
    if (!immutable) await chmod(locked, 0o555);
    try {
      const results = await Promise.all([build(root, file), build(root, path.join(file, 'out')), build(root, locked)]);
      for (const result of results) failedCleanly(result);
      expect(results[0]!.stderr).toMatch(/a-file:1:1: error: --out names a file, not a folder \[out-folder\]/);
      expect(results[1]!.stderr).toMatch(/a-file\/out:1:1: error: a part of the out folder’s path is a file, not a folder/);
      expect(results[2]!.stderr).toMatch(/locked:1:1: error: the out folder cannot be written \((operation not permitted|permission denied)\)/);
      expect(await readdir(locked)).toEqual([]);
    } finally {
      if (immutable) await run('chattr', ['-i', locked]);
    }
  });
});

describe('odd but valid input builds', () => {
  it('a 90 × 120 mm page (the smallest accepted) with `]]>` in code, text and book.yaml, and accents typed as separate marks: nothing lost, EPUBCheck clean, text composed', async () => {
    const decomposed = 'Re\u0301sume\u0301 cafe\u0301';
    const chapter = CASE([
      `一段正文]]>在这里。${decomposed}。`,
      '',
      '```',
      'if (a[b[0]]>1) return;',
      '```',
      '',
      '行内代码 `x]]>y` 也在。',
      '',
      '城市发展的动力来自哪里？创新是第一动力，人才是第一资源，开放是必由之路。'.repeat(3),
    ].join('\n'));
    const root = await writeManuscript({
      'book.yaml': 'title: 小书]]>\nsubtitle: 副题]]>\npublisher: 出版社]]>\nauthors:\n  - 作者]]>\ntrim: 90mm×120mm\n',
      'cases/01.md': chapter,
    });
    const out = await temporaryDirectory('out');
    const result = await build(root, out);
    expect(result.stderr).not.toMatch(/internal error|error:/);
    expect(result.code).toBe(0);
    // The manuscript file is left as it was.
    expect(await readFile(path.join(root, 'cases/01.md'), 'utf8')).toBe(chapter);

    const blocks = (await manuscriptTexts(root)).map((block) => block.map((run) => run.normalize('NFC')));
    const epub = await findOutput(out, '.epub');
    for (const file of [await findOutput(out, '.pdf', '-print.pdf'), await findOutput(out, '-print.pdf')]) {
      const pages = await pdfPages(file);
      expect(missingInOrder(blocks, pages.map((page) => page.text).join('')), file).toEqual([]);
      // Composed: one glyph for é (poppler gives the text as the PDF maps it, unnormalised).
      const {stdout} = await run('pdftotext', [file, '-']);
      expect(stdout).toContain('Résumé café');
      expect(stdout).not.toContain('\u0301');
      // Every line within the 90 mm page, the smallest a book may be (the print PDF's crop box takes in its
      // bleed and marks, 10 mm).
      const inset = file.endsWith('-print.pdf') ? (3 + 5 + 2) * POINTS_PER_MM : 0;
      for (const page of pages.filter((candidate) => candidate.textSpan)) {
        expect(page.textSpan!.left - inset).toBeGreaterThanOrEqual(0);
        expect(page.textSpan!.right - inset).toBeLessThanOrEqual(90 * POINTS_PER_MM + 0.5);
      }
    }
    const text = await epubText(epub);
    expect(text).toContain('Résumé café');
    expect(text).not.toContain('\u0301');
    expect(text).toContain('if (a[b[0]]>1) return;');
    const check = await epubcheck(epub);
    expect(check.messages).toEqual([]);
    expect(check.fatals + check.errors).toBe(0);
  });

  it('a title too long for a file name: the names are shortened, with a warning at the title', async () => {
    const title = '内涵式发展看杭州的长书名'.repeat(25);
    const root = await writeManuscript({'book.yaml': `# 书名\ntitle: ${title}\n`, 'cases/01.md': CASE('正文。')});
    const out = await temporaryDirectory('out');
    const result = await build(root, out);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${path.relative(PROJECT, root)}/book.yaml:2:1: warning: the title is too long for a file name`);
    const names = (await readdir(out)).filter((name) => !name.startsWith('.'));
    expect(names).toHaveLength(4);
    for (const name of names) {
      expect(Buffer.byteLength(name)).toBeLessThan(200);
      expect(title.startsWith(name.replace(/(-print)?\.(pdf|epub)$/, '')) || name === 'html').toBe(true);
      expect((await stat(path.join(out, name))).size).toBeGreaterThan(0);
    }
  });
});
