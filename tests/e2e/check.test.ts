// `npm run check` through the command line: the real manuscript is clean, and a raw newspaper text
// full of half-width punctuation is reported, then repaired by --fix without losing a character.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {cli, PROJECT, writeManuscript} from '../helpers.js';

// A newspaper page's text as extracted, from the shared folder beside the repository.
const SEED = path.resolve(PROJECT, '../shared/seeds/000_c9936aa6404d405f.txt');
const FIXABLE_RULES = ['half-width-punctuation', 'straight-quote', 'quote-style', 'space-between-han', 'ellipsis', 'dash'];

const errorLines = (stderr: string, rule?: string) =>
  stderr.split('\n').filter((line) => /:\d+:\d+: error: /.test(line) && (!rule || line.endsWith(`[${rule}]`)));
const hanCount = (text: string) => text.match(/\p{Script=Han}/gu)?.length ?? 0;

describe('npm run check', () => {
  it('finds nothing wrong in the real manuscript', async () => {
    const result = await cli(['check', '--manuscript', path.join(PROJECT, 'manuscript')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('reports the half-width punctuation of a raw text, fixes it, and loses nothing', async () => {
    const seed = await readFile(SEED, 'utf8');
    const root = await writeManuscript({'book.yaml': 'title: 种子\n', 'cases/01-seed.md': `---\ntitle: 种子\n---\n\n${seed}`});
    const file = path.join(root, 'cases/01-seed.md');
    const before = await readFile(file, 'utf8');

    const check = await cli(['check', '--manuscript', root]);
    expect(check.stderr).not.toMatch(/internal error/);
    expect(check.code).toBe(1);
    // The text has 161 half-width , . ; : ? ! ( ): all but the 5 decimal points (6.4%, 73.8%, 156.57,
    // 92.13%, 30.93) are Chinese punctuation.
    expect(errorLines(check.stderr, 'half-width-punctuation')).toHaveLength(156);
    expect(check.stderr).toMatch(new RegExp(`^${path.relative(PROJECT, root)}/cases/01-seed\\.md:9:10: error: half-width comma “,” in Chinese text: use “，” \\[half-width-punctuation\\]$`, 'm'));

    const fix = await cli(['check', '--manuscript', root, '--fix']);
    expect(fix.stderr).not.toMatch(/internal error/);
    expect(fix.stdout).toMatch(/^Fixed \d+ problems\.$/m);
    expect(fix.code).toBe(0);

    const again = await cli(['check', '--manuscript', root]);
    for (const rule of FIXABLE_RULES) expect(errorLines(again.stderr, rule)).toEqual([]);
    expect(again.code).toBe(0);

    const after = await readFile(file, 'utf8');
    for (const kept of ['6.4%', '73.8%', '156.57亿元', 'HGT51F', 'iMedImage', '---\ntitle: 种子\n---\n']) expect(after).toContain(kept);
    expect(hanCount(after)).toBe(hanCount(before));
    expect(after).not.toMatch(/\p{Script=Han}[,;:?!()]|[,;:?!()]\p{Script=Han}/u);
  });

  it('exits 2 on wrong usage', async () => {
    expect((await cli(['check', '--fixx'])).code).toBe(2);
    expect((await cli(['check', '--manuscript', path.join(PROJECT, 'no-such-folder')])).code).toBe(2);
  });
});
