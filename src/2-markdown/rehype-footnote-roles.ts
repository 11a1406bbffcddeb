// Footnotes announced as such by assistive technology and reading systems (DPUB-ARIA roles): the
// reference in the text, the notes section, the link back.
import type {Element, Root} from 'hast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';

const rehypeFootnoteRoles: Plugin<[], Root> = () => (tree) => {
  visit(tree, 'element', (node: Element) => {
    if (node.tagName === 'a' && node.properties.dataFootnoteRef !== undefined) node.properties.role = 'doc-noteref';
    else if (node.tagName === 'a' && node.properties.dataFootnoteBackref !== undefined) node.properties.role = 'doc-backlink';
    else if (node.tagName === 'section' && node.properties.dataFootnotes !== undefined) node.properties.role = 'doc-endnotes';
  });
};

export default rehypeFootnoteRoles;
