// `:query[question]` marks a place the editors must check against the source (a passage lost at a
// page break, a doubtful character). It is shown in the proof and reported with its position; in a
// `--final` build an open query is an error.
import type {Root} from 'mdast';
import type {TextDirective} from 'mdast-util-directive';
import {toString} from 'mdast-util-to-string';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError, reportWarning} from '../messages.js';

export interface EditorialQueryOptions {
  final?: boolean;
}

const remarkEditorialQuery: Plugin<[EditorialQueryOptions?], Root> = (options = {}) => (tree, file) => {
  visit(tree, 'textDirective', (node: TextDirective) => {
    if (node.name !== 'query') return;
    const question = toString(node).trim();
    const report = options.final ? reportError : reportWarning;
    report(file, `editorial query: ${question || '(no question written)'}`, node, 'editorial-query',
      'Resolve it in the text and remove the :query[…] mark.');
    node.data = {hName: 'span', hProperties: {className: ['editorial-query'], role: 'note'}};
  });
};

export default remarkEditorialQuery;
