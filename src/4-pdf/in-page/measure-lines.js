// Runs inside the page, sent to Chromium as it is (plain JavaScript, not compiled: the TypeScript
// compiler's helpers would not exist there). See ../layout-check.ts for what it measures and why.
// Only the characters a rule is about are measured, each against the visible character before it, so
// a book of a million characters costs a few thousand rectangles, not a million.
// `roots`: the ids of the elements to measure, each reported on its own; null for the whole document.
(selector, closing, opening, roots) => {
  let counts;
  let examples;
  let blocks;
  const range = document.createRange();

  const rectOf = (node, offset, length) => {
    range.setStart(node, offset);
    range.setEnd(node, offset + length);
    for (const rect of range.getClientRects()) if (rect.width > 0) return rect;
    return null;
  };
  // `after` begins a new line when it is left of `before` (or below it).
  const breaksBetween = (before, after) => {
    const a = rectOf(before.node, before.offset, before.length);
    const b = rectOf(after.node, after.offset, after.length);
    return Boolean(a && b && (b.left < a.left - 0.5 || b.top >= a.bottom));
  };
  const record = (rule, block, before, after) => {
    counts[rule]++;
    if (examples.length < 20) {
      const text = (character) => character.node.data.slice(character.offset, character.offset + character.length);
      examples.push({rule, where: block.closest('[id]')?.id ?? '', context: `${text(before)}⏎${text(after)}`});
    }
  };

  const measure = (root) => {
    counts = {
      'line-start-closing': 0,
      'line-end-opening': 0,
      'split-dash-ellipsis': 0,
      'single-character-last-line': 0,
      'space-between-han': 0,
    };
    examples = [];
    blocks = 0;
    for (const block of root.querySelectorAll(selector)) {
      if (block.closest('[hidden], .visually-hidden, #page-locators')) continue;
      blocks++;
      let previous = null;
      let last = null;
      let beforeLast = null;
      const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const value = node.data;
        for (let offset = 0; offset < value.length; ) {
          const code = value.codePointAt(offset);
          const length = code > 0xffff ? 2 : 1;
          const character = value[offset];
          if (!/\s/.test(character)) {
            const here = {node, offset, length};
            if (previous) {
              const before = previous.node.data[previous.offset];
              const pair = (character === '—' || character === '…') && before === character;
              if ((pair || closing.includes(character) || opening.includes(before)) && breaksBetween(previous, here)) {
                if (pair) record('split-dash-ellipsis', block, previous, here);
                else if (closing.includes(character)) record('line-start-closing', block, previous, here);
                if (opening.includes(before)) record('line-end-opening', block, previous, here);
              }
            }
            beforeLast = previous;
            previous = here;
            last = here;
          }
          offset += length;
        }
      }
      if (block.matches('p') && beforeLast && last && breaksBetween(beforeLast, last)) record('single-character-last-line', block, beforeLast, last);

      const spaced = block.textContent.match(/\p{Script=Han}[ \t\r\n\u00a0]+(?=\p{Script=Han})/gu) ?? [];
      for (const text of spaced) {
        counts['space-between-han']++;
        if (examples.length < 20) examples.push({rule: 'space-between-han', where: block.closest('[id]')?.id ?? '', context: text});
      }
    }
    return {counts, blocks, examples};
  };
  return roots === null ? [measure(document)] : roots.map((id) => measure(document.getElementById(id)));
}
