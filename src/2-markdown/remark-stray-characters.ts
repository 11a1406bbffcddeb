// Control characters, a byte-order mark inside the text and noncharacters (src/stray-characters.ts)
// are taken out of the chapter's text, each reported where it was; U+FFFD is reported and kept. The
// frontmatter was checked with the rest of the YAML (stage 1).
import type {Root} from 'mdast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {hasStrayCharacters, reportStrayCharacters, withoutStrayCharacters} from '../stray-characters.js';

const remarkStrayCharacters: Plugin<[], Root> = () => (tree, file) => {
  const source = String(file.value);
  const frontmatter = tree.children[0]?.type === 'yaml' ? tree.children[0].position?.end.offset ?? 0 : 0;
  const body = source.slice(frontmatter);
  reportStrayCharacters(file, body, frontmatter);
  if (!hasStrayCharacters(body)) return;
  visit(tree, (node) => {
    if (node.type === 'yaml') return;
    const fields = node as unknown as Record<string, unknown>;
    for (const field of ['value', 'alt', 'title', 'url']) {
      const value = fields[field];
      if (typeof value !== 'string') continue;
      // The parser reads a NUL as U+FFFD (CommonMark): where the source had one, that � goes too.
      const slice = node.position ? source.slice(node.position.start.offset, node.position.end.offset) : '';
      fields[field] = withoutStrayCharacters(slice.includes('\0') ? value.replaceAll('\uFFFD', '') : value);
    }
  });
};

export default remarkStrayCharacters;
