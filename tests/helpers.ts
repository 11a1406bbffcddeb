// Readers of the real outputs, independent of the code under test: the text of a PDF (pdf.js, page
// furniture excluded because it is marked as an artifact), of an EPUB (spine order), and the
// paragraphs a manuscript should produce.
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {fromHtml} from 'hast-util-from-html';
import {toString as hastToString} from 'hast-util-to-string';
import JSZip from 'jszip';
import {PDFArray, PDFDict, PDFDocument, PDFName, PDFNull, PDFNumber, PDFRef, type PDFObject} from 'pdf-lib';
import type {PDFPageProxy} from 'pdfjs-dist';
import type {Nodes as MdastNode, PhrasingContent, Root as MdastRoot} from 'mdast';
import {toString as mdastToString} from 'mdast-util-to-string';
import remarkDirective from 'remark-directive';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import {unified} from 'unified';
import {parse as parseYaml} from 'yaml';

export const PROJECT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command line as an editor would (`npm run build -- …` runs exactly this). */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const {stdout, stderr} = await run(process.execPath, [path.join(PROJECT, 'scripts/tool.mjs'), ...args], {
      cwd: PROJECT,
      env: {...process.env, NO_COLOR: '1', ...env},
      maxBuffer: 64 * 1024 * 1024,
    });
    return {code: 0, stdout, stderr};
  } catch (error) {
    const failed = error as {code?: number; stdout?: string; stderr?: string};
    return {code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? ''};
  }
}

export function temporaryDirectory(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `${prefix}-`));
}

export async function findOutput(outDir: string, suffix: string, exclude?: string): Promise<string> {
  const names = (await readdir(outDir)).filter((name) => name.endsWith(suffix) && !(exclude && name.endsWith(exclude)));
  if (names.length !== 1) throw new Error(`expected one *${suffix} in ${outDir}, found ${names.join(', ') || 'none'}`);
  return path.join(outDir, names[0]!);
}

export interface PdfPage {
  /** The page label a viewer shows (“iv”, “17”). */
  label: string;
  /** The text of the page, without marked artifacts. */
  text: string;
  /** Text marked as artifacts: running heads and folios. */
  artifacts: string[];
  /** How far the text (not the artifacts) reaches from the left edge of the page's crop box, in points. */
  textSpan?: {left: number; right: number};
}

/** Every page of a PDF as pdf.js reads it. */
export async function pdfPages(file: string): Promise<PdfPage[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const document = await pdfjs.getDocument({data: new Uint8Array(await readFile(file)), useSystemFonts: false, disableFontFace: true}).promise;
  const labels = (await document.getPageLabels()) ?? [];
  const pages: PdfPage[] = [];
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const content = await page.getTextContent({includeMarkedContent: true});
    const open: string[] = [];
    let text = '';
    let span: PdfPage['textSpan'];
    const artifacts: string[] = [];
    for (const item of content.items) {
      if ('type' in item) {
        if (item.type === 'beginMarkedContent' || item.type === 'beginMarkedContentProps') {
          open.push((item as {tag?: string}).tag ?? '');
        } else if (item.type === 'endMarkedContent') open.pop();
      } else if (open.includes('Artifact')) {
        artifacts.push(item.str);
      } else {
        text += item.str;
        if (item.str.trim()) {
          const left = item.transform[4] - page.view[0]!;
          span = {left: Math.min(span?.left ?? left, left), right: Math.max(span?.right ?? 0, left + item.width)};
        }
      }
    }
    pages.push({label: labels[number - 1] ?? String(number), text, artifacts: artifacts.map((artifact) => artifact.trim()).filter(Boolean), textSpan: span});
  }
  await document.destroy();
  return pages;
}

/** A node of pdf.js's structure tree of a page: an element (role, children) or a marked content (id). */
export type StructureNode = {role?: string; type?: string; id?: string; children?: StructureNode[]};

/** A page's text by marked content, under the ids pdf.js's structure tree gives them. */
export async function markedContentTexts(page: PDFPageProxy): Promise<Map<string, string>> {
  const content = await page.getTextContent({includeMarkedContent: true});
  const texts = new Map<string, string>();
  let open = '';
  for (const item of content.items) {
    if ('type' in item) open = item.type === 'beginMarkedContentProps' ? String(item.id ?? '') : '';
    else if (open) texts.set(open, (texts.get(open) ?? '') + item.str);
  }
  return texts;
}

/**
 * What a reader's software finds in a PDF besides its text, as lines to compare: bookmarks (title and
 * page), page labels, and for each page its structure tree (roles and the text of each marked content),
 * its links (where they go and where they sit) and its crop box.
 */
export async function pdfStructure(file: string): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const document = await pdfjs.getDocument({data: new Uint8Array(await readFile(file)), useSystemFonts: false, disableFontFace: true}).promise;
  const lines: string[] = [];
  const pageOf = async (dest: unknown) => {
    const destination = typeof dest === 'string' ? await document.getDestination(dest) : dest;
    return Array.isArray(destination) ? document.getPageIndex(destination[0]) : -1;
  };
  type OutlineItem = {title: string; dest: unknown; items: OutlineItem[]};
  const walk = async (items: OutlineItem[], depth: number): Promise<void> => {
    for (const item of items) {
      lines.push(`bookmark ${'  '.repeat(depth)}${item.title} → page ${(await pageOf(item.dest)) + 1}`);
      await walk(item.items, depth + 1);
    }
  };
  await walk(((await document.getOutline()) ?? []) as OutlineItem[], 0);
  lines.push(`labels ${JSON.stringify(await document.getPageLabels())}`);
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const texts = await markedContentTexts(page);
    const show = (node: StructureNode): string => (node.type === 'content' ? JSON.stringify(texts.get(node.id!) ?? '') : `${node.role}(${(node.children ?? []).map(show).join(',')})`);
    const tree = (await page.getStructTree()) as StructureNode | null;
    lines.push(`page ${number} structure ${tree ? show(tree) : 'none'}`);
    for (const annotation of await page.getAnnotations()) {
      lines.push(`page ${number} ${annotation.subtype} → page ${(await pageOf(annotation.dest)) + 1} at ${annotation.rect.map((value: number) => value.toFixed(1)).join(' ')}`);
    }
    lines.push(`page ${number} crop box ${page.view.map((value) => value.toFixed(2)).join(' ')}`);
  }
  await document.destroy();
  return lines;
}

/**
 * What is wrong with a PDF's structure tree, read both ways: every element reachable from the root, each
 * marked content it claims on a page of the document, and each page's parent-tree entry naming the very
 * element that claims that marked content.
 */
export async function structureTreeProblems(file: string): Promise<string[]> {
  const document = await PDFDocument.load(await readFile(file), {updateMetadata: false});
  const context = document.context;
  const pages = new Map(document.getPages().map((page, index) => [page.ref, index + 1]));
  const problems: string[] = [];
  const claimed = new Map<string, PDFRef>();
  const root = document.catalog.lookup(PDFName.of('StructTreeRoot'), PDFDict);
  const pending: [PDFObject, PDFRef | undefined][] = [[root.get(PDFName.of('K'))!, undefined]];
  while (pending.length > 0) {
    const [object, parent] = pending.pop()!;
    if (object instanceof PDFArray) {
      for (const kid of object.asArray()) pending.push([kid, parent]);
    } else if (object instanceof PDFNumber) {
      const page = context.lookup(parent!, PDFDict).get(PDFName.of('Pg'));
      if (!(page instanceof PDFRef) || !pages.has(page)) problems.push(`${parent} claims marked content ${object.asNumber()} on no page of the document`);
      else claimed.set(`${pages.get(page)}:${object.asNumber()}`, parent!);
    } else if (object instanceof PDFDict && object.get(PDFName.of('Type')) === PDFName.of('MCR')) {
      const page = object.get(PDFName.of('Pg'));
      const mcid = object.lookup(PDFName.of('MCID'), PDFNumber).asNumber();
      if (!(page instanceof PDFRef) || !pages.has(page)) problems.push(`${parent} claims marked content ${mcid} on no page of the document`);
      else claimed.set(`${pages.get(page)}:${mcid}`, parent!);
    } else if (object instanceof PDFRef) {
      const element = context.lookup(object);
      if (element instanceof PDFDict && element.has(PDFName.of('S'))) pending.push([element.get(PDFName.of('K')) ?? context.obj([]), object]);
    }
  }
  const parentTree = root.lookup(PDFName.of('ParentTree'), PDFDict).lookup(PDFName.of('Nums'), PDFArray);
  const entries = new Map<number, PDFObject>();
  for (let index = 0; index < parentTree.size(); index += 2) entries.set(parentTree.lookup(index, PDFNumber).asNumber(), parentTree.get(index + 1));
  const listed = new Set<string>();
  for (const [page, number] of pages) {
    const key = context.lookup(page, PDFDict).get(PDFName.of('StructParents'));
    if (!(key instanceof PDFNumber)) continue;
    const array = context.lookupMaybe(entries.get(key.asNumber()), PDFArray);
    for (const [mcid, element] of (array?.asArray() ?? []).entries()) {
      if (element === PDFNull) continue;
      listed.add(`${number}:${mcid}`);
      if (claimed.get(`${number}:${mcid}`) !== element) problems.push(`page ${number}: the parent tree gives marked content ${mcid} to ${element}, which does not claim it`);
    }
  }
  for (const [place, element] of claimed) if (!listed.has(place)) problems.push(`${element} claims marked content ${place} (page:id), which the parent tree does not list`);
  return problems;
}

/** The text of each page, without marked artifacts (running heads, folios, crop marks). */
export async function pdfPageTexts(file: string): Promise<string[]> {
  return (await pdfPages(file)).map((page) => page.text);
}

/** The text of the EPUB's content documents, in spine order. */
export async function epubText(file: string): Promise<string> {
  const zip = await JSZip.loadAsync(await readFile(file));
  const opf = await zip.file('OEBPS/content.opf')!.async('string');
  const hrefs = new Map([...opf.matchAll(/<item id="([^"]+)" href="([^"]+)"/g)].map((match) => [match[1]!, match[2]!]));
  const spine = [...opf.matchAll(/<itemref idref="([^"]+)"/g)].map((match) => hrefs.get(match[1]!)!);
  const texts: string[] = [];
  for (const href of spine) texts.push(hastToString(fromHtml(await zip.file(`OEBPS/${href}`)!.async('string'))));
  return texts.join('\n');
}

/**
 * What every manuscript file must put into the book, in book order: its title block and each
 * paragraph, heading, caption and signature, each cut into the runs of text that are printed as they
 * are written (a footnote mark or a query sits between two runs).
 */
export async function manuscriptTexts(manuscriptDir: string): Promise<string[][]> {
  const book = parseYaml(await readFile(path.join(manuscriptDir, 'book.yaml'), 'utf8')) as {front?: string[]; cases?: string[]};
  const listed = async (key: 'front' | 'cases') =>
    book[key] ?? (await readdir(path.join(manuscriptDir, key)).catch(() => [] as string[])).filter((name) => name.endsWith('.md')).sort().map((name) => `${key}/${name}`);
  const files = [...(await listed('front')), ...(await listed('cases'))];
  const processor = unified().use(remarkParse).use(remarkFrontmatter).use(remarkGfm).use(remarkDirective);
  const blocks: string[][] = [];
  for (const file of files) {
    const tree = processor.parse(await readFile(path.join(manuscriptDir, file), 'utf8')) as MdastRoot;
    const walk = (node: MdastNode) => {
      if (node.type === 'yaml') {
        const meta = parseYaml(node.value) as {title: string; subtitle?: string; authors?: string[]};
        blocks.push([meta.title], ...(meta.subtitle ? [[meta.subtitle]] : []), ...(meta.authors ?? []).map((name) => [name]));
      } else if (node.type === 'paragraph' || node.type === 'heading') {
        blocks.push(runs(node.children));
      } else if (node.type === 'leafDirective') {
        blocks.push([mdastToString(node)]);
      } else if ('children' in node) {
        node.children.forEach(walk);
        if (node.type === 'containerDirective') {
          // The signature closes the block: affiliation and author.
          const {affiliation, author} = node.attributes ?? {};
          blocks.push([affiliation, author].filter((value): value is string => Boolean(value)));
        }
      }
    };
    walk(tree);
  }
  return blocks.map((block) => block.map(normalise).filter(Boolean)).filter((block) => block.length > 0);
}

function runs(children: PhrasingContent[]): string[] {
  const result: string[] = [''];
  for (const child of children) {
    if (child.type === 'footnoteReference' || child.type === 'image' || child.type === 'break') result.push('');
    else if (child.type === 'textDirective') result.push(mdastToString(child), '');
    else result[result.length - 1] += mdastToString(child);
  }
  return result;
}

/**
 * Whitespace carries no meaning in Chinese text and comes and goes with line breaks; Chromium draws
 * emphasis dots (着重号, U+25CF) as text of their own. A Latin word broken across lines shows a hyphen
 * where the manuscript has none (or a soft hyphen, which is no text): a hyphen between two letters is
 * left out on both sides of a comparison.
 */
export function normalise(text: string): string {
  return text.replace(/[\s\u25CF\u00AD]+/g, '').replace(/(?<=\p{L})[-\u2010](?=\p{L})/gu, '');
}

/** The blocks not found, in order, in `text`: each run must come after the one before it. */
export function missingInOrder(blocks: string[][], text: string): string[] {
  const haystack = normalise(text);
  const missing: string[] = [];
  let cursor = 0;
  for (const block of blocks) {
    for (const run of block) {
      const found = haystack.indexOf(run, cursor);
      if (found < 0) missing.push(run);
      else cursor = found + run.length;
    }
  }
  return missing;
}

/** The fonts of a PDF as poppler's pdffonts (the print houses' own check) lists them. */
export async function pdffonts(file: string): Promise<{name: string; type: string; embedded: boolean}[]> {
  const {stdout} = await run('pdffonts', [file]);
  const [header = '', , ...rows] = stdout.split('\n');
  const column = (title: string) => header.indexOf(title);
  return rows.filter(Boolean).map((row) => ({
    name: row.slice(0, column('type')).trim(),
    type: row.slice(column('type'), column('encoding')).trim(),
    embedded: row.slice(column('emb'), column('sub')).trim() === 'yes',
  }));
}

export interface EpubCheckResult {
  errors: number;
  warnings: number;
  fatals: number;
  messages: string[];
}

export async function epubcheck(file: string): Promise<EpubCheckResult> {
  const dir = await temporaryDirectory('epubcheck');
  const report = path.join(dir, 'report.json');
  await run('java', ['-jar', '/usr/share/java/epubcheck.jar', file, '--json', report]).catch(() => undefined);
  const json = JSON.parse(await readFile(report, 'utf8')) as {
    checker: {nFatal: number; nError: number; nWarning: number};
    messages: {severity: string; ID: string; message: string; locations: {path: string; line: number}[]}[];
  };
  return {
    fatals: json.checker.nFatal,
    errors: json.checker.nError,
    warnings: json.checker.nWarning,
    messages: json.messages.map((message) => `${message.severity} ${message.ID} ${message.message} ${message.locations.map((location) => `${location.path}:${location.line}`).join(' ')}`),
  };
}

/** A small manuscript in a temporary folder: file path → content. */
export async function writeManuscript(files: Record<string, string | Uint8Array>): Promise<string> {
  const {mkdir, writeFile} = await import('node:fs/promises');
  const root = await temporaryDirectory('manuscript');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), {recursive: true});
    await writeFile(path.join(root, name), content);
  }
  return root;
}

export interface AceResult {
  outcome: string;
  violations: string[];
}

/** Ace by DAISY, on Debian's Chromium (or the browser PUPPETEER_EXECUTABLE_PATH names). */
export async function ace(file: string): Promise<AceResult> {
  const dir = await temporaryDirectory('ace');
  await run(path.join(PROJECT, 'node_modules/.bin/ace-cli'), ['--silent', '-o', dir, '-f', file], {
    env: {...process.env, PUPPETEER_EXECUTABLE_PATH: process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium'},
    maxBuffer: 64 * 1024 * 1024,
  });
  type Assertion = {'earl:test': {'dct:title': string; 'earl:impact': string}; 'earl:result': {'earl:outcome': string; 'dct:description'?: string}};
  const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as {
    'earl:result': {'earl:outcome': string};
    assertions: {'earl:testSubject': {url: string}; assertions: Assertion[]}[];
  };
  const violations = report.assertions.flatMap((document) =>
    document.assertions
      .filter((assertion) => assertion['earl:result']['earl:outcome'] !== 'pass')
      .map((assertion) => `${document['earl:testSubject'].url}: ${assertion['earl:test']['dct:title']} (${assertion['earl:test']['earl:impact']}) ${assertion['earl:result']['dct:description'] ?? ''}`),
  );
  return {outcome: report['earl:result']['earl:outcome'], violations};
}

const FOLIO = /^(\d+|[ivxlcdm]+)$/;

/** The printed folio of a page (its furniture), if it has one. */
export function folioOf(page: PdfPage): string | undefined {
  return page.artifacts.find((text) => FOLIO.test(text));
}

/** The index of the page a chapter opens on: its text starts with the chapter's title. */
export function openingPage(pages: PdfPage[], title: string): number {
  return pages.findIndex((page) => normalise(page.text).startsWith(normalise(title)));
}

/** For each title: the number the table of contents prints, and the folio of the page it opens on. */
export function tableOfContents(pages: PdfPage[], titles: string[]): {title: string; printed?: string; opening: number; folio?: string}[] {
  const toc = normalise(pages.filter((page) => normalise(page.text).startsWith('目录')).map((page) => page.text).join(''));
  return titles.map((title) => {
    const opening = openingPage(pages, title);
    return {title, printed: new RegExp(`${normalise(title)}…+(\\d+)`).exec(toc)?.[1], opening, folio: opening >= 0 ? folioOf(pages[opening]!) : undefined};
  });
}

/** Hashes of every output file, to compare a folder before and after. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  }
  return result;
}

export async function chromiumProcesses(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const command = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (command.includes('chromium') && command.includes(marker)) pids.push(Number(name));
  }
  return pids;
}

/** A process and all its descendants. */
export async function processTree(pid: number): Promise<number[]> {
  const tree = [pid];
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const child of children.split(' ').filter(Boolean)) tree.push(...(await processTree(Number(child))));
  }
  return tree;
}

export async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return status !== '' && !/^State:\s+Z/m.test(status);
}
