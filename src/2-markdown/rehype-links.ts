// Every link goes somewhere that exists and is safe: web and mail addresses are kept; `#anchor` must name
// an element of the chapter; a link to another chapter's file (`02-case.md`) becomes a link to that
// chapter in the book; anything else — `javascript:`, `data:`, a file that is not a chapter, a missing
// anchor — is an error at the link, never something that silently reaches the outputs.
import path from 'node:path';
import type {Element, Root} from 'hast';
import type {Plugin} from 'unified';
import {visit} from 'unist-util-visit';
import {decodePercent} from '../files.js';
import {reportError} from '../messages.js';

export interface LinksOptions {
  /** The book's chapter files (absolute paths) and their ids. */
  chapters: Map<string, string>;
}

const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:', 'tel:']);

const rehypeLinks: Plugin<[LinksOptions], Root> = (options) => (tree, file) => {
  const ids = new Set<string>();
  visit(tree, 'element', (node: Element) => {
    if (node.properties.id) ids.add(String(node.properties.id));
  });
  visit(tree, 'element', (node: Element) => {
    if (node.tagName !== 'a' || node.properties.href === undefined) return;
    const href = String(node.properties.href);
    const fail = (reason: string, hint?: string) => reportError(file, reason, node, 'link', hint);
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(href)?.[1]?.toLowerCase();
    if (scheme) {
      if (!SAFE_SCHEMES.has(scheme)) fail(`a link to “${href}”: only http, https, mailto and tel links are allowed`);
      return;
    }
    if (href.startsWith('//')) {
      fail(`a link to “${href}” without its scheme`, 'Write https://….');
      return;
    }
    // Shown and resolved as written: the HTML has the link percent-encoded (#概述 as #%E6%A6%82%E8%BF%B0).
    const [target = '', fragment] = href.split('#', 2).map((part) => decodePercent(part) ?? part);
    if (decodePercent(href) === undefined) {
      fail(`a link to “${target}${fragment === undefined ? '' : `#${fragment}`}” has a malformed %-escape`, 'Write the address as it is (Chinese characters need no escapes); a “%” alone is written %25.');
      return;
    }
    if (!target) {
      if (!fragment || !ids.has(fragment)) fail(`a link to “#${fragment ?? ''}”, which is nowhere in this chapter`);
      return;
    }
    const chapter = options.chapters.get(path.resolve(path.dirname(file.path), target));
    if (!chapter) {
      fail(`a link to “${target}”, which is not a chapter of the book`, 'Link to a chapter’s .md file, for example ../cases/02-case.md.');
    } else if (fragment) {
      fail(`a link into another chapter (“#${fragment}”): link to the chapter itself`);
    } else {
      node.properties.href = `#${chapter}`;
    }
  });
};

export default rehypeLinks;
