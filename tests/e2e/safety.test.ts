// Safe with any input: hostile or broken manuscripts end quickly with a positioned message, nothing
// is fetched from the network, a failed build leaves the previous book as it was, and Chromium never
// outlives the build.
import {spawn} from 'node:child_process';
import {readdir, readFile, writeFile} from 'node:fs/promises';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {syntheticCasebook} from '../../scripts/casebook.js';
import {launchBrowser, openConfinedPage} from '../../src/4-pdf/browser.js';
import {alive, chromiumProcesses, cli, processTree, PROJECT, snapshot, temporaryDirectory, writeManuscript} from '../helpers.js';

const BOOK = 'title: 测试之书\n';
const CASE = (body: string) => `---\ntitle: 案例\n---\n\n${body}\n`;

async function failsWith(files: Record<string, string | Uint8Array>, pattern: RegExp) {
  const root = await writeManuscript(files);
  const started = performance.now();
  const result = await cli(['build', '--manuscript', root, '--out', await temporaryDirectory('out')]);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(result.stderr).toMatch(pattern);
  expect(result.code).toBe(1);
  return performance.now() - started;
}

describe('hostile and broken manuscripts end quickly, with the place of the problem', () => {
  it('10,000 nested block quotes', async () => {
    const elapsed = await failsWith({'book.yaml': BOOK, 'cases/01.md': CASE(`${'> '.repeat(10_000)}深`)}, /cases\/01\.md:5:1: error: 10000 quotes or lists inside one another/);
    expect(elapsed).toBeLessThan(60_000);
  });

  it('a paragraph of a million characters', async () => {
    await failsWith({'book.yaml': BOOK, 'cases/01.md': CASE('城市发展，'.repeat(200_000))}, /cases\/01\.md:5:1: error: a paragraph of 1,000,000 characters/);
  });

  it('a YAML alias bomb', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghij'.split('').map((name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghij'[index]}`).join(',')}]`)].join('\n');
    await failsWith({'book.yaml': `${BOOK}${bomb}\n`, 'cases/01.md': CASE('正文。')}, /book\.yaml:1:1: error: YAML could not be read/);
  });

  it('a file that is not UTF-8', async () => {
    const gbk = Buffer.concat([Buffer.from(CASE('')), Buffer.from([0xd5, 0xfd, 0xce, 0xc4, 0x0a])]);
    await failsWith({'book.yaml': BOOK, 'cases/01.md': gbk}, /cases\/01\.md:6:1: error: the file is not valid UTF-8 text/);
  });

  it('script and data links, raw HTML', async () => {
    await failsWith({'book.yaml': BOOK, 'cases/01.md': CASE('[点此](javascript:alert(1))\n\n<img src=x onerror=alert(1)>')}, /cases\/01\.md:5:1: error: a link to “javascript:alert\(1\)”[\s\S]*cases\/01\.md:7:1: error: raw HTML is not allowed/);
  });
});

describe('CRLF files with a byte-order mark', () => {
  it('simply work', async () => {
    const root = await writeManuscript({
      'book.yaml': `\uFEFF${BOOK.replace(/\n/g, '\r\n')}`,
      'cases/01.md': `\uFEFF---\r\ntitle: 案例\r\n---\r\n\r\n城市发展\r\n动力。\r\n`,
    });
    const out = await temporaryDirectory('out');
    const result = await cli(['build', '--manuscript', root, '--out', out]);
    expect(result.code).toBe(0);
    expect(await readFile(path.join(out, 'html/index.html'), 'utf8')).toMatch(/<p[^>]*>城市发展动力。<\/p>/);
  });
});

/** A local web server that counts the requests it gets. */
async function countingServer() {
  const counted = {requests: 0, port: 0, close: () => {}};
  const server = createServer((_, response) => {
    counted.requests++;
    response.end('x');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counted.port = (server.address() as AddressInfo).port;
  counted.close = () => server.close();
  return counted;
}

describe('no network, ever', () => {
  it('refuses an image on a web server without asking the server', async () => {
    const server = await countingServer();
    try {
      await failsWith({'book.yaml': BOOK, 'cases/01.md': CASE(`![照片](http://127.0.0.1:${server.port}/photo.jpg)`)}, /cases\/01\.md:5:1: error: image “http:\/\/127\.0\.0\.1:\d+\/photo\.jpg” is a URL/);
      expect(server.requests).toBe(0);
    } finally {
      server.close();
    }
  });

  it('lets the printing page load nothing but the build’s own files, and run no script', async () => {
    const server = await countingServer();
    const port = server.port;
    const folder = await temporaryDirectory('html');
    await writeFile(path.join(folder, 'index.html'), `<!DOCTYPE html><img src="http://127.0.0.1:${port}/a.png"><link rel="stylesheet" href="file:///etc/hostname"><p id="x">quiet</p><script>document.getElementById('x').textContent = 'script ran'</script>`);
    const browser = await launchBrowser();
    try {
      const {page, refused} = await openConfinedPage(browser, folder);
      await page.goto(`file://${folder}/index.html`, {waitUntil: 'load'});
      expect(refused.sort()).toEqual([`file:///etc/hostname`, `http://127.0.0.1:${port}/a.png`]);
      expect(server.requests).toBe(0);
      expect(await page.evaluate(() => document.getElementById('x')!.textContent)).toBe('quiet');
    } finally {
      await browser.close();
      server.close();
    }
  });
});

describe('a failed build', () => {
  it('leaves the previous outputs byte for byte as they were', async () => {
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01.md': CASE('正文。')});
    const out = await temporaryDirectory('out');
    expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
    const before = await snapshot(out);
    expect(Object.keys(before).length).toBeGreaterThan(5);
    await writeFile(path.join(root, 'cases/01.md'), '---\ntitle: [坏\n---\n\n正文。\n');
    expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(1);
    expect(await snapshot(out)).toEqual(before);
  });

  it('when Chromium is killed mid-build, ends with a clear message, the previous outputs intact and no Chromium left', async () => {
    // A book long enough that Chromium is still printing when it is killed.
    const files = await syntheticCasebook({cases: 20});
    const root = await writeManuscript(files);
    const out = await temporaryDirectory('out');
    expect((await cli(['build', '--manuscript', root, '--out', out])).code).toBe(0);
    const before = await snapshot(out);
    // Every case edited, so that the whole book is printed again (not taken from the cache).
    for (const [name, content] of Object.entries(files)) if (name.startsWith('cases/')) await writeFile(path.join(root, name), `${content}\n又一段。\n`);

    const child = spawn(process.execPath, [path.join(PROJECT, 'scripts/tool.mjs'), 'build', '--manuscript', root, '--out', out], {cwd: PROJECT, env: {...process.env, NO_COLOR: '1'}});
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    // Kill this build's Chromium while it prints: the book is staged (Chromium was launched before
    // that, while the Markdown was read) and a 20-case book takes seconds to print.
    let chromium: number[] = [];
    let stagedAt = 0;
    for (let attempt = 0; attempt < 400 && chromium.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!stagedAt && (await readdir(out)).some((name) => name.startsWith('.staging-'))) stagedAt = performance.now();
      if (!stagedAt || performance.now() - stagedAt < 700) continue;
      for (const pid of await chromiumProcesses('--remote-debugging')) {
        const parent = Number(/^PPid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1]);
        if (parent && (await readFile(`/proc/${parent}/cmdline`, 'utf8').catch(() => '')).includes(out)) {
          chromium = await processTree(pid);
          process.kill(pid, 'SIGKILL');
        }
      }
    }
    expect(chromium.length).toBeGreaterThan(0);
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/Chromium stopped while working on the book/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(await snapshot(out)).toEqual(before);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const left = [];
    for (const pid of chromium) if (await alive(pid)) left.push(pid);
    expect(left).toEqual([]);
  });
});

describe('two builds at once', () => {
  it('into different out folders both succeed', async () => {
    const root = await writeManuscript({'book.yaml': BOOK, 'cases/01.md': CASE('正文。')});
    const [first, second] = await Promise.all([cli(['build', '--manuscript', root, '--out', await temporaryDirectory('out')]), cli(['build', '--manuscript', root, '--out', await temporaryDirectory('out')])]);
    expect([first.code, second.code]).toEqual([0, 0]);
  });
});
