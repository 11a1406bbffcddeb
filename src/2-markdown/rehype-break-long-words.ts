// Latin text that a line cannot hold whole: a web address or a long word in a Chinese paragraph. Left
// alone, it moves to the next line and the line it left is spread out character by character, or it
// runs past the text block, and Chromium then shrinks every page of the book to fit it. So addresses get
// break points (<wbr>) where a reader expects a URL to break — after “//” and “/”, before “.”, “?”, “#”,
// “&”, “=”, “-” and “_” (Chicago Manual of Style 6.8) — and long words get soft hyphens where their
// language's hyphenation patterns allow (German for words with ä, ö, ü or ß or inside lang="de", else
// English). Headings are left to rehype-title-breaks; code keeps its characters.
import {createRequire} from 'node:module';
import type {Element, ElementContent, Root, Text} from 'hast';
import type {Plugin} from 'unified';
import {SKIP, visit} from 'unist-util-visit';

export interface BreakLongWordsOptions {
  /** Words at least this long are hyphenated. */
  minWordLength?: number;
}

type Hyphenate = (text: string, options: {hyphenChar: string; minWordLength: number}) => string;

const require = createRequire(import.meta.url);
const hyphenators: Record<'en' | 'de', () => Hyphenate> = {
  en: once(() => (require('hyphen/en-us/index.js') as {hyphenateSync: Hyphenate}).hyphenateSync),
  de: once(() => (require('hyphen/de/index.js') as {hyphenateSync: Hyphenate}).hyphenateSync),
};

export const SOFT_HYPHEN = '\u00AD';
const SKIPPED = new Set(['code', 'pre', 'script', 'style', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const URL = /(?:https?:\/\/|ftp:\/\/|www\.)[^\s\p{Script=Han}\u3000-\u303F\uFF00-\uFFEF<>"“”‘’（）《》]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gu;
const WORD = /\p{Script=Latin}[\p{Script=Latin}\p{M}]+/gu;
const GERMAN = /[äöüßÄÖÜ]/;

const rehypeBreakLongWords: Plugin<[BreakLongWordsOptions?], Root> = (options = {}) => (tree) => {
  const minWordLength = options.minWordLength ?? 12;
  const walk = (node: Element | Root, lang: string | undefined) => {
    const children: ElementContent[] = [];
    for (const child of node.children as ElementContent[]) {
      if (child.type === 'element') {
        if (!SKIPPED.has(child.tagName)) walk(child, typeof child.properties.lang === 'string' ? child.properties.lang : lang);
        children.push(child);
      } else if (child.type === 'text') {
        children.push(...breakText(child.value, lang, minWordLength));
      } else {
        children.push(child);
      }
    }
    node.children = children as typeof node.children;
  };
  visit(tree, 'root', (root) => {
    walk(root, undefined);
    return SKIP;
  });
};

/** The text with break points in its addresses and soft hyphens in its long words. */
function breakText(value: string, lang: string | undefined, minWordLength: number): ElementContent[] {
  const pieces: ElementContent[] = [];
  let last = 0;
  for (const match of value.matchAll(URL)) {
    pieces.push(text(hyphenateWords(value.slice(last, match.index), lang, minWordLength)));
    pieces.push(...breakAddress(match[0]));
    last = match.index + match[0].length;
  }
  pieces.push(text(hyphenateWords(value.slice(last), lang, minWordLength)));
  return pieces.filter((piece) => piece.type !== 'text' || piece.value !== '');
}

function breakAddress(address: string): ElementContent[] {
  const pieces: ElementContent[] = [];
  let start = 0;
  for (let index = 1; index < address.length; index++) {
    const before = address[index - 1]!;
    const character = address[index]!;
    const afterSlash = before === '/' && character !== '/';
    const beforeMark = '.?#&=-_~%'.includes(character) && !'.?#&=-_~%/'.includes(before);
    if (afterSlash || beforeMark) {
      pieces.push(text(address.slice(start, index)), {type: 'element', tagName: 'wbr', properties: {}, children: []});
      start = index;
    }
  }
  pieces.push(text(address.slice(start)));
  return pieces;
}

function hyphenateWords(value: string, lang: string | undefined, minWordLength: number): string {
  return value.replace(WORD, (word) => {
    if (word.length < minWordLength) return word;
    const language = lang?.startsWith('de') || GERMAN.test(word) ? 'de' : 'en';
    return hyphenators[language]()(word, {hyphenChar: SOFT_HYPHEN, minWordLength});
  });
}

function text(value: string): Text {
  return {type: 'text', value};
}

function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

export default rehypeBreakLongWords;
