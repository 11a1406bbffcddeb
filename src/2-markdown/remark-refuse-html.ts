// Raw HTML in a manuscript would be dropped silently by remark-rehype or, worse, reach the outputs.
// Refuse it with a positioned error and say what to write instead.
import type {Html, Root} from 'mdast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError} from '../messages.js';

const remarkRefuseHtml: Plugin<[], Root> = () => (tree, file) => {
  visit(tree, 'html', (node: Html) => {
    const snippet = node.value.length > 40 ? `${node.value.slice(0, 40)}…` : node.value;
    reportError(file, `raw HTML is not allowed in the manuscript: ${snippet}`, node, 'no-raw-html',
      'Use Markdown or a directive (::figure, :::commentary, :query) instead.');
  });
};

export default remarkRefuseHtml;
