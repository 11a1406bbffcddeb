// `npm run dev`: builds the book into a private folder, serves a preview of its pages on 127.0.0.1,
// rebuilds when the manuscript, styles or templates change and tells open pages to reload (Server-Sent
// Events). It serves the files of the last good build and pdf.js, and nothing else.
import {existsSync, rmSync} from 'node:fs';
import {mkdir, mkdtemp, readdir, readFile, rm} from 'node:fs/promises';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {VFile} from 'vfile';
import {build, type BuildResult} from '../build.js';
import {PROJECT_ROOT, STYLES_DIR, TEMPLATES_DIR} from '../project.js';
import {displayPath, formatReport} from '../report.js';
import {renderPage, type PageState} from './page.js';
import {BuildScheduler} from './scheduler.js';
import {watchFolders, type FolderWatcher} from './watcher.js';

export const DEFAULT_PORT = 4321;
const HOST = '127.0.0.1';

export interface DevServerOptions {
  manuscriptDir: string;
  /** Default 4321; 0 picks a free port. */
  port?: number;
  /** The build cache (see BuildOptions); default the project's. */
  cacheDir?: string | false;
  /** Quiet time after a save before the rebuild, in milliseconds (default 200). */
  debounceMs?: number;
  /** Progress lines for the terminal. */
  log?: (line: string) => void;
  /** Colour in the reports written to `log`. */
  color?: boolean;
}

export interface DevServer {
  url: string;
  port: number;
  /** Stops watching, waits for a running build (which closes its Chromium), closes the server, removes the builds. */
  close(): Promise<void>;
}

interface GoodBuild {
  dir: string;
  /** URL path (“/book/html/index.html”) → file. Only these are served. */
  files: Map<string, string>;
  state: NonNullable<PageState['good']>;
}

const CLIENT_DIR = path.join(PROJECT_ROOT, 'src/dev/client');
const require = createRequire(import.meta.url);

/** The only files served besides the build's: the page's script and style, and pdf.js. */
const STATIC = new Map<string, string>([
  ['/_dev/preview.js', path.join(CLIENT_DIR, 'preview.js')],
  ['/_dev/preview.css', path.join(CLIENT_DIR, 'preview.css')],
  ['/pdfjs/pdf.mjs', require.resolve('pdfjs-dist/build/pdf.mjs')],
  ['/pdfjs/pdf.worker.mjs', require.resolve('pdfjs-dist/build/pdf.worker.mjs')],
]);

const TYPES = new Map(Object.entries({
  '.html': 'text/html; charset=utf-8',
  '.xhtml': 'application/xhtml+xml; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.epub': 'application/epub+zip',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
}));

function contentType(file: string): string {
  return TYPES.get(path.extname(file).toLowerCase()) ?? 'application/octet-stream';
}

const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const manuscriptDir = path.resolve(options.manuscriptDir);
  const log = options.log ?? (() => undefined);
  const color = options.color ?? false;
  // Builds go to a private folder, never to the editor's out/: one subfolder per build, so a page
  // still loading the previous book never reads half-replaced files.
  const buildsDir = await mkdtemp(path.join(tmpdir(), 'hangzhou-dev-'));
  const removeBuilds = () => rmSync(buildsDir, {recursive: true, force: true});
  // Also when the process ends abruptly (puppeteer ends it on Ctrl-C during a build, after killing Chromium).
  process.on('exit', removeBuilds);

  const instance = Math.random().toString(36).slice(2, 8);
  let finished = 0;
  let buildNumber = 0;
  let building = false;
  let stage = '';
  let last: PageState['last'];
  let good: GoodBuild | undefined;
  let changedFiles: string[] = [];
  let closing: Promise<void> | undefined;
  const clients = new Set<http.ServerResponse>();
  const version = () => `${instance}-${finished}`;

  const send = (event: string, data: unknown) => {
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) client.write(message);
  };

  const runBuild = async () => {
    building = true;
    try {
      await buildOnce();
    } finally {
      finished++;
      building = false;
      stage = '';
      send('reload', {version: version()});
    }
  };

  const buildOnce = async () => {
    const number = ++buildNumber;
    const because = changedFiles.length > 0 ? ` (${describeChanges(changedFiles)})` : '';
    changedFiles = [];
    log(`… building${because}`);
    send('building', {version: version()});
    const dir = path.join(buildsDir, `build-${number}`);
    const start = performance.now();
    let result: BuildResult | undefined;
    let crash: string | undefined;
    try {
      await mkdir(dir, {recursive: true});
      result = await build({
        manuscriptDir,
        outDir: dir,
        cacheDir: options.cacheDir,
        onStage: (name) => {
          stage = name;
          send('stage', {stage: name});
        },
      });
    } catch (error) {
      crash = `internal error: ${(error as Error)?.message ?? String(error)}`;
    }
    const seconds = (performance.now() - start) / 1000;
    const finishedAt = new Date();
    const files = result?.files ?? [];
    const errorFiles = only(files, true);
    const warningFiles = only(files, false);
    const errorCount = count(files, true) + (crash ? 1 : 0);
    const warningCount = count(files, false);
    const ok = Boolean(result?.ok && result.outputs) && !crash;
    last = {
      ok,
      finishedAt,
      seconds,
      errors: [crash, formatReport(errorFiles, {color: false}).trimEnd()].filter(Boolean).join('\n'),
      errorCount,
      warnings: formatReport(warningFiles, {color: false}).trimEnd(),
      warningCount,
    };
    if (ok && result?.outputs && result.stats) {
      const previous = good;
      good = await indexBuild(dir, result, finishedAt, seconds);
      // The previous book may still be downloading in a page: it goes a little later.
      if (previous) setTimeout(() => void rm(previous.dir, {recursive: true, force: true}), 30_000).unref();
      log(`Built in ${seconds.toFixed(1)} s: ${good.state.pages} pages${warningCount ? `, ${warningCount} warning${warningCount === 1 ? '' : 's'} (listed on the page)` : ''}`);
    } else {
      await rm(dir, {recursive: true, force: true});
      const report = [crash, formatReport(errorFiles, {color}).trimEnd()].filter(Boolean).join('\n');
      // A build cut short by the stop (its Chromium closed on the signal) is not news.
      if (closing) return;
      log(`${report}\nThe build failed (${errorCount} error${errorCount === 1 ? '' : 's'}); the preview shows the errors${good ? ' above the last good book' : ''}.`);
    }
  };

  const scheduler = new BuildScheduler(runBuild);
  const watched = [manuscriptDir, STYLES_DIR, TEMPLATES_DIR];
  const watcher: FolderWatcher = watchFolders(watched, (changed) => {
    changedFiles.push(...changed);
    scheduler.request();
  }, {debounceMs: options.debounceMs, onError: (error) => log(`cannot watch: ${error.message}`)});

  const pageState = (): PageState => ({version: version(), building, last, good: good?.state});

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) respond(response, 500, 'text/plain; charset=utf-8', `internal error: ${(error as Error).message}\n`);
      else response.destroy();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse) {
    // Pages of other sites must not read the preview through a name that points at 127.0.0.1.
    if (!isLocalHost(request.headers.host)) return respond(response, 403, 'text/plain; charset=utf-8', 'forbidden\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return respond(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    const target = requestPath(request.url ?? '');
    if (target === '/') {
      response.setHeader('Content-Security-Policy', PAGE_CSP);
      return respond(response, 200, contentType('index.html'), renderPage(pageState()), request.method === 'HEAD');
    }
    if (target === '/events') return openEvents(request, response);
    const file = target === undefined ? undefined : (STATIC.get(target) ?? good?.files.get(target));
    if (!file) return respond(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    const data = await readFile(file).catch(() => undefined);
    if (!data) return respond(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (file.endsWith('.epub')) response.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(path.basename(file))}`);
    respond(response, 200, contentType(file), data, request.method === 'HEAD');
  }

  function openEvents(request: http.IncomingMessage, response: http.ServerResponse) {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Connection: 'keep-alive',
    });
    response.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({version: version(), building, stage})}\n\n`);
    clients.add(response);
    request.on('close', () => clients.delete(response));
  }

  // Proxies and browsers drop quiet connections.
  const keepAlive = setInterval(() => {
    for (const client of clients) client.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    watcher.close();
    removeBuilds();
    process.off('exit', removeBuilds);
    throw error;
  }
  await watcher.ready;
  const port = (server.address() as AddressInfo).port;
  // The first build starts once the caller has had its turn to print the address.
  setImmediate(() => scheduler.request());

  return {
    url: `http://${HOST}:${port}/`,
    port,
    close() {
      closing ??= (async () => {
        watcher.close();
        clearInterval(keepAlive);
        await scheduler.close();
        for (const client of clients) client.end();
        clients.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await rm(buildsDir, {recursive: true, force: true});
        process.off('exit', removeBuilds);
      })();
      return closing;
    },
  };
}

/** The files of a good build, by URL path; hidden files (the build's manifest) are not served. */
async function indexBuild(dir: string, result: BuildResult, finishedAt: Date, seconds: number): Promise<GoodBuild> {
  const files = new Map<string, string>();
  // The out folder's names are links into the build's own folder (src/publish.ts): its files are served.
  const published = result.outputs!.folder;
  for (const entry of await readdir(published, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(published, file).split(path.sep);
    if (relative.some((part) => part.startsWith('.'))) continue;
    files.set(`/book/${relative.join('/')}`, file);
  }
  const url = (file: string | undefined) => (file ? `/book/${path.relative(dir, file).split(path.sep).map(encodeURIComponent).join('/')}` : undefined);
  const outputs = result.outputs!;
  return {
    dir,
    files,
    state: {
      title: path.basename(outputs.epub, '.epub'),
      finishedAt,
      seconds,
      pages: result.stats!.pages,
      links: {html: url(outputs.html)!, screenPdf: url(outputs.screenPdf), printPdf: url(outputs.printPdf), epub: url(outputs.epub)!},
    },
  };
}

/** The request's path, percent-decoded, without query or fragment; undefined when it is malformed. */
function requestPath(url: string): string | undefined {
  const raw = url.split(/[?#]/, 1)[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function isLocalHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

function respond(response: http.ServerResponse, status: number, type: string, body: string | Buffer, headOnly = false) {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': data.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  response.end(headOnly ? undefined : data);
}

function only(files: VFile[], fatal: boolean): VFile[] {
  return files.map((file) => {
    const copy = new VFile(file.path ? {path: file.path} : {});
    copy.messages = file.messages.filter((message) => (message.fatal === true) === fatal);
    return copy;
  });
}

function count(files: VFile[], fatal: boolean): number {
  return files.reduce((total, file) => total + file.messages.filter((message) => (message.fatal === true) === fatal).length, 0);
}

function describeChanges(files: string[]): string {
  // An editor's or a tool's temporary file (sed -i writes one) is gone by now: name the files that remain.
  const present = files.filter((file) => existsSync(file));
  const unique = [...new Set((present.length > 0 ? present : files).map((file) => displayPath(new VFile({path: file}))))];
  return unique.length <= 3 ? `${unique.join(', ')} changed` : `${unique.length} files changed`;
}
