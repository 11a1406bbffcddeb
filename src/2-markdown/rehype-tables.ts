// Tables fit for every output. Screen readers announce a cell with its headers when header cells say
// what they head: the cells of a GFM table's header row (<thead>) head columns, a header cell elsewhere
// heads its row. Column alignment (`---:`) becomes a class: the `align` attribute is not valid in EPUB.
// Each table is wrapped in a <div class="table">: the box that is kept on one page, moved to the next,
// and padded to whole lines in print (a table with collapsed borders takes no padding), and that an
// e-reader may scroll sideways.
import type {Element, Root} from 'hast';
import type {Plugin} from 'unified';
import {SKIP, visit} from 'unist-util-visit';

const rehypeTables: Plugin<[], Root> = () => (tree) => {
  const setScope = (within: Element | Root, scope: 'col' | 'row') =>
    visit(within, 'element', (node: Element) => {
      if (node.tagName === 'th' && !node.properties.scope) node.properties.scope = scope;
    });
  visit(tree, 'element', (node: Element) => {
    if (node.tagName !== 'thead') return;
    setScope(node, 'col');
    return SKIP;
  });
  setScope(tree, 'row');

  visit(tree, 'element', (node: Element) => {
    if ((node.tagName !== 'th' && node.tagName !== 'td') || !node.properties.align) return;
    const className = (node.properties.className as string[] | undefined) ?? [];
    node.properties.className = [...className, `align-${String(node.properties.align)}`];
    delete node.properties.align;
  });

  visit(tree, 'element', (node: Element, index, parent) => {
    if (node.tagName !== 'table' || !parent || index === undefined) return;
    parent.children[index] = {type: 'element', tagName: 'div', properties: {className: ['table']}, children: [node], position: node.position};
    return SKIP;
  });
};

export default rehypeTables;
