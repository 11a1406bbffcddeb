// Every section heading gets an id that is unique in the whole book, ASCII and a valid XML name (EPUB
// fragment links and the PDF outline need that; slugs of Chinese headings are neither). The order
// number keeps ids stable while the wording of a heading is still being edited.
import type {Root} from 'hast';
import {headingRank} from 'hast-util-heading-rank';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';

export interface HeadingIdsOptions {
  /** The chapter id, which makes the ids unique across chapters: `case-01-linping-s2`. */
  prefix: string;
}

const rehypeHeadingIds: Plugin<[HeadingIdsOptions], Root> = (options) => (tree) => {
  let count = 0;
  visit(tree, 'element', (node) => {
    if (!headingRank(node) || node.properties.id) return;
    node.properties.id = `${options.prefix}-s${++count}`;
  });
};

export default rehypeHeadingIds;
