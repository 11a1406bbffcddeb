// Typesetting that holds on a manuscript harder than the real one (tests/fixtures/stress-book.ts: a URL
// of 190 characters and one longer, a long German compound and a word of 270 letters, a title of two
// clauses and 46 characters, photos of six shapes, tables of 3 and 12 columns), built at the default trim
// and at A5. Checked on the PDFs as pdf.js reads them — glyph sizes, baselines, image boxes — not with
// the pipeline's own numbers.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {build, type BuildResult} from '../../src/build.js';
import {LONG_TITLE, PHOTOS, stressBook, TABLES, tableCells} from '../fixtures/stress-book.js';
import {manuscriptTexts, missingInOrder, normalise, temporaryDirectory, writeManuscript} from '../helpers.js';

const POINTS_PER_MM = 72 / 25.4;
const BODY_SIZE = 10.5;
const LINE = BODY_SIZE * 1.75;

interface Glyphs {
  text: string;
  size: number;
  /** From the trim's top-left corner, points: x of the left end, y of the baseline. */
  x: number;
  y: number;
  width: number;
  artifact: boolean;
}

interface Picture {
  /** From the trim's top-left corner, points. */
  top: number;
  bottom: number;
  left: number;
  right: number;
}

interface LaidOutPage {
  glyphs: Glyphs[];
  pictures: Picture[];
  width: number;
  height: number;
}

/** Every page's text runs and images, with their places, as pdf.js reads the PDF. */
async function layoutOf(file: string): Promise<LaidOutPage[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const document = await pdfjs.getDocument({data: new Uint8Array(await readFile(file)), useSystemFonts: false, disableFontFace: true}).promise;
  const pages: LaidOutPage[] = [];
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const [left, bottom, right, top] = page.view as [number, number, number, number];
    const content = await page.getTextContent({includeMarkedContent: true});
    const glyphs: Glyphs[] = [];
    let artifacts = 0;
    for (const item of content.items as ({type?: string; tag?: string; str?: string; transform?: number[]; width?: number})[]) {
      if (item.type === 'beginMarkedContent' || item.type === 'beginMarkedContentProps') {
        if (item.tag === 'Artifact' || artifacts > 0) artifacts++;
      } else if (item.type === 'endMarkedContent') {
        if (artifacts > 0) artifacts--;
      } else if (item.str && item.str.trim() !== '') {
        const [a, b, , , e, f] = item.transform!;
        glyphs.push({text: item.str, size: Math.round(Math.hypot(a!, b!) * 100) / 100, x: e! - left, y: top - f!, width: item.width!, artifact: artifacts > 0});
      }
    }
    // Images: the unit square of each image XObject through the transformation in force.
    const operators = await page.getOperatorList();
    const pictures: Picture[] = [];
    const stack: number[][] = [];
    let matrix = [1, 0, 0, 1, 0, 0];
    const multiply = (m: number[], n: number[]) => [m[0]! * n[0]! + m[1]! * n[2]!, m[0]! * n[1]! + m[1]! * n[3]!, m[2]! * n[0]! + m[3]! * n[2]!, m[2]! * n[1]! + m[3]! * n[3]!, m[4]! * n[0]! + m[5]! * n[2]! + n[4]!, m[4]! * n[1]! + m[5]! * n[3]! + n[5]!];
    operators.fnArray.forEach((fn, index) => {
      if (fn === pdfjs.OPS.save) stack.push(matrix);
      else if (fn === pdfjs.OPS.restore) matrix = stack.pop() ?? matrix;
      else if (fn === pdfjs.OPS.transform) matrix = multiply(operators.argsArray[index] as number[], matrix);
      else if (fn === pdfjs.OPS.paintImageXObject) {
        const xs = [matrix[4]!, matrix[4]! + matrix[0]!];
        const ys = [matrix[5]!, matrix[5]! + matrix[3]!];
        pictures.push({left: Math.min(...xs) - left, right: Math.max(...xs) - left, top: top - Math.max(...ys), bottom: top - Math.min(...ys)});
      }
    });
    pages.push({glyphs, pictures, width: right - left, height: top - bottom});
  }
  await document.destroy();
  return pages;
}

/** The runs of one baseline, left to right, joined. */
function linesOf(glyphs: Glyphs[]): {y: number; text: string; size: number}[] {
  const lines: {y: number; text: string; size: number}[] = [];
  for (const glyph of [...glyphs].sort((a, b) => a.y - b.y || a.x - b.x)) {
    const line = lines.find((candidate) => Math.abs(candidate.y - glyph.y) < 1);
    if (line) line.text += glyph.text;
    else lines.push({y: glyph.y, text: glyph.text, size: glyph.size});
  }
  return lines.map((line) => ({...line, text: line.text.replace(/\s+/g, '')}));
}

const trims = {default: undefined, A5: 'A5'} as const;

describe.each(Object.entries(trims))('a hard manuscript at the %s trim', (_, trim) => {
  let result: BuildResult;
  let pages: LaidOutPage[];
  let manuscript: string;
  /** Pages that carry a running head: the body pages of chapters. */
  let body: LaidOutPage[];
  /** The text block, from where body lines fall on the body pages: the top of the first line, the height. */
  let block: {top: number; height: number};

  beforeAll(async () => {
    manuscript = await writeManuscript(await stressBook({trim}));
    result = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('typesetting'), cacheDir: false});
    expect(result.files.flatMap((file) => file.messages.filter((message) => message.fatal)).map(String)).toEqual([]);
    expect(result.ok).toBe(true);
    pages = await layoutOf(result.outputs!.screenPdf!);
    body = pages.filter((page) => page.glyphs.some((glyph) => glyph.artifact && glyph.size === 9 && glyph.y < 20 * POINTS_PER_MM));
    const baselines = body.flatMap((page) => page.glyphs.filter((glyph) => !glyph.artifact && glyph.size === BODY_SIZE).map((glyph) => glyph.y));
    const [first, last] = [Math.min(...baselines), Math.max(...baselines)];
    block = {top: first - LINE, height: last - first + LINE};
  });

  it('sets the body at 10.5 pt on every page: nothing shrinks the print to fit', () => {
    // Shrunk to fit, a page would have no text at the body's size, and its smallest type below 7 pt.
    expect(body.length).toBeGreaterThan(10);
    for (const [index, page] of pages.entries()) {
      const sizes = page.glyphs.filter((glyph) => !glyph.artifact).map((glyph) => glyph.size);
      // A chapter's last page may hold only its notes, which are set smaller.
      if (body.includes(page) && pages[index + 1] && body.includes(pages[index + 1]!)) expect(sizes, `page ${index + 1}`).toContain(BODY_SIZE);
      if (sizes.length > 0) expect(Math.min(...sizes), `page ${index + 1}`).toBeGreaterThanOrEqual(7);
    }
  });

  it('keeps every word and picture 12 mm or more inside the trim', () => {
    const margin = 12 * POINTS_PER_MM;
    for (const [index, page] of pages.entries()) {
      for (const glyph of page.glyphs) {
        // The glyphs' box: their ascent and descent about the baseline (a CJK face's em box).
        expect(glyph.x, `page ${index + 1}: ${glyph.text}`).toBeGreaterThanOrEqual(margin);
        expect(glyph.x + glyph.width, `page ${index + 1}: ${glyph.text}`).toBeLessThanOrEqual(page.width - margin);
        expect(glyph.y - 0.88 * glyph.size, `page ${index + 1}: ${glyph.text}`).toBeGreaterThanOrEqual(margin);
        expect(glyph.y + 0.12 * glyph.size, `page ${index + 1}: ${glyph.text}`).toBeLessThanOrEqual(page.height - margin);
      }
      for (const picture of page.pictures) {
        expect(picture.left, `page ${index + 1}`).toBeGreaterThanOrEqual(margin);
        expect(picture.right, `page ${index + 1}`).toBeLessThanOrEqual(page.width - margin);
      }
    }
  });

  it('loses no text: the addresses and long words whole, in order, as written', async () => {
    const text = pages.map((page) => page.glyphs.filter((glyph) => !glyph.artifact).map((glyph) => glyph.text).join('')).join('');
    // A word broken at a soft hyphen shows the hyphen; the soft hyphens themselves are not text.
    let joined = normalise(text);
    // A photo and its caption, or a table, may move down past the paragraphs after it, even into one (a
    // page float): each is looked for anywhere and taken out, then the rest is looked for in order.
    const blocks = await manuscriptTexts(manuscript);
    const sources = await Promise.all(['cases/01-stress.md', 'cases/02-linping.md'].map((file) => readFile(path.join(manuscript, file), 'utf8')));
    const captions = new Set(sources.flatMap((source) => [...source.matchAll(/^::figure\[([^\]]+)\]/gm)].map((match) => normalise(match[1]!))));
    const isCaption = (block: string[]) => captions.has(block.join(''));
    const floats = [...captions, ...TABLES.map(([columns, rows]) => normalise(tableCells(columns, rows).flat().join('')))];
    for (const float of floats) {
      expect(joined).toContain(float);
      // A photo still to come is drawn as a box saying so.
      const drawn = joined.includes(`图片待补${float}`) ? `图片待补${float}` : float;
      joined = joined.replace(drawn, '');
    }
    expect(missingInOrder(blocks.filter((block) => !isCaption(block)), joined)).toEqual([]);
  });

  it('puts every body line of every page on one grid of 18.375 pt', () => {
    const lines = body.flatMap((page) => linesOf(page.glyphs.filter((glyph) => !glyph.artifact && glyph.size === BODY_SIZE)).map((line) => line.y));
    expect(lines.length).toBeGreaterThan(200);
    // Each baseline's distance from the first line's grid, in (−pitch/2, pitch/2]; the grid is the one
    // centred on them (Chromium places glyphs on whole CSS pixels: 18.375 pt is 24.5 px, so baselines
    // step 18 and 18.75 pt by turns).
    const offsets = lines.map((y) => {
      const offset = (((y - lines[0]!) % LINE) + LINE) % LINE;
      return offset > LINE / 2 ? offset - LINE : offset;
    });
    const centre = (Math.min(...offsets) + Math.max(...offsets)) / 2;
    expect(offsets.filter((offset) => Math.abs(offset - centre) > 0.5)).toEqual([]);
  });

  it('sizes photos by their shape, none higher than 55% of the text block, each with its caption on its page', () => {
    const textHeight = block.height;
    const pictures = pages.flatMap((page, index) => page.pictures.map((picture) => ({picture, page, index})));
    expect(pictures.length).toBe(PHOTOS.length);
    for (const [name, width, height] of PHOTOS) {
      const found = pictures.find(({picture}) => Math.abs((picture.right - picture.left) / (picture.bottom - picture.top) - width / height) < 0.02);
      expect(found, name).toBeDefined();
      const {picture, page, index} = found!;
      // Its caption right below it, on the same page.
      const caption = linesOf(page.glyphs.filter((glyph) => !glyph.artifact)).find((line) => line.text.startsWith(`${name}（`));
      expect(caption, `${name} on page ${index + 1}`).toBeDefined();
      expect(caption!.y - picture.bottom, name).toBeGreaterThan(0);
      expect(caption!.y - picture.bottom, name).toBeLessThan(3 * LINE);
      expect(picture.bottom - picture.top, name).toBeLessThan(0.55 * textHeight + 1);
      if (height > width) expect(caption!.y + LINE - picture.top, name).toBeLessThan(0.65 * textHeight);
      // Never enlarged past its pixels at 96 per inch.
      expect(picture.right - picture.left, name).toBeLessThanOrEqual((width / 96) * 72 + 0.5);
    }
  });

  it('fills every page but a chapter’s last to 80% of its text block', () => {
    pages.forEach((page, index) => {
      const next = pages[index + 1];
      if (!next || !body.includes(next)) return;
      const lowest = Math.max(...page.glyphs.filter((glyph) => !glyph.artifact).map((glyph) => glyph.y), ...page.pictures.map((picture) => picture.bottom));
      expect((lowest - block.top) / block.height, `page ${index + 1}`).toBeGreaterThanOrEqual(0.8);
    });
  });

  it('breaks the long title between its clauses and words, never leaving one or two characters on a line', () => {
    // The opening page: the title in the largest type on the page.
    const opening = pages.find((page) => {
      const size = Math.max(...page.glyphs.map((glyph) => glyph.size));
      return linesOf(page.glyphs.filter((glyph) => glyph.size === size))[0]?.text.startsWith(LONG_TITLE.slice(0, 6));
    })!;
    const size = Math.max(...opening.glyphs.map((glyph) => glyph.size));
    const lines = linesOf(opening.glyphs.filter((glyph) => glyph.size === size)).map((line) => line.text);
    expect(lines.join('')).toBe(LONG_TITLE);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect([...line].length, line).toBeGreaterThan(2);
    const words = ['坚持', '人民', '城市', '杭州', '更新', '绘就', '宜居', '宜业', '宜游', '宜学', '宜养', '共同富裕', '幸福', '图景'];
    let offset = 0;
    for (const line of lines.slice(0, -1)) {
      offset += line.length;
      for (const word of words) {
        for (let at = LONG_TITLE.indexOf(word); at >= 0; at = LONG_TITLE.indexOf(word, at + 1)) {
          expect(offset > at && offset < at + word.length, `the line “${line}” ends inside “${word}”`).toBe(false);
        }
      }
    }
  });

  it('runs a shortened head over the long title’s rectos, and says so', () => {
    const warning = result.files.flatMap((file) => file.messages).find((message) => message.ruleId === 'running-head');
    expect(warning?.fatal).toBe(false);
    expect(String(warning?.file)).toMatch(/01-stress\.md$/);
    expect(warning?.line).toBe(2);
    const heads = body.flatMap((page) => page.glyphs.filter((glyph) => glyph.artifact && glyph.size === 9).map((glyph) => glyph.text));
    expect(heads.some((head) => head.endsWith('…') && LONG_TITLE.startsWith(head.slice(0, -1)))).toBe(true);
  });

  it('writes where the case first appeared as GB/T 15834 has it', () => {
    const text = normalise(pages.map((page) => page.glyphs.filter((glyph) => !glyph.artifact).map((glyph) => glyph.text).join('')).join(''));
    expect(text).toContain('原载《浙江日报》2025年10月13日');
  });

  it('leads a long table-of-contents entry with dots to its page number, on its last line', () => {
    const toc = pages.find((page) => linesOf(page.glyphs).some((line) => line.text === '目录'))!;
    const lines = linesOf(toc.glyphs.filter((glyph) => !glyph.artifact)).map((line) => line.text);
    // The title's last line ends with the dots and the number, or, when too little room is left on it,
    // they make a line of their own after it.
    const last = lines.findIndex((line) => line.includes('新图景'));
    expect(`${lines[last - 1]}${lines[last]}`).toContain(LONG_TITLE.slice(-12));
    expect(lines[last - 1]).not.toMatch(/[…\d]$/);
    if (!/新图景…{3,}\d+$/.test(lines[last]!)) {
      expect(lines[last]).toMatch(/新图景$/);
      expect(lines[last + 1]).toMatch(/^…{3,}\d+$/);
    }
  });

  it('finds nothing wrong in its layout check', () => {
    const {floated, ...rest} = result.stats!.layout;
    expect(rest.counts).toEqual(Object.fromEntries(Object.keys(rest.counts).map((rule) => [rule, 0])));
    expect(rest.problems).toEqual([]);
    expect(floated).toBeGreaterThan(0);
  });
});

describe('what the page cannot hold', () => {
  it('refuses a table too wide even at 7 pt, at its line in the chapter', async () => {
    const header = Array.from({length: 40}, (_, index) => `指标${index + 1}`);
    const row = header.map((_, index) => `${1000 + index}.25`);
    const table = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, `| ${row.join(' | ')} |`].join('\n');
    const manuscript = await writeManuscript({
      'book.yaml': 'title: 宽表\n',
      'cases/01-wide.md': `---\ntitle: 一张四十列的表\n---\n\n正文。\n\n${table}\n`,
    });
    const result = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('wide'), cacheDir: false});
    expect(result.ok).toBe(false);
    const errors = result.files.flatMap((file) => file.messages.filter((message) => message.fatal).map((message) => ({file: path.basename(file.path), line: message.line, rule: message.ruleId})));
    expect(errors).toEqual([{file: '01-wide.md', line: 7, rule: 'overflow'}]);
  });

  it('refuses, in the build sent to print, a running head wider than the text block', async () => {
    const manuscript = await writeManuscript({
      'book.yaml': 'title: 书眉\n',
      'cases/01-long.md': `---\ntitle: ${LONG_TITLE}\n---\n\n${'正文。'.repeat(1200)}\n`,
      'cases/02-short.md': `---\ntitle: ${LONG_TITLE}（续）\nshort-title: 杭州以城市更新绘就共同富裕新图景\n---\n\n${'正文。'.repeat(1200)}\n`,
    });
    const result = await build({manuscriptDir: manuscript, outDir: await temporaryDirectory('head'), cacheDir: false, final: true});
    const errors = result.files.flatMap((file) => file.messages.filter((message) => message.fatal).map((message) => `${path.basename(file.path)}:${message.line} ${message.ruleId}`));
    expect(errors).toEqual(['01-long.md:2 running-head']);
  });
});
