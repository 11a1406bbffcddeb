// The chapter title comes from the frontmatter and is the only level-1 heading of a chapter; sections
// start at `##`. A `#` in the body would break the table of contents and the running heads; a heading
// with no text would be an empty entry there, in the bookmarks and in the EPUB's navigation.
import type {Heading, Root} from 'mdast';
import {toString} from 'mdast-util-to-string';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError} from '../messages.js';

const remarkChapterHeadings: Plugin<[], Root> = () => (tree, file) => {
  visit(tree, 'heading', (node: Heading) => {
    if (node.depth === 1) {
      reportError(file, 'a level-1 heading (#) in the text: the chapter title comes from the frontmatter', node,
        'heading-level', 'Use ## for sections and ### below them.');
    }
    if (toString(node).trim() === '') {
      reportError(file, 'a heading with no text', node, 'empty-heading', 'Write the section title after the #s, or remove the line.');
    }
  });
};

export default remarkChapterHeadings;
