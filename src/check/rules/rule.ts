// What a rule is: a name, and a function from a unit to what is wrong in it.
import type {Unit} from '../units.js';

export type RuleId =
  | 'half-width-punctuation'
  | 'straight-quote'
  | 'quote-style'
  | 'unbalanced-mark'
  | 'space-between-han'
  | 'ellipsis'
  | 'dash';

export interface Finding {
  /** The offending glyphs, [start, end) in the unit. */
  start: number;
  end: number;
  reason: string;
  hint?: string;
  /** What the glyphs should be; absent when only a person can decide. */
  replacement?: string;
}

export interface Rule {
  id: RuleId;
  check(unit: Unit): Finding[];
}
