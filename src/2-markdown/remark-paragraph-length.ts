// A paragraph far too long to set (a lost blank line, a pasted file) is an error that keeps the build
// quick and bounded; one merely long enough to lose readers is a warning.
import type {Root} from 'mdast';
import {toString} from 'mdast-util-to-string';
import type {Plugin} from 'unified';
import {SKIP, visit} from 'unist-util-visit';
import {reportError, reportWarning} from '../messages.js';

export interface ParagraphLengthOptions {
  /** Characters above which a paragraph is reported as an error. */
  max?: number;
  /** Characters above which a paragraph is reported as a warning. */
  warn?: number;
}

const remarkParagraphLength: Plugin<[ParagraphLengthOptions?], Root> = (options = {}) => {
  const max = options.max ?? 100_000;
  const warn = options.warn ?? 1_500;
  return (tree, file) => {
    visit(tree, 'paragraph', (node) => {
      const length = [...toString(node)].length;
      const count = length.toLocaleString('en');
      if (length > max) {
        reportError(file, `a paragraph of ${count} characters (the limit is ${max.toLocaleString('en')})`, node, 'paragraph-length', 'Is a blank line missing between paragraphs?');
      } else if (length > warn) {
        reportWarning(file, `a very long paragraph (${count} characters)`, node, 'paragraph-length', 'Readers lose their way in paragraphs this long: consider splitting it.');
      }
      return SKIP;
    });
  };
};

export default remarkParagraphLength;
