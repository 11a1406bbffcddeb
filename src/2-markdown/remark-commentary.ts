// `:::commentary{author="…" affiliation="…"}` … `:::` → the expert commentary that closes a case: a
// section of its own, set apart in type, signed at the end.
import type {Paragraph, Root} from 'mdast';
import type {ContainerDirective} from 'mdast-util-directive';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError} from '../messages.js';

const KNOWN_ATTRIBUTES = new Set(['author', 'affiliation', 'id']);

const remarkCommentary: Plugin<[], Root> = () => (tree, file) => {
  visit(tree, 'containerDirective', (node: ContainerDirective) => {
    if (node.name !== 'commentary') return;
    const attributes = node.attributes ?? {};
    for (const name of Object.keys(attributes)) {
      if (!KNOWN_ATTRIBUTES.has(name)) {
        reportError(file, `unknown commentary attribute “${name}”`, node, 'commentary-attribute', 'A commentary takes author and affiliation.');
      }
    }
    const author = attributes.author?.trim();
    if (!author) reportError(file, 'a commentary needs its author: :::commentary{author="…" affiliation="…"}', node, 'commentary-author');
    const affiliation = attributes.affiliation?.trim();

    const signature: Paragraph = {
      type: 'paragraph',
      data: {hName: 'p', hProperties: {className: ['signature']}},
      children: [
        ...(affiliation ? [{type: 'text' as const, value: affiliation, data: {hName: 'span', hProperties: {className: ['affiliation']}}}] : []),
        ...(affiliation && author ? [{type: 'text' as const, value: '\u3000'}] : []),
        ...(author ? [{type: 'text' as const, value: author, data: {hName: 'span', hProperties: {className: ['author']}}}] : []),
      ],
    };
    node.data = {hName: 'section', hProperties: {className: ['commentary'], id: attributes.id ?? undefined}};
    node.children = [...node.children, signature];
  });
};

export default remarkCommentary;
