// Text in Unicode's composed form (NFC) before it is typeset: an accent typed or pasted as a separate
// combining mark (e + U+0301, as macOS and copies from PDFs give them) prints beside its letter in the
// book's faces, and the same word would be two words to a search. The source file is left as it is, and
// nodes keep their positions in it. URLs and image paths are left alone: a file's name is what it is.
import type {Root} from 'mdast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';

/** Directive attributes that name files. */
const PATH_ATTRIBUTES = new Set(['src']);

const remarkNormalizeUnicode: Plugin<[], Root> = () => (tree) => {
  visit(tree, (node) => {
    if (node.type === 'yaml') return;
    if ('value' in node && typeof node.value === 'string') node.value = node.value.normalize('NFC');
    if ('alt' in node && typeof node.alt === 'string') node.alt = node.alt.normalize('NFC');
    if ('title' in node && typeof node.title === 'string') node.title = node.title.normalize('NFC');
    if ('attributes' in node && node.attributes) {
      const attributes = node.attributes as Record<string, string | null | undefined>;
      for (const [name, value] of Object.entries(attributes)) {
        if (typeof value === 'string' && !PATH_ATTRIBUTES.has(name)) attributes[name] = value.normalize('NFC');
      }
    }
  });
};

export default remarkNormalizeUnicode;
