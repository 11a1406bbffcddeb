// The rules, in the order their problems are listed when two start at the same place.
import {dash} from './dash.js';
import {ellipsis} from './ellipsis.js';
import {halfWidthPunctuation} from './half-width.js';
import {quoteStyle, straightQuote, unbalancedMark} from './quotes.js';
import type {Rule} from './rule.js';
import {spaceBetweenHan} from './spacing.js';

export type {Finding, Rule, RuleId} from './rule.js';

export const RULES: readonly Rule[] = [halfWidthPunctuation, straightQuote, quoteStyle, unbalancedMark, spaceBetweenHan, ellipsis, dash];
