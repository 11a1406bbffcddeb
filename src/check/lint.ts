// One chapter's source text → its punctuation problems, each located in the source and, where the
// right mark is certain, with the edit that repairs it. Pure: no files, no messages.
import type {Root} from 'mdast';
import remarkCjkFriendly from 'remark-cjk-friendly';
import remarkDirective from 'remark-directive';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import {unified} from 'unified';
import {applyEdits, type Edit} from './edits.js';
import {RULES, type Finding, type Rule, type RuleId} from './rules/index.js';
import {chapterUnits, type Unit} from './units.js';

export interface LintOptions {
  /**
   * Whether the book is in Simplified Chinese (zh-CN, the default), where corner brackets 「」 are
   * wrong; Traditional Chinese quotes with them.
   */
  simplified?: boolean;
}

export interface Problem {
  ruleId: RuleId;
  reason: string;
  hint?: string;
  /** Offsets of the offending characters in the source. */
  start: number;
  end: number;
  fix?: Edit;
}

// Parsed as the build parses it (src/2-markdown), so the text checked is the text printed.
const parser = unified().use(remarkParse).use(remarkFrontmatter, ['yaml']).use(remarkGfm).use(remarkCjkFriendly).use(remarkDirective);

export function lintSource(source: string, options: LintOptions = {}): Problem[] {
  const rules = RULES.filter((rule) => rule.id !== 'quote-style' || options.simplified !== false);
  const problems: Problem[] = [];
  for (const unit of chapterUnits(parser.parse(source) as Root, source)) {
    for (const rule of rules) {
      for (const finding of rule.check(unit)) {
        const problem = locate(rule, unit, finding);
        if (problem) problems.push(problem);
      }
    }
  }
  return problems.sort((a, b) => a.start - b.start);
}

/**
 * A finding in the source. Characters that cannot be located (an entity, a character after an
 * escape the parser read differently) are not reported; a fix needs every character located and
 * written side by side, so that it replaces exactly them.
 */
function locate(rule: Rule, unit: Unit, finding: Finding): Problem | undefined {
  const glyphs = unit.glyphs.slice(finding.start, finding.end);
  const first = glyphs[0]?.source;
  if (!first || glyphs.some((glyph) => glyph.protected)) return undefined;
  const adjacent = glyphs.every((glyph, index) => glyph.source && (index === 0 || glyph.source.start === glyphs[index - 1]!.source!.end));
  const end = adjacent ? glyphs.at(-1)!.source!.end : first.end;
  const problem: Problem = {ruleId: rule.id, reason: finding.reason, start: first.start, end};
  if (finding.hint) problem.hint = finding.hint;
  if (finding.replacement !== undefined && adjacent) problem.fix = {start: first.start, end, replacement: finding.replacement};
  return problem;
}

// A fix can bring the next problem to light (`发展? 案例` → `发展？ 案例`: now a space beside a
// full-width mark), so fixing repeats until nothing fixable is left, a few passes at most.
const MAX_PASSES = 5;

/** The source with every fixable problem repaired, and how many edits that took. */
export function fixSource(source: string, options: LintOptions = {}): {text: string; fixed: number} {
  let text = source;
  let fixed = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const edits = lintSource(text, options).flatMap((problem) => (problem.fix ? [problem.fix] : []));
    if (edits.length === 0) break;
    const result = applyEdits(text, edits);
    text = result.text;
    fixed += result.applied;
  }
  return {text, fixed};
}
