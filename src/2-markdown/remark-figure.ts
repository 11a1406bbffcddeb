// `::figure[caption]{src="../images/x.jpg" alt="…"}` → <figure> with image and caption.
// Without `src` the figure is a visible placeholder (the photo is still to come) and a warning, an
// error in a `--final` build, so that no book goes to print with a hole in it.
import type {Paragraph, PhrasingContent, Root} from 'mdast';
import type {LeafDirective} from 'mdast-util-directive';
import {toString} from 'mdast-util-to-string';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {reportError, reportWarning} from '../messages.js';

export interface FigureOptions {
  /** Treat a placeholder as an error (the build sent to print). */
  final?: boolean;
}

const KNOWN_ATTRIBUTES = new Set(['src', 'alt', 'id', 'class']);

const remarkFigure: Plugin<[FigureOptions?], Root> = (options = {}) => (tree, file) => {
  visit(tree, 'leafDirective', (node: LeafDirective) => {
    if (node.name !== 'figure') return;
    const attributes = node.attributes ?? {};
    const caption = toString(node).trim();
    for (const name of Object.keys(attributes)) {
      if (!KNOWN_ATTRIBUTES.has(name)) reportError(file, `unknown figure attribute “${name}”`, node, 'figure-attribute', 'A figure takes src and alt.');
    }
    if (!caption) reportError(file, 'a figure needs a caption: ::figure[caption]{src="…" alt="…"}', node, 'figure-caption');

    const src = attributes.src?.trim();
    let media: PhrasingContent | Paragraph;
    if (src) {
      let alt = attributes.alt?.trim();
      if (!alt) {
        reportWarning(file, `figure “${caption}” has no alt text; the caption is used instead`, node, 'figure-alt',
          'Describe what the photo shows in alt="…" for readers who cannot see it.');
        alt = caption;
      }
      media = {type: 'image', url: src, alt, position: node.position};
    } else {
      const report = options.final ? reportError : reportWarning;
      report(file, `figure “${caption}” has no image yet (placeholder)`, node, 'figure-placeholder',
        'Add the photo with src="../images/…" when it arrives.');
      media = {
        type: 'paragraph',
        data: {hName: 'div', hProperties: {className: ['figure-placeholder'], role: 'img', ariaLabel: `图片待补：${caption}`}},
        children: [{type: 'text', value: '图片待补'}],
      };
    }

    const captionNode: Paragraph = {type: 'paragraph', data: {hName: 'figcaption'}, children: node.children};
    node.data = {hName: 'figure', hProperties: {className: src ? ['figure'] : ['figure', 'placeholder'], id: attributes.id ?? undefined}};
    node.children = [media, captionNode] as LeafDirective['children'];
  });
};

export default remarkFigure;
