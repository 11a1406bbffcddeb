// The chapter title comes from the frontmatter and is the only level-1 heading of a chapter; sections
// start at `##`. A `#` in the body would break the table of contents and the running heads.
import type {Heading, Root} from 'mdast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError} from '../messages.js';

const remarkChapterHeadings: Plugin<[], Root> = () => (tree, file) => {
  visit(tree, 'heading', (node: Heading) => {
    if (node.depth === 1) {
      reportError(file, 'a level-1 heading (#) in the text: the chapter title comes from the frontmatter', node,
        'heading-level', 'Use ## for sections and ### below them.');
    }
  });
};

export default remarkChapterHeadings;
