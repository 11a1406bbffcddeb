// A line break inside a paragraph is only a break in the source file. Between Chinese characters it
// must vanish (an HTML space would show as a gap in the middle of a sentence); between two Latin
// words it is a word space.
import type {Parent, PhrasingContent, Root, Text} from 'mdast';
import {toString} from 'mdast-util-to-string';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {CJK} from './cjk.js';

const SOFT_BREAK = /[ \t]*\r?\n[ \t]*/g;

const remarkCjkLineJoin: Plugin<[], Root> = () => (tree) => {
  visit(tree, (node) => {
    if (!('children' in node)) return;
    const children = (node as Parent).children as PhrasingContent[];
    children.forEach((child, index) => {
      if (child.type !== 'text' || !child.value.includes('\n')) return;
      const before = characterBefore(toString(children[index - 1]), Infinity);
      const after = characterAt(toString(children[index + 1]), 0);
      joinLines(child, before, after);
    });
  });
};

function joinLines(node: Text, before: string, after: string) {
  node.value = node.value.replace(SOFT_BREAK, (match, offset: number, whole: string) => {
    const previous = offset > 0 ? characterBefore(whole, offset) : before;
    const next = offset + match.length < whole.length ? characterAt(whole, offset + match.length) : after;
    if (previous === '' && next === '') return match;
    return CJK.test(previous) || CJK.test(next) ? '' : ' ';
  });
}

/** The code point that ends just before `index` (surrogate pairs kept whole). */
function characterBefore(text: string, index: number): string {
  const end = Math.min(index, text.length);
  const code = text.charCodeAt(end - 1);
  return code >= 0xdc00 && code <= 0xdfff ? text.slice(end - 2, end) : text.slice(end - 1, end);
}

function characterAt(text: string, index: number): string {
  const code = text.codePointAt(index);
  return code === undefined ? '' : String.fromCodePoint(code);
}

export default remarkCjkLineJoin;
