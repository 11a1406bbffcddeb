// `npm run dev`: the preview server started as an editor starts it, its page opened in Chromium; a save
// on disk reloads the page with the new text, a broken file shows its `path:line:col` error, only the
// build's files are served, on 127.0.0.1 only, and Ctrl-C leaves no Chromium behind.
import {spawn, type ChildProcessByStdio} from 'node:child_process';
import {mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type {Readable} from 'node:stream';
import type {Browser, Page} from 'puppeteer-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {launchBrowser} from '../../src/4-pdf/browser.js';
import {BuildScheduler} from '../../src/dev/scheduler.js';
import {isIgnoredFile, watchFolders} from '../../src/dev/watcher.js';
import {PROJECT, temporaryDirectory, writeManuscript} from '../helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the build queue', () => {
  it('runs one build at a time and queues exactly one more for the saves made meanwhile', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const scheduler = new BuildScheduler(async () => {
      runs++;
      running++;
      most = Math.max(most, running);
      await sleep(150);
      running--;
    });
    scheduler.request();
    for (let save = 0; save < 5; save++) {
      await sleep(10);
      scheduler.request();
    }
    await scheduler.idle();
    expect({runs, most}).toEqual({runs: 2, most: 1});
    scheduler.request();
    await scheduler.idle();
    expect(runs).toBe(3);
  });

  it('goes on after a build that throws, and starts nothing once closed', async () => {
    let runs = 0;
    const scheduler = new BuildScheduler(async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });
    scheduler.request();
    await scheduler.idle();
    scheduler.request();
    await scheduler.close();
    scheduler.request();
    await scheduler.idle();
    expect(runs).toBe(2);
  });
});

describe('the watcher', () => {
  it('reports a burst of saves once, ignores editors’ temporary files and sees new folders', async () => {
    const dir = await temporaryDirectory('watch');
    const calls: string[][] = [];
    const watcher = watchFolders([dir], (changed) => calls.push(changed), {debounceMs: 200});
    await watcher.ready;
    try {
      for (let save = 0; save < 5; save++) {
        await writeFile(path.join(dir, 'a.md'), `version ${save}`);
        await sleep(30);
      }
      await waitFor(() => calls.length > 0, 5000, () => 'no change reported');
      await sleep(500);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toContain(path.join(dir, 'a.md'));

      for (const name of ['.a.md.swp', 'a.md~', '4913', '#a.md#', '.#a.md', 'a.md.tmp']) await writeFile(path.join(dir, name), 'x');
      await sleep(700);
      expect(calls).toHaveLength(1);

      // A new folder is reported, then watched: a file saved in it later is reported too.
      await mkdir(path.join(dir, 'images'));
      await waitFor(() => calls.length > 1, 5000, () => 'the new folder was not reported');
      await sleep(500);
      const before = calls.length;
      await writeFile(path.join(dir, 'images', 'new.png'), 'x');
      await waitFor(() => calls.length > before, 5000, () => 'a file in the new folder was not reported');
      expect(calls.at(-1)).toContain(path.join(dir, 'images', 'new.png'));
    } finally {
      watcher.close();
      await rm(dir, {recursive: true, force: true});
    }
    expect(['chapter.md', 'book.yaml', 'base.css'].filter(isIgnoredFile)).toEqual([]);
  });
});

const CASE_TITLE = '预览测试案例';
const OLD_SENTENCE = '这是修改之前的第一段文字。';
const NEW_SENTENCE = '编辑保存之后出现的新句子。';
const caseFile = (frontmatter: string, sentence: string) =>
  `---\n${frontmatter}\n---\n\n${sentence}\n\n第二段文字，:query[请核对数字]保持不变。\n`;

type DevProcess = ChildProcessByStdio<null, Readable, Readable>;

describe('npm run dev', () => {
  // Every process the server starts (Chromium included) inherits this variable: it finds them in /proc.
  const mark = `HANGZHOU_DEV_TEST=${process.pid}-${Date.now()}`;
  let root: string;
  let dev: DevProcess;
  let output = '';
  let url: URL;
  let browser: Browser;
  let page: Page;
  let chromiumSeen = 0;
  let sampler: NodeJS.Timeout;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    root = await writeManuscript({
      'book.yaml': 'title: 预览测试之书\n',
      'cases/01-case.md': caseFile(`title: ${CASE_TITLE}`, OLD_SENTENCE),
    });
    const [name, value] = mark.split('=') as [string, string];
    dev = spawn(process.execPath, [path.join(PROJECT, 'scripts/tool.mjs'), 'dev', '--manuscript', root, '--port', '0'], {
      cwd: PROJECT,
      env: {...process.env, NO_COLOR: '1', [name]: value},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    sampler = setInterval(() => void markedChromium(mark).then((pids) => (chromiumSeen = Math.max(chromiumSeen, pids.length))), 250);
    url = new URL(await waitFor(() => /Preview: (http:\/\/\S+)/.exec(output)?.[1], 60_000, () => `no URL printed:\n${output}`));
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.setViewport({width: 1200, height: 900});
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    clearInterval(sampler);
    await browser?.close();
    if (dev && dev.exitCode === null && dev.signalCode === null) dev.kill('SIGKILL');
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(url.hostname).toBe('127.0.0.1');
    const port = Number(url.port);
    expect(port).toBeGreaterThan(0);
    // Another loopback address reaches a server listening on every interface, not this one.
    await expect(connects('127.0.0.2', port)).resolves.toBe(false);
    await expect(connects('127.0.0.1', port)).resolves.toBe(true);
    const listening = await listeningAddresses(port);
    expect(listening).toEqual(['127.0.0.1']);
  });

  it('shows the book’s pages, drawn from the screen PDF', async () => {
    await page.goto(url.href);
    const text = await waitForPageText(page, CASE_TITLE, 90_000);
    expect(text).toContain(OLD_SENTENCE);
    const pages = await page.$$eval('#book .page', (elements) => elements.map((element) => element.getAttribute('data-page-label')));
    expect(pages.length).toBeGreaterThan(2);
    // The pages in view are drawn on canvases, with a text layer.
    await page.waitForSelector('#book .page[data-drawn="true"] canvas', {timeout: 30_000});
    expect(await page.$$eval('#book .page[data-drawn="true"] .textLayer span', (spans) => spans.length)).toBeGreaterThan(0);
    // The open query is a warning: listed, collapsed.
    expect(await page.$eval('details#warnings', (details) => [details.open, details.textContent])).toEqual([false, expect.stringContaining('editorial query: 请核对数字')]);
    expect(await page.$('#problems')).toBeNull();
    // The downloads are there and served with their types.
    const links = await page.$$eval('nav.downloads a', (anchors) => anchors.map((anchor) => anchor.getAttribute('href')!));
    const types = await Promise.all(links.map(async (link) => (await get(url, link)).type));
    expect(types.sort()).toEqual(['application/epub+zip', 'application/pdf', 'application/pdf', 'text/html; charset=utf-8']);
  }, 120_000);

  it('reloads by itself after a save and shows the new text', async () => {
    await page.evaluate(() => ((window as unknown as {notReloaded: boolean}).notReloaded = true));
    const saved = Date.now();
    await writeFile(path.join(root, 'cases/01-case.md'), caseFile(`title: ${CASE_TITLE}`, NEW_SENTENCE));
    const text = await waitForPageText(page, NEW_SENTENCE, 60_000);
    console.log(`save → new text on the page: ${Date.now() - saved} ms`);
    expect(text).not.toContain(OLD_SENTENCE);
    expect(await page.evaluate(() => (window as unknown as {notReloaded?: boolean}).notReloaded)).toBeUndefined();
  }, 90_000);

  it('shows the error, as path:line:col, above the last good book when a save breaks the build', async () => {
    await writeFile(path.join(root, 'cases/01-case.md'), caseFile(`title: ${CASE_TITLE}\nauthors: [胡金, 章婕妤`, NEW_SENTENCE));
    const errors = await waitForErrors(page, 60_000);
    const prefix = path.relative(PROJECT, path.join(root, 'cases/01-case.md'));
    expect(errors).toMatch(new RegExp(`^${escapeRegExp(prefix)}:[34]:\\d+: error: invalid YAML.*\\[yaml-syntax\\]`, 'm'));
    // The last good book stays below the errors.
    await waitForPageText(page, NEW_SENTENCE, 30_000);
    expect(await page.$eval('#problems', (problems) => Boolean(problems.compareDocumentPosition(document.getElementById('book')!) & Node.DOCUMENT_POSITION_FOLLOWING))).toBe(true);
  }, 90_000);

  it('escapes what the messages quote', async () => {
    await writeFile(path.join(root, 'cases/01-case.md'), caseFile(`title: ${CASE_TITLE}\n"<img src=x onerror=alert(1)>": 1`, NEW_SENTENCE));
    await waitFor(async () => ((await errorText(page)) ?? '').includes('unknown key “<img src=x onerror=alert(1)>”'), 60_000, () => 'no unknown-key error shown');
    expect(await page.$$eval('#errors *', (elements) => elements.length)).toBe(0);
  }, 90_000);

  it('shows the book again when the error is fixed', async () => {
    const fixed = '问题解决以后重新排出的句子。';
    await writeFile(path.join(root, 'cases/01-case.md'), caseFile(`title: ${CASE_TITLE}`, fixed));
    await waitForPageText(page, fixed, 90_000);
    expect(await page.$('#problems')).toBeNull();
  }, 120_000);

  it('serves only the build’s files and pdf.js', async () => {
    for (const target of ['/../package.json', '/..%2f..%2fpackage.json', '/book/..%2f..%2f..%2fpackage.json', '/book/html/../../../../package.json',
      '/pdfjs/../../package.json', '/book/', '/book/html/', '/pdfjs/', '/book/.outputs.json', '/src/cli.ts', '/%E0%A4%A', '/_dev/']) {
      expect([target, (await get(url, target)).status]).toEqual([target, 404]);
    }
    expect(await get(url, '/pdfjs/pdf.mjs')).toMatchObject({status: 200, type: 'text/javascript; charset=utf-8'});
    expect(await get(url, '/pdfjs/pdf.worker.mjs')).toMatchObject({status: 200, type: 'text/javascript; charset=utf-8'});
    expect(await get(url, '/book/html/index.html')).toMatchObject({status: 200, type: 'text/html; charset=utf-8'});
    expect(await get(url, '/')).toMatchObject({status: 200, type: 'text/html; charset=utf-8'});
    // A page of another site reaching 127.0.0.1 through its own host name is refused.
    expect((await get(url, '/', {host: 'attacker.example'})).status).toBe(403);
    expect(pageErrors).toEqual([]);
  });

  it('stops on Ctrl-C, even in the middle of a build, and leaves no Chromium behind', async () => {
    // A save starts a build; Ctrl-C comes while its Chromium prints the book.
    await writeFile(path.join(root, 'cases/01-case.md'), caseFile(`title: ${CASE_TITLE}`, '又一次保存。'));
    await waitFor(async () => (await markedChromium(mark)).length > 0, 60_000, () => `no build started:\n${output}`);
    expect(chromiumSeen).toBeGreaterThan(0);
    dev.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => {
      if (dev.exitCode !== null) resolve(dev.exitCode);
      dev.once('exit', (exitCode) => resolve(exitCode));
    });
    // 0 after a clean stop; 130 when puppeteer, which also listens for Ctrl-C, killed its Chromium and ended the process.
    expect([0, 130]).toContain(code);
    expect(await markedChromium(mark)).toEqual([]);
    await expect(connects('127.0.0.1', Number(url.port))).resolves.toBe(false);
  }, 90_000);
});

async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeout: number, failure: () => string): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(failure());
    await sleep(250);
  }
}

/** The text of the preview's pages once every page has its text; empty while the page reloads or reads the PDF. */
async function allPageText(page: Page): Promise<string> {
  try {
    if (!(await page.$('#book[data-ready="true"]'))) return '';
    return await page.$$eval('[data-page-text]', (elements) => elements.map((element) => element.getAttribute('data-page-text')).join('\n'));
  } catch {
    return '';
  }
}

async function waitForPageText(page: Page, wanted: string, timeout: number): Promise<string> {
  let text = '';
  await waitFor(async () => normalise((text = await allPageText(page))).includes(wanted), timeout, () => `“${wanted}” not shown; the pages say: ${text.slice(0, 500)}`);
  return text;
}

async function errorText(page: Page): Promise<string | undefined> {
  try {
    return await page.$eval('#errors', (element) => element.textContent ?? '');
  } catch {
    return undefined;
  }
}

function waitForErrors(page: Page, timeout: number): Promise<string> {
  return waitFor(() => errorText(page), timeout, () => 'no errors shown');
}

function normalise(text: string): string {
  return text.replace(/\s+/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A GET sent as written (no normalisation of `..`), as a hostile client would. */
function get(base: URL, target: string, headers: Record<string, string> = {}): Promise<{status: number; type: string}> {
  return new Promise((resolve, reject) => {
    const request = http.get({host: base.hostname, port: base.port, path: target, headers}, (response) => {
      response.resume();
      response.on('end', () => resolve({status: response.statusCode ?? 0, type: String(response.headers['content-type'])}));
    });
    request.on('error', reject);
  });
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port});
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The local addresses listening on `port`, from the kernel's socket tables. */
async function listeningAddresses(port: number): Promise<string[]> {
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [hex, portHex] = local.split(':') as [string, string];
      if (parseInt(portHex, 16) !== port) continue;
      addresses.push(hex.length === 8 ? hex.match(/../g)!.reverse().map((byte) => parseInt(byte, 16)).join('.') : `ipv6:${hex}`);
    }
  }
  return addresses;
}

/** Chromium processes whose environment holds `mark`: the ones the dev server started. */
async function markedChromium(mark: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environment = (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0');
      if (!environment.includes(mark)) continue;
      const command = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (/chrom/i.test(command)) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return pids;
}
