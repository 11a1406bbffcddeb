// space-between-han: Chinese is written without spaces between characters, or between a character
// and its punctuation (clreq §3.2). The ideographic space U+3000 is a deliberate gap (in a heading:
// “追“新”　从要素驱动到创新驱动”) and a line break is joined by the build, so neither is flagged.
// In a short line — a heading, a byline, a signature — a space between Chinese words is meant as a gap
// (“胡金 章婕妤”, “副主任 吕淼”): the fix makes it U+3000 instead of deleting it and joining the names.
import {HAN, isFullWidthMark, SPACE} from '../characters.js';
import {runs} from '../context.js';
import type {Finding, Rule} from './rule.js';

const SHORT_LINE = 30;

export const spaceBetweenHan: Rule = {
  id: 'space-between-han',
  check(unit) {
    const findings: Finding[] = [];
    for (const [start, end] of runs(unit, (glyph) => SPACE.test(glyph.char) && !glyph.protected)) {
      const before = unit.glyphs[start - 1]?.char ?? '';
      const after = unit.glyphs[end]?.char ?? '';
      const betweenHan = HAN.test(before) && HAN.test(after);
      const besideMark = (HAN.test(before) && isFullWidthMark(after)) || (isFullWidthMark(before) && HAN.test(after));
      if (!betweenHan && !besideMark) continue;
      findings.push({
        start,
        end,
        reason: betweenHan ? 'space between Chinese characters' : 'space between a Chinese character and a punctuation mark',
        hint: betweenHan ? 'A gap meant as such (between the two parts of a heading) is the ideographic space “　” (U+3000).' : undefined,
        replacement: betweenHan && unit.glyphs.length <= SHORT_LINE ? '\u3000' : '',
      });
    }
    return findings;
  },
};
