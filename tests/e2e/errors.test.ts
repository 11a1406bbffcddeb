// Bad input ends with exit code 1 and a `path:line:col` message naming the problem, never a stack trace.
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {cli, PROJECT, temporaryDirectory, writeManuscript} from '../helpers.js';

const BOOK = 'title: 测试之书\n';

async function buildFails(files: Record<string, string>) {
  const root = await writeManuscript(files);
  const out = await temporaryDirectory('out');
  const result = await cli(['build', '--manuscript', root, '--out', out]);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(result.code).toBe(1);
  // Paths are printed relative to the working directory, as editors' tools expect.
  return {...result, prefix: path.relative(PROJECT, root)};
}

describe('errors in the manuscript', () => {
  it('reports invalid frontmatter YAML at its line and column', async () => {
    const {stderr, prefix} = await buildFails({
      'book.yaml': BOOK,
      'cases/01-case.md': '---\ntitle: 案例\nauthors: [胡金, 章婕妤\n---\n\n正文。\n',
    });
    expect(stderr).toMatch(new RegExp(`^${prefix}/cases/01-case\\.md:[34]:\\d+: error: invalid YAML`, 'm'));
  });

  it('reports a missing title where the frontmatter is', async () => {
    const {stderr, prefix} = await buildFails({
      'book.yaml': BOOK,
      'cases/01-case.md': '---\nsubtitle: 副题\n---\n\n正文。\n',
    });
    expect(stderr).toContain(`${prefix}/cases/01-case.md:2:1: error: missing required field “title” [missing-field]`);
  });

  it('reports an image that does not exist at the figure', async () => {
    const {stderr, prefix} = await buildFails({
      'book.yaml': BOOK,
      'cases/01-case.md': '---\ntitle: 案例\n---\n\n正文。\n\n::figure[说明]{src="../images/none.jpg" alt="照片"}\n',
    });
    expect(stderr).toMatch(new RegExp(`^${prefix}/cases/01-case\\.md:7:1: error: image “\\.\\./images/none\\.jpg” does not exist`, 'm'));
  });

  it('reports a misspelt key in book.yaml with a suggestion', async () => {
    const {stderr, prefix} = await buildFails({
      'book.yaml': 'titel: 测试之书\nlang: zh-CN\n',
      'cases/01-case.md': '---\ntitle: 案例\n---\n\n正文。\n',
    });
    expect(stderr).toContain(`${prefix}/book.yaml:1:1: error: unknown key “titel” (did you mean “title”?) [unknown-key]`);
    expect(stderr).toContain(`${prefix}/book.yaml:1:1: error: missing required field “title”`);
  });

  it('reports a case file listed in book.yaml that does not exist, at the list item', async () => {
    const {stderr, prefix} = await buildFails({
      'book.yaml': `${BOOK}cases:\n  - cases/01-case.md\n  - cases/02-missing.md\n`,
      'cases/01-case.md': '---\ntitle: 案例\n---\n\n正文。\n',
    });
    expect(stderr).toContain(`${prefix}/book.yaml:4:5: error: “cases/02-missing.md” does not exist`);
  });
});

describe('messages for machines', () => {
  it('--format json gives every problem with its file, position, severity and rule', async () => {
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01-case.md': '---\nsubtitle: 副题\n---\n\n正文:query[待查]。\n'});
    const result = await cli(['build', '--manuscript', root, '--out', await temporaryDirectory('out'), '--format', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {ok: boolean; messages: {file: string; line: number; column: number; severity: string; rule: string; message: string}[]};
    expect(report.ok).toBe(false);
    expect(report.messages).toContainEqual(expect.objectContaining({file: `${path.relative(PROJECT, root)}/cases/01-case.md`, line: 2, column: 1, severity: 'error', rule: 'missing-field'}));
  });
});

describe('usage', () => {
  it('exits 2 on an unknown option', async () => {
    const result = await cli(['build', '--manuscrpt', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage:');
  });

  it('exits 2 when the manuscript folder does not exist', async () => {
    const result = await cli(['build', '--manuscript', path.join(PROJECT, 'no-such-folder')]);
    expect(result.code).toBe(2);
  });
});
