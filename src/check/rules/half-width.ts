// half-width-punctuation: , . ; : ? ! ( ) in Chinese text are ，。；：？！（） (GB/T 15834, clreq §3.1).
// Numbers (6.4%, 3:1, 1,000), English sentences and addresses keep theirs: only marks that touch
// Chinese are flagged (see context.ts).
import {LINE_BREAK, SPACE} from '../characters.js';
import {hasHan, inChineseText} from '../context.js';
import type {Unit} from '../units.js';
import type {Finding, Rule} from './rule.js';

const FULL_WIDTH: Record<string, string> = {',': '，', '.': '。', ';': '；', ':': '：', '?': '？', '!': '！', '(': '（', ')': '）'};

const NAMES: Record<string, string> = {
  ',': 'comma',
  '.': 'full stop',
  ';': 'semicolon',
  ':': 'colon',
  '?': 'question mark',
  '!': 'exclamation mark',
  '(': 'parenthesis',
  ')': 'parenthesis',
};

export const halfWidthPunctuation: Rule = {
  id: 'half-width-punctuation',
  check(unit) {
    const flagged = [...sentenceMarks(unit), ...parentheses(unit)];
    return flagged.sort((a, b) => a - b).map((index): Finding => {
      const char = unit.glyphs[index]!.char;
      return {
        start: index,
        end: index + 1,
        reason: `half-width ${NAMES[char]} “${char}” in Chinese text: use “${FULL_WIDTH[char]}”`,
        replacement: FULL_WIDTH[char],
      };
    });
  },
};

function sentenceMarks(unit: Unit): number[] {
  const flagged: number[] = [];
  unit.glyphs.forEach((glyph, index) => {
    if (glyph.protected || !',.;:?!'.includes(glyph.char)) return;
    // Two or more full stops are an ellipsis, the ellipsis rule's business.
    if (glyph.char === '.' && (unit.glyphs[index - 1]?.char === '.' || unit.glyphs[index + 1]?.char === '.')) return;
    if (glyph.char === '.' && isOrdinal(unit, index)) return;
    if (inChineseText(unit, index, index + 1)) flagged.push(index);
  });
  return flagged;
}

/**
 * `1.发展` opening a paragraph or an item: the point after an Arabic ordinal is not a full stop and is
 * left as written (a number that ends a sentence, `提升了35%.`, follows Chinese instead).
 */
function isOrdinal(unit: Unit, index: number): boolean {
  let first = index;
  while (first > 0 && /\d/.test(unit.glyphs[first - 1]!.char)) first--;
  const before = unit.glyphs[first - 1]?.char ?? '';
  const after = unit.glyphs[index + 1]?.char ?? '';
  return first < index && after !== '' && (before === '' || SPACE.test(before) || LINE_BREAK.test(before));
}

/**
 * Parentheses change as a pair, so that a fix never leaves “（…)”: a pair is Chinese when either
 * parenthesis touches Chinese or Chinese is inside it.
 */
function parentheses(unit: Unit): number[] {
  const flagged: number[] = [];
  const open: number[] = [];
  const single = (index: number) => inChineseText(unit, index, index + 1, {afterWord: unit.glyphs[index]!.char === ')'});
  unit.glyphs.forEach((glyph, index) => {
    if (glyph.protected) return;
    if (glyph.char === '(') open.push(index);
    if (glyph.char !== ')') return;
    const opening = open.pop();
    if (opening === undefined) {
      if (single(index)) flagged.push(index);
    } else if (single(opening) || single(index) || hasHan(unit, opening + 1, index)) {
      flagged.push(opening, index);
    }
  });
  for (const index of open) if (single(index)) flagged.push(index);
  return flagged;
}
