// Quotation marks and brackets (GB/T 15834 §4.5–4.6, clreq §3.1.4): mainland Chinese quotes with
// “ ” outside and ‘ ’ inside, never with straight quotes or corner brackets, and every opening mark
// is closed in the same paragraph, inner pairs before outer ones.
import {isApostropheBetween, SPACE} from '../characters.js';
import {hasHan, inChineseText} from '../context.js';
import type {Unit} from '../units.js';
import type {Finding, Rule} from './rule.js';

export const straightQuote: Rule = {
  id: 'straight-quote',
  check(unit) {
    return [...pairStraight(unit, '"', '“', '”'), ...pairStraight(unit, "'", '‘', '’')].sort((a, b) => a.start - b.start);
  },
};

/**
 * Straight quotes carry no direction, so they are paired in order within the paragraph: first opens,
 * second closes. A pair is Chinese when either quote touches Chinese or Chinese is quoted; an English
 * quotation in the same paragraph keeps its quotes.
 */
function pairStraight(unit: Unit, straight: string, opening: string, closing: string): Finding[] {
  const quotes = unit.glyphs.flatMap((glyph, index) =>
    glyph.char === straight && !glyph.protected && !(straight === "'" && isApostrophe(unit, index)) ? [index] : [],
  );
  const findings: Finding[] = [];
  const flag = (index: number, replacement: string) =>
    findings.push({start: index, end: index + 1, reason: `straight quotation mark ${straight} in Chinese text: use ${replacement}`, replacement});
  for (let at = 0; at + 1 < quotes.length; at += 2) {
    const [first, second] = [quotes[at]!, quotes[at + 1]!];
    if (inChineseText(unit, first, first + 1) || inChineseText(unit, second, second + 1) || hasHan(unit, first + 1, second)) {
      flag(first, opening);
      flag(second, closing);
    }
  }
  if (quotes.length % 2 === 1) {
    const last = quotes.at(-1)!;
    if (inChineseText(unit, last, last + 1)) flag(last, opensQuotation(unit, last, opening, closing) ? opening : closing);
  }
  return findings;
}

function isApostrophe(unit: Unit, index: number): boolean {
  return isApostropheBetween(unit.glyphs[index - 1]?.char ?? '', unit.glyphs[index + 1]?.char ?? '');
}

/**
 * A quote without a partner closes when nothing but a pause follows it (`竞争力。"`) or when a curly
 * quotation is open before it (`说“你好"`); otherwise it opens one.
 */
function opensQuotation(unit: Unit, index: number, opening: string, closing: string): boolean {
  const after = unit.glyphs[index + 1]?.char ?? '';
  if (after === '' || SPACE.test(after) || /[，。、；：？！”’）》]/.test(after)) return false;
  let depth = 0;
  for (const glyph of unit.glyphs.slice(0, index)) {
    if (glyph.char === opening) depth++;
    else if (glyph.char === closing && depth > 0) depth--;
  }
  return depth === 0;
}

const CORNER: Record<string, string> = {'「': '“', '」': '”', '『': '‘', '』': '’'};

export const quoteStyle: Rule = {
  id: 'quote-style',
  check(unit) {
    return unit.glyphs.flatMap((glyph, index): Finding[] => {
      const replacement = glyph.protected ? undefined : CORNER[glyph.char];
      if (!replacement) return [];
      return [{start: index, end: index + 1, reason: `corner bracket ${glyph.char} is not used in Simplified Chinese: use ${replacement}`, replacement}];
    });
  },
};

const CLOSING_OF: Record<string, string> = {'“': '”', '‘': '’', '（': '）', '《': '》', '〈': '〉', '【': '】'};
const OPENING_OF: Record<string, string> = Object.fromEntries(Object.entries(CLOSING_OF).map(([open, close]) => [close, open]));

export const unbalancedMark: Rule = {
  id: 'unbalanced-mark',
  check(unit) {
    const findings: Finding[] = [];
    const flag = (index: number, reason: string) =>
      findings.push({start: index, end: index + 1, reason, hint: 'Add the missing mark or remove the stray one: --fix cannot guess which.'});
    const open: number[] = [];
    unit.glyphs.forEach((glyph, index) => {
      if (glyph.protected) return;
      if (CLOSING_OF[glyph.char]) {
        open.push(index);
        return;
      }
      const opening = OPENING_OF[glyph.char];
      // ’ between letters is an apostrophe (Wi-Fi’s), not the end of a quotation.
      if (!opening || (glyph.char === '’' && isApostrophe(unit, index))) return;
      let depth = open.length - 1;
      while (depth >= 0 && unit.glyphs[open[depth]!]!.char !== opening) depth--;
      if (depth < 0) {
        flag(index, `${glyph.char} closes nothing: there is no ${opening} before it in this paragraph`);
      } else {
        if (depth < open.length - 1) {
          const inner = unit.glyphs[open[depth + 1]!]!.char;
          flag(index, `${glyph.char} closes ${opening} while the ${inner} opened after it is still open: the marks are wrongly nested`);
        }
        open.splice(depth, 1);
      }
    });
    for (const index of open) flag(index, `${unit.glyphs[index]!.char} is not closed in this paragraph`);
    return findings.sort((a, b) => a.start - b.start);
  },
};
