// clreq: a 破折号 —— never starts a line. Unicode line breaking allows a break before it (class B2),
// and `line-break: strict` does not change that, so the dash is bound to the character before it:
// `<span class="nobreak">字——</span>`. When that character ends an element (`**强调**——`), the element
// and the dash are bound together; the stylesheet lets the element's own text wrap as usual
// (`.nobreak > * { white-space: normal }`): only the boundary before the dash is protected.
import type {Element, ElementContent, Root, Text} from 'hast';
import type {Plugin} from 'unified';
import {SKIP, visit} from 'unist-util-visit';

const DASH = /(\S?)(——+)/u;
const SKIPPED = new Set(['code', 'pre', 'script', 'style']);

const rehypeBindDashes: Plugin<[], Root> = () => (tree) => {
  visit(tree, 'element', (node: Element) => {
    if (SKIPPED.has(node.tagName) || isNobreak(node)) return SKIP;
    const children: ElementContent[] = [];
    for (const child of node.children) {
      if (child.type !== 'text' || !child.value.includes('——')) {
        children.push(child);
        continue;
      }
      let rest = child.value;
      for (let match = DASH.exec(rest); match; match = DASH.exec(rest)) {
        const [whole, before, dashes] = match;
        const head = rest.slice(0, match.index);
        if (head) children.push(text(head));
        const previous = children.at(-1);
        if (before) {
          children.push(nobreak([text(before + dashes!)]));
        } else if (previous && previous.type === 'element') {
          children.splice(-1, 1, nobreak([previous, text(dashes!)]));
        } else {
          children.push(text(dashes!));
        }
        rest = rest.slice(match.index + whole.length);
      }
      if (rest) children.push(text(rest));
    }
    node.children = children;
    return undefined;
  });
};

function isNobreak(node: Element): boolean {
  return node.tagName === 'span' && Array.isArray(node.properties.className) && node.properties.className.includes('nobreak');
}

function text(value: string): Text {
  return {type: 'text', value};
}

function nobreak(children: ElementContent[]): Element {
  return {type: 'element', tagName: 'span', properties: {className: ['nobreak']}, children};
}

export default rehypeBindDashes;
