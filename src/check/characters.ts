// The character classes the punctuation rules reason with. Han and the CJK block come from the
// Markdown stage, so the checker and the typesetting agree on what counts as Chinese.
import {CJK, HAN} from '../2-markdown/cjk.js';

export {HAN};

/** Stands for what is not text in a unit (inline code, an image, a query): neither Chinese nor a mark. */
export const ATOM = '\uFFFC';

/** A soft line break: the build joins the lines, so rules look through it. */
export const LINE_BREAK = /[\r\n]/;

/** Spaces a typist may put between words. Not U+3000: the ideographic space is set deliberately. */
export const SPACE = /[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f]/;

/** Marks that only Chinese (or Japanese) text uses: full-width forms and CJK punctuation. */
export const CJK_MARK = /[\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]/;

/**
 * Quotes and brackets, which sit between a mark and the word it belongs to: the comma in “经开区”),
 * follows 区 as far as language is concerned.
 */
export const QUOTE_OR_BRACKET = /["'“”‘’「」『』()（）《》〈〉【】[\]]/;

/** A Latin word, a number, a unit or an address, typed without spaces inside a Chinese sentence. */
export const WORD = new RegExp(`[A-Za-z0-9%‰°.+\\-_/#&@:${ATOM}]`);

/** Every punctuation mark of Chinese text, the ones English shares (“ ” ‘ ’ … — ·) included. */
export function isFullWidthMark(char: string): boolean {
  return CJK.test(char) && !HAN.test(char) && !/[\p{L}\p{N}\u3000]/u.test(char);
}

/** ' or ’ between two letters or digits is an apostrophe (don't, O'Brien, 5'10), not a quotation mark. */
export function isApostropheBetween(before: string, after: string): boolean {
  const latin = /[\p{Script=Latin}\p{N}]/u;
  return latin.test(before) && latin.test(after);
}
