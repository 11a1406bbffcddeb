// remark-directive reads any `:name` as a text directive, so “3:1” or a half-width colon before a
// Chinese word would vanish from the book. Text directives we do not know go back to the exact source
// text; an unknown block directive (`::name`, `:::name`) is a mistake and reported.
import type {Root, Text} from 'mdast';
import type {ContainerDirective, LeafDirective, TextDirective} from 'mdast-util-directive';
import type {Plugin} from 'unified';
import {SKIP, visit} from 'unist-util-visit';
import {closest, reportError, reportWarning} from '../messages.js';

export interface LiteralDirectivesOptions {
  /** Directive names handled by the plugins before this one. */
  known: {text: string[]; block: string[]};
}

type AnyDirective = TextDirective | LeafDirective | ContainerDirective;

const remarkLiteralDirectives: Plugin<[LiteralDirectivesOptions], Root> = (options) => (tree, file) => {
  const source = String(file.value);
  visit(tree, (node, index, parent) => {
    if (node.type !== 'textDirective' && node.type !== 'leafDirective' && node.type !== 'containerDirective') return;
    const directive = node as AnyDirective;
    const isText = directive.type === 'textDirective';
    const known = isText ? options.known.text : options.known.block;
    if (known.includes(directive.name)) return;

    const suggestion = closest(directive.name, known);
    const hint = suggestion ? `Did you mean “${suggestion}”?` : undefined;
    if (!isText) {
      const marker = directive.type === 'leafDirective' ? '::' : ':::';
      reportError(file, `unknown directive “${marker}${directive.name}”`, directive, 'unknown-directive',
        hint ?? `Known: ${known.map((name) => marker + name).join(', ')}.`);
      return SKIP;
    }
    const start = directive.position?.start.offset;
    const end = directive.position?.end.offset;
    if (start === undefined || end === undefined || !parent || index === undefined) return;
    const raw = source.slice(start, end);
    // `:name[…]` or `:name{…}` looks meant as a directive; a bare `:1` in “3:1” does not.
    if (/^:[^\s[{]+[[{]/.test(raw)) {
      reportWarning(file, `“:${directive.name}” is not a known directive, so it is printed as written`, directive,
        'unknown-directive', hint ?? 'Known: :query[…].');
    }
    const text: Text = {type: 'text', value: raw, position: directive.position};
    parent.children.splice(index, 1, text);
    return [SKIP, index];
  });
};

export default remarkLiteralDirectives;
