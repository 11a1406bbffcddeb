// Is a mark in Chinese text? Most of the judgement of the rules lives here: the same half-width comma
// is right in “Dr. Smith, CEO” and wrong in “发展,转型”, and only the neighbours can tell.
import {CJK_MARK, HAN, LINE_BREAK, QUOTE_OR_BRACKET, SPACE, WORD} from './characters.js';
import type {Glyph, Unit} from './units.js';

export interface Through {
  /** Look past spaces and tabs. */
  spaces?: boolean;
  /** Look past quotation marks and brackets. */
  marks?: boolean;
}

/**
 * The nearest character before (direction -1) or after (+1) `index`, '' at the edge of the unit.
 * Soft line breaks are always looked through: the build joins the lines.
 */
export function neighbour(unit: Unit, index: number, direction: -1 | 1, through: Through = {}): string {
  for (let at = index + direction; at >= 0 && at < unit.glyphs.length; at += direction) {
    const char = unit.glyphs[at]!.char;
    if (LINE_BREAK.test(char)) continue;
    if (through.spaces && SPACE.test(char)) continue;
    if (through.marks && QUOTE_OR_BRACKET.test(char)) continue;
    return char;
  }
  return '';
}

export interface ContextOptions {
  /**
   * Whether a mark after a Latin word or number counts as Chinese when that word follows Chinese and
   * the sentence goes on in Chinese or ends (`提升了35%.`, `大模型iMedImage.`). True by default; an
   * opening mark looks forward, not back, so it has no use for it.
   */
  afterWord?: boolean;
}

/** Whether the marks at [start, end) are in Chinese text, so must be Chinese punctuation. */
export function inChineseText(unit: Unit, start: number, end: number, options: ContextOptions = {}): boolean {
  // Touching Han, through quotes and brackets: 发展,  “新”,  区(以下  “临平经开区”),
  const before = neighbour(unit, start, -1, {marks: true});
  const after = neighbour(unit, end - 1, 1, {marks: true});
  if (HAN.test(before) || HAN.test(after)) return true;
  // Touching a mark only Chinese text has: 。,  ,，
  if (CJK_MARK.test(neighbour(unit, start, -1)) || CJK_MARK.test(neighbour(unit, end - 1, 1))) return true;
  // Spaced out between Chinese: 发展 , 转型
  const spacedBefore = neighbour(unit, start, -1, {spaces: true, marks: true});
  const spacedAfter = neighbour(unit, end - 1, 1, {spaces: true, marks: true});
  const chineseGoesOn = spacedAfter === '' || HAN.test(spacedAfter) || CJK_MARK.test(spacedAfter);
  if (HAN.test(spacedBefore) && chineseGoesOn) return true;
  return (options.afterWord ?? true) && chineseGoesOn && wordFollowsChinese(unit, start);
}

/** Whether the mark at `start` follows a word typed straight after Chinese (`了35%`, `型iMedImage`). */
function wordFollowsChinese(unit: Unit, start: number): boolean {
  let first = start;
  while (first > 0 && WORD.test(unit.glyphs[first - 1]!.char)) first--;
  return first < start && HAN.test(neighbour(unit, first, -1, {marks: true}));
}

/** Whether any Han character lies between `start` and `end`. */
export function hasHan(unit: Unit, start: number, end: number): boolean {
  return unit.glyphs.slice(start, end).some((glyph) => HAN.test(glyph.char));
}

/** The maximal runs [start, end) of glyphs that pass `test`. */
export function runs(unit: Unit, test: (glyph: Glyph) => boolean): [number, number][] {
  const found: [number, number][] = [];
  let start = -1;
  unit.glyphs.forEach((glyph, index) => {
    if (test(glyph)) {
      if (start < 0) start = index;
    } else if (start >= 0) {
      found.push([start, index]);
      start = -1;
    }
  });
  if (start >= 0) found.push([start, unit.glyphs.length]);
  return found;
}

export function textOf(unit: Unit, start: number, end: number): string {
  return unit.glyphs.slice(start, end).map((glyph) => glyph.char).join('');
}
