// The text the rules may read and change. Each paragraph, heading, table cell, directive label and
// chapter title or subtitle becomes a Unit: its characters, each knowing where it is in the source
// file. Code, HTML, link destinations, directive attributes and the rest of the frontmatter never
// become characters, so no rule can flag or change them.
import type {Nodes, PhrasingContent, Root, Text} from 'mdast';
import type {} from 'mdast-util-directive';
import {isScalar, parseDocument} from 'yaml';
import {ATOM, LINE_BREAK} from './characters.js';

export interface Glyph {
  /** One code point as the reader sees it (entities and escapes decoded), or ATOM. */
  char: string;
  /** Where the character is written in the source, [start, end); absent when it cannot be located. */
  source?: {start: number; end: number};
  /** Part of a URL, an e-mail address or directive syntax: context for its neighbours, never flagged. */
  protected?: boolean;
}

export interface Unit {
  glyphs: Glyph[];
}

/** The units of a chapter: its frontmatter title and subtitle, then its Markdown body. */
export function chapterUnits(tree: Root, source: string): Unit[] {
  return [...frontmatterUnits(tree, source), ...bodyUnits(tree, source)];
}

function bodyUnits(tree: Root, source: string): Unit[] {
  const units: Unit[] = [];
  const walk = (node: Nodes) => {
    switch (node.type) {
      case 'paragraph':
      case 'heading':
      case 'tableCell':
      case 'leafDirective':
        units.push(phrasingUnit(node.children, source, units));
        return;
      case 'code':
      case 'html':
      case 'yaml':
      case 'definition':
        return;
      default:
        if ('children' in node) for (const child of node.children) walk(child as Nodes);
    }
  };
  walk(tree);
  return units;
}

/**
 * One unit from inline content. Emphasis and links are transparent (`**强调**,` is one sentence);
 * what is not text becomes an ATOM; the label of a `:query[…]` is a unit of its own, since it is a
 * note inserted into the sentence, not part of it.
 */
function phrasingUnit(children: PhrasingContent[], source: string, units: Unit[]): Unit {
  const glyphs: Glyph[] = [];
  const add = (node: PhrasingContent) => {
    switch (node.type) {
      case 'text':
        glyphs.push(...textGlyphs(node, source));
        return;
      case 'emphasis':
      case 'strong':
      case 'delete':
      case 'linkReference':
        node.children.forEach(add);
        return;
      case 'link': {
        const before = glyphs.length;
        node.children.forEach(add);
        if (isAutolink(node, source)) for (const glyph of glyphs.slice(before)) glyph.protected = true;
        return;
      }
      case 'textDirective': {
        const raw = sourceOf(node, source);
        if (raw === undefined || looksLikeDirective(raw)) {
          glyphs.push({char: ATOM});
          units.push(phrasingUnit(node.children, source, units));
        } else {
          // `注意:abc`: remark-directive reads “:abc” as a directive, but the build prints it as written.
          glyphs.push(...align(raw, raw, node.position!.start.offset!));
        }
        return;
      }
      default:
        glyphs.push({char: ATOM});
    }
  };
  children.forEach(add);
  return protectLiterals({glyphs});
}

/** The same test as remark-literal-directives: `:name[…]` or `:name{…}` is meant as a directive. */
function looksLikeDirective(raw: string): boolean {
  return /^:[^\s[{]+[[{]/.test(raw);
}

/** `<https://…>` and bare URLs (GFM autolinks) have no `[label]`: their text is the address itself. */
function isAutolink(node: Nodes, source: string): boolean {
  const start = node.position?.start.offset;
  return start === undefined || source[start] !== '[';
}

function sourceOf(node: Nodes, source: string): string | undefined {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  return start === undefined || end === undefined ? undefined : source.slice(start, end);
}

function textGlyphs(node: Text, source: string): Glyph[] {
  const raw = sourceOf(node, source);
  if (raw === undefined) return [...node.value].map((char) => ({char}));
  return align(node.value, raw, node.position!.start.offset!);
}

const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/;
const ENTITY = /&(?:#\d{1,7}|#[xX][\da-fA-F]{1,6}|[A-Za-z][A-Za-z\d]{1,31});/y;
const SKIPPABLE = /[ \t\r\n>]/;

/**
 * Maps each character of `value` (a node's text as parsed) to where it is written in `raw` (that
 * node's source, starting at `offset` in the file). They differ where Markdown wrote a character
 * differently: an escape (`\*`), an entity (`&quot;`), a line prefix (`> `, indentation) or a line
 * break. An escaped character maps to escape and character together, so a fix replaces both; an
 * entity, a line break, and everything after a character that cannot be found, stays unlocated.
 */
export function align(value: string, raw: string, offset: number): Glyph[] {
  const glyphs: Glyph[] = [];
  let cursor = 0;
  let lost = false;
  let previous = '';
  for (const char of value) {
    // A CRLF kept in the value was passed whole with its \r.
    const crlf = char === '\n' && previous === '\r';
    previous = char;
    if (crlf) continue;
    const found = lost ? undefined : locate(char, raw, cursor);
    if (!found) {
      lost = true;
      glyphs.push({char});
      continue;
    }
    cursor = found.end;
    glyphs.push(found.exact ? {char, source: {start: offset + found.start, end: offset + found.end}} : {char: found.char});
  }
  return glyphs;
}

function locate(char: string, raw: string, from: number): {start: number; end: number; exact: boolean; char: string} | undefined {
  for (let at = from; at < raw.length; at++) {
    if (LINE_BREAK.test(char) || (char === ' ' && LINE_BREAK.test(raw[at]!))) {
      // A line break, or a YAML line fold read as a space: never changed, so it only has to be passed.
      const end = lineBreakEnd(raw, at);
      if (end !== undefined) return {start: at, end, exact: false, char: '\n'};
    }
    if (raw.startsWith(char, at)) return {start: at, end: at + char.length, exact: true, char};
    if (raw[at] === '\\' && ASCII_PUNCTUATION.test(char) && raw.startsWith(char, at + 1)) {
      return {start: at, end: at + 1 + char.length, exact: true, char};
    }
    ENTITY.lastIndex = at;
    const entity = ENTITY.exec(raw);
    if (entity) return {start: at, end: at + entity[0].length, exact: false, char};
    if (!SKIPPABLE.test(raw[at]!)) return undefined;
  }
  return undefined;
}

/** The end of the whitespace around a line break starting at `at`, or undefined if there is none. */
function lineBreakEnd(raw: string, at: number): number | undefined {
  const match = /^[ \t]*\r?\n[ \t>]*/.exec(raw.slice(at));
  return match ? at + match[0].length : undefined;
}

const ADDRESS = /\b(?:[a-z][a-z\d+.-]*:\/\/|www\.|mailto:)[!-~]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi;
// A directive's name and attributes written where the parser does not take them for a directive
// (`文字::figure[…]{…}` in mid-line) are still code to whoever moves them to a line of their own.
const ATTRIBUTES = /(:{1,3}[A-Za-z][\w-]*)(?:\[[^\]\n]*\])?(\{[^}\n]*\})/g;

/** URLs, e-mail addresses and directive syntax in the text are left as they are, like links. */
function protectLiterals(unit: Unit): Unit {
  const text = unit.glyphs.map((glyph) => glyph.char).join('');
  const glyphAt = new Map<number, number>();
  let index = 0;
  unit.glyphs.forEach((glyph, glyphIndex) => {
    glyphAt.set(index, glyphIndex);
    index += glyph.char.length;
  });
  /** Protects the glyphs of text[start, end). */
  const protect = (start: number, end: number) => {
    const last = glyphAt.get(end) ?? unit.glyphs.length;
    for (let glyph = glyphAt.get(start)!; glyph < last; glyph++) unit.glyphs[glyph]!.protected = true;
  };
  // As GFM does: a full stop or a comma after an address ends the sentence, not the address.
  for (const match of text.matchAll(ADDRESS)) protect(match.index, match.index + match[0].replace(/[.,;:!?)'"]+$/, '').length);
  for (const match of text.matchAll(ATTRIBUTES)) {
    const end = match.index + match[0].length;
    protect(match.index, match.index + match[1]!.length);
    protect(end - match[2]!.length, end);
  }
  return unit;
}

/** The chapter's `title` and `subtitle`, when they are plain text that can be located and changed safely. */
function frontmatterUnits(tree: Root, source: string): Unit[] {
  const node = tree.children[0];
  if (node?.type !== 'yaml' || node.position?.start.offset === undefined) return [];
  const textStart = source.indexOf('\n', node.position.start.offset) + 1;
  if (source.slice(textStart, textStart + node.value.length) !== node.value) return [];
  // Invalid YAML is reported by the manuscript stage; there is nothing reliable to check here.
  const doc = parseDocument(node.value);
  if (doc.errors.length > 0) return [];

  const units: Unit[] = [];
  for (const key of ['title', 'subtitle']) {
    const scalar = doc.get(key, true);
    if (!isScalar(scalar) || typeof scalar.value !== 'string' || !scalar.range) continue;
    let [start, end] = scalar.range;
    if (scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE') {
      start++;
      end--;
      // Inside quotes a character may stand for an escape ("\u201c", '') that a fix would break.
      if (node.value.slice(start, end) !== scalar.value) {
        units.push({glyphs: [...scalar.value].map((char) => ({char}))});
        continue;
      }
    } else if (scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED') {
      start = node.value.indexOf('\n', start) + 1;
    }
    units.push(protectLiterals({glyphs: align(scalar.value, node.value.slice(start, end), textStart + start)}));
  }
  return units;
}
