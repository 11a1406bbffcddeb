// The book is one HTML page: an id an editor gives a figure (`{id=fig1}`) in one case must not clash
// with the same id in another. Ids the editor gave are prefixed with the chapter's id, as the generated
// ones already are, and links to them inside the chapter follow; the same id given twice in one
// chapter is an error at the second.
import type {Element, Root} from 'hast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError} from '../messages.js';

export interface UniqueIdsOptions {
  /** The chapter's id. */
  prefix: string;
}

const rehypeUniqueIds: Plugin<[UniqueIdsOptions], Root> = (options) => (tree, file) => {
  const renamed = new Map<string, string>();
  visit(tree, 'element', (node: Element) => {
    const id = node.properties.id === undefined ? undefined : String(node.properties.id);
    if (!id || id.startsWith(`${options.prefix}-`)) return;
    if (renamed.has(id)) reportError(file, `the id “${id}” is given twice in this chapter`, node, 'duplicate-id');
    const unique = `${options.prefix}-${id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    renamed.set(id, unique);
    node.properties.id = unique;
  });
  // Everything that names an id follows it: links, and the ARIA references (a footnote reference is
  // described by the notes' heading).
  visit(tree, 'element', (node: Element) => {
    const href = node.tagName === 'a' ? node.properties.href : undefined;
    if (typeof href === 'string' && href.startsWith('#') && renamed.has(href.slice(1))) node.properties.href = `#${renamed.get(href.slice(1))}`;
    for (const property of REFERENCES) {
      const value = node.properties[property];
      if (value === undefined || value === null) continue;
      const ids = Array.isArray(value) ? value.map(String) : String(value).split(/\s+/);
      node.properties[property] = ids.map((id) => renamed.get(id) ?? id).join(' ');
    }
  });
};

const REFERENCES = ['ariaDescribedBy', 'ariaLabelledBy', 'ariaControls', 'ariaOwns', 'htmlFor', 'headers'];

export default rehypeUniqueIds;
