// clreq: Chinese text is emphasised with dots under the characters (着重号), never with slanted
// glyphs, which CJK fonts do not have (Chromium would fake them). Emphasis that holds Han characters is
// marked for the stylesheet; Latin-only emphasis keeps its own style.
import type {Root} from 'hast';
import {toString} from 'hast-util-to-string';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {HAN} from './cjk.js';

const rehypeEmphasisDots: Plugin<[], Root> = () => (tree) => {
  visit(tree, 'element', (node) => {
    if (node.tagName !== 'em') return;
    const className = HAN.test(toString(node)) ? 'emphasis-dots' : 'emphasis-latin';
    node.properties.className = [...((node.properties.className as string[] | undefined) ?? []), className];
  });
};

export default rehypeEmphasisDots;
