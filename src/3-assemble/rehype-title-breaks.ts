// A Chinese title breaks where a reader pauses: after its own punctuation first, and only inside a
// clause too long for a line between two words — never inside a word (“加快迈向未 / 来智造城”). Each
// clause becomes an inline block (styles/base.css: `.clause`), which a line break goes around as a whole
// while it fits; inside it, `word-break: keep-all` allows breaks only at the <wbr> put between its words.
// Words come from jieba's dictionary (with its model for words it does not know), which splits titles
// like these better than ICU's segmenter (“智造城”, “共同富裕”, “城市更新” stay whole).
import {createRequire} from 'node:module';
import type {Element, ElementContent, Root, Text} from 'hast';
import {toString} from 'hast-util-to-string';
import type {Plugin} from 'unified';
import {SKIP, visit} from 'unist-util-visit';

export interface TitleBreaksOptions {
  /** Elements that are titles, besides h1–h4: the table of contents' entries. */
  classNames?: string[];
}

/** A clause ends after one of these (and the spaces after it). */
const CLAUSE_END = /[，、；：。？！,;:?!　]/u;
/** A clause shorter than this joins its neighbour, so that no line holds one or two characters alone. */
const MIN_CLAUSE = 4;
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4']);
const HAN = /\p{Script=Han}/u;

type Segmenter = (text: string) => string[];
let segmenter: Segmenter | undefined;

/** jieba, loaded on first use (some 0.3 s): most rebuilds find their titles typeset in the cache. */
function words(text: string): string[] {
  if (!segmenter) {
    const require = createRequire(import.meta.url);
    const {Jieba} = require('@node-rs/jieba') as {Jieba: {withDict(dict: Uint8Array): {cut(text: string, hmm: boolean): string[]}}};
    const {dict} = require('@node-rs/jieba/dict') as {dict: Uint8Array};
    const jieba = Jieba.withDict(dict);
    segmenter = (value) => jieba.cut(value, true);
  }
  return segmenter(text);
}

const rehypeTitleBreaks: Plugin<[TitleBreaksOptions?], Root> = (options = {}) => (tree) => {
  const classNames = new Set(options.classNames ?? []);
  visit(tree, 'element', (node: Element) => {
    const classes = (node.properties.className as string[] | undefined) ?? [];
    if (!HEADINGS.has(node.tagName) && !classes.some((name) => classNames.has(name))) return;
    breakTitle(node);
    return SKIP;
  });
};

function breakTitle(title: Element) {
  const text = toString(title);
  if (!HAN.test(text) || hasClauses(title)) return;
  const clauses = clauseRanges(text);
  const children: ElementContent[] = [];
  for (const [start, end] of clauses) {
    const content = slice(title.children, start, end);
    const breaks = wordBreaks(text.slice(start, end));
    insertBreaks(content, breaks);
    children.push({type: 'element', tagName: 'span', properties: {className: ['clause']}, children: content});
    if (end < text.length) children.push({type: 'element', tagName: 'wbr', properties: {}, children: []});
  }
  title.children = children;
}

function hasClauses(node: Element): boolean {
  return node.children.some((child) => child.type === 'element' && ((child.properties.className as string[] | undefined) ?? []).includes('clause'));
}

/** [start, end) offsets of the clauses of `text`, short ones joined to a neighbour. */
function clauseRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  const characters = [...text];
  let offset = 0;
  characters.forEach((character, index) => {
    offset += character.length;
    const next = characters[index + 1];
    if (CLAUSE_END.test(character) && next !== undefined && !CLAUSE_END.test(next) && !/\s/.test(next)) {
      ranges.push([start, offset]);
      start = offset;
    }
  });
  ranges.push([start, text.length]);
  const length = ([from, to]: [number, number]) => [...text.slice(from, to).trim()].length;
  const joined: [number, number][] = [];
  for (const range of ranges) {
    const previous = joined.at(-1);
    if (previous && (length(range) < MIN_CLAUSE || length(previous) < MIN_CLAUSE)) previous[1] = range[1];
    else joined.push([...range]);
  }
  return joined;
}

/**
 * Offsets inside a clause where a line may break: between two words of which at least one is Chinese,
 * and not so near the clause's ends that one or two characters would stand alone on a line.
 */
function wordBreaks(clause: string): number[] {
  const breaks: number[] = [];
  const total = [...clause].length;
  let offset = 0;
  let count = 0;
  const segments = words(clause);
  segments.forEach((word, index) => {
    offset += word.length;
    count += [...word].length;
    const next = segments[index + 1];
    if (next === undefined || count <= 2 || total - count <= 2) return;
    const last = [...word].at(-1)!;
    const first = [...next][0]!;
    if ((HAN.test(last) || HAN.test(first)) && !/\s/.test(last + first)) breaks.push(offset);
  });
  return breaks;
}

/** Deep copies of the content between text offsets `from` and `to` of `nodes`. */
function slice(nodes: ElementContent[], from: number, to: number): ElementContent[] {
  const result: ElementContent[] = [];
  let offset = 0;
  for (const node of nodes) {
    const length = toString(node as Element).length;
    const [start, end] = [Math.max(from - offset, 0), Math.min(to - offset, length)];
    if (start < end) {
      if (node.type === 'text') result.push({type: 'text', value: node.value.slice(start, end)});
      else if (node.type === 'element') result.push({...node, properties: {...node.properties}, children: slice(node.children, start, end)});
    } else if (length === 0 && offset >= from && offset < to && node.type === 'element') {
      result.push({...node, children: []});
    }
    offset += length;
  }
  return result;
}

/** Puts a <wbr> at each of `offsets` (text offsets within `nodes`), splitting text nodes. */
function insertBreaks(nodes: ElementContent[], offsets: number[]) {
  let offset = 0;
  const visitList = (list: ElementContent[]) => {
    for (let index = 0; index < list.length; index++) {
      const node = list[index]!;
      if (node.type === 'element') {
        if (node.tagName !== 'code') visitList(node.children);
        else offset += toString(node).length;
        continue;
      }
      if (node.type !== 'text') continue;
      const inside = offsets.filter((at) => at > offset && at < offset + node.value.length).map((at) => at - offset);
      offset += node.value.length;
      if (inside.length === 0) continue;
      const pieces: ElementContent[] = [];
      let last = 0;
      for (const at of inside) {
        pieces.push(text(node.value.slice(last, at)), {type: 'element', tagName: 'wbr', properties: {}, children: []});
        last = at;
      }
      pieces.push(text(node.value.slice(last)));
      list.splice(index, 1, ...pieces);
      index += pieces.length - 1;
    }
  };
  visitList(nodes);
}

function text(value: string): Text {
  return {type: 'text', value};
}

export default rehypeTitleBreaks;
