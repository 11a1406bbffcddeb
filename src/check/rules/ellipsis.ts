// ellipsis: the Chinese ellipsis is two U+2026 “……”, centred on the line (GB/T 15834 §4.11); four
// (“…………”, twelve dots) mark an omitted paragraph. Three full stops, a single “…” or the math
// “⋯⋯” in Chinese text are typing substitutes.
import {inChineseText, runs, textOf} from '../context.js';
import type {Finding, Rule} from './rule.js';

const ELLIPSIS = '……';

export const ellipsis: Rule = {
  id: 'ellipsis',
  check(unit) {
    const findings: Finding[] = [];
    const substitute = (char: string, wrong: (length: number) => boolean, always = false) => {
      for (const [start, end] of runs(unit, (glyph) => glyph.char === char && !glyph.protected)) {
        if (!wrong(end - start) || !(always || inChineseText(unit, start, end))) continue;
        findings.push({start, end, reason: `“${textOf(unit, start, end)}” is not a Chinese ellipsis: use “${ELLIPSIS}”`, replacement: ELLIPSIS});
      }
    };
    substitute('.', (length) => length >= 3);
    // Only Chinese text has 。, so three of them need no context.
    substitute('。', (length) => length >= 3, true);
    substitute('…', (length) => length !== 2 && length !== 4);
    substitute('⋯', () => true);
    return findings.sort((a, b) => a.start - b.start);
  },
};

