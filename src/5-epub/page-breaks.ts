// Print page equivalents: a page-break marker where each page of the print PDF begins, found by the text
// the page begins with, so that a reader citing “p. 17” finds the passage the printed page 17 starts with.
import type {Element, Root, Text} from 'hast';
import {visit} from 'unist-util-visit';

export interface PageStart {
  label: string;
  /** The first characters the page prints (from the PDF). */
  text: string;
}

/** Whitespace and emphasis dots are not in the text the way the PDF has them. */
const IGNORED = /[\s\u25CF]/;

/**
 * Inserts `<span epub:type="pagebreak" role="doc-pagebreak" id="page-…">` into `tree` before the text
 * each page begins with, searching forward from the previous page. Returns the labels it placed.
 */
export function insertPageBreaks(tree: Root, pages: PageStart[]): string[] {
  const characters: {node: Text; offset: number}[] = [];
  let text = '';
  visit(tree, 'text', (node: Text) => {
    for (let offset = 0; offset < node.value.length; offset++) {
      if (IGNORED.test(node.value[offset]!)) continue;
      characters.push({node, offset});
      text += node.value[offset];
    }
  });

  const insertions: {node: Text; offset: number; label: string}[] = [];
  let cursor = 0;
  for (const page of pages) {
    const wanted = [...page.text].filter((character) => !IGNORED.test(character)).join('');
    const found = locate(text, wanted, cursor);
    if (found === undefined) continue;
    const at = characters[found];
    if (!at) continue;
    insertions.push({...at, label: page.label});
    cursor = found;
  }

  // Split each text node from its end, so that earlier offsets stay valid.
  const byNode = new Map<Text, {offset: number; label: string}[]>();
  for (const insertion of insertions) (byNode.get(insertion.node) ?? byNode.set(insertion.node, []).get(insertion.node)!).push(insertion);
  visit(tree, (node, index, parent) => {
    if (node.type !== 'text' || !parent || index === undefined) return;
    const points = byNode.get(node as Text);
    if (!points) return;
    const value = (node as Text).value;
    const pieces: (Text | Element)[] = [];
    let start = 0;
    for (const point of points.sort((a, b) => a.offset - b.offset)) {
      if (point.offset > start) pieces.push({type: 'text', value: value.slice(start, point.offset)});
      pieces.push(marker(point.label));
      start = point.offset;
    }
    if (start < value.length) pieces.push({type: 'text', value: value.slice(start)});
    parent.children.splice(index, 1, ...(pieces as typeof parent.children));
    return index + pieces.length;
  });
  return insertions.map((insertion) => insertion.label);
}

/**
 * Where `wanted` (a page's first characters) starts in `text`, at or after `from`. The two differ a
 * little: print shows what the stylesheet generates (list numbers, the 〔待查： of a query) and hides
 * what the screen needs (footnote back-links), so the match allows characters missing on either side.
 */
function locate(text: string, wanted: string, from: number): number | undefined {
  const probe = wanted.slice(0, 12);
  // A match of the page's very first character is preferred; only then may leading characters (made by
  // the stylesheet) be missing from the text.
  for (let skip = 0; skip < Math.min(6, probe.length); skip++) {
    const rest = probe.slice(skip);
    for (let position = text.indexOf(rest[0]!, from); position >= 0; position = text.indexOf(rest[0]!, position + 1)) {
      if (matches(text, position, rest) >= Math.min(8, rest.length)) return position;
    }
  }
  return undefined;
}

/** How many characters of `probe` appear in order in `text` from `position`, stepping over one-off extras on either side. */
function matches(text: string, position: number, probe: string): number {
  let count = 0;
  for (let t = position, p = 0; p < probe.length && t < text.length; ) {
    if (text[t] === probe[p]) [count, t, p] = [count + 1, t + 1, p + 1];
    else if (text[t + 1] === probe[p]) t++;
    else p++;
  }
  return count;
}

function marker(label: string): Element {
  return {
    type: 'element',
    tagName: 'span',
    properties: {'epub:type': 'pagebreak', role: 'doc-pagebreak', id: `page-${label}`, ariaLabel: label},
    children: [],
  };
}
