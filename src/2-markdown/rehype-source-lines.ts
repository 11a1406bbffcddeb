// Every block of the HTML says where it comes from in the chapter file (`data-source="line:column"`), so
// that what is found only once the page is laid out — a table or an address wider than the text block —
// is reported at its place in the manuscript. The EPUB leaves the attribute out.
import type {Element, Root} from 'hast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';

const BLOCKS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'figure', 'table', 'blockquote', 'pre', 'ul', 'ol', 'li', 'dl', 'aside', 'section', 'div', 'hr']);

export const SOURCE_ATTRIBUTE = 'data-source';

const rehypeSourceLines: Plugin<[], Root> = () => (tree) => {
  visit(tree, 'element', (node: Element) => {
    const start = node.position?.start;
    if (BLOCKS.has(node.tagName) && start) node.properties.dataSource = `${start.line}:${start.column}`;
  });
};

export default rehypeSourceLines;
