// dash: the Chinese dash is two U+2014 “——” (GB/T 15834 §4.9). A single em dash, doubled hyphens,
// doubled full-width hyphens or horizontal bars (U+2015) in Chinese text are typing substitutes. A
// single hyphen, en dash or minus is a compound or a range (1990-2000) and is left alone.
import {inChineseText, runs, textOf} from '../context.js';
import type {Finding, Rule} from './rule.js';

const DASH = '——';
const DASH_LIKE = /[-\u2010-\u2015\u2212\u2500\u2501\ufe58\ufe63\uff0d]/;
const LONG = /[\u2014\u2015\u2500\u2501]/;

export const dash: Rule = {
  id: 'dash',
  check(unit) {
    const findings: Finding[] = [];
    for (const [start, end] of runs(unit, (glyph) => DASH_LIKE.test(glyph.char) && !glyph.protected)) {
      const text = textOf(unit, start, end);
      if (text === DASH || (text.length === 1 && !LONG.test(text))) continue;
      // `--fix`, `--2`: an option name or a negative number, not a dash.
      if (/^-+$/.test(text) && /[A-Za-z0-9]/.test(unit.glyphs[end]?.char ?? '')) continue;
      if (!inChineseText(unit, start, end)) continue;
      findings.push({start, end, reason: `“${text}” is not a Chinese dash: use “${DASH}”`, replacement: DASH});
    }
    return findings;
  },
};
