// Runs inside the page, sent to Chromium as it is (plain JavaScript, not compiled: the TypeScript
// compiler's helpers would not exist there). See ../layout-check.ts for what it measures and why.
(selector, closing, opening) => {
  const counts = {
    'line-start-closing': 0,
    'line-end-opening': 0,
    'split-dash-ellipsis': 0,
    'single-character-last-line': 0,
    'space-between-han': 0,
  };
  const examples = [];
  let blocks = 0;

  for (const block of document.querySelectorAll(selector)) {
    if (block.closest('[hidden], .visually-hidden, #page-locators')) continue;
    // The visible characters of the block, in order, each with its text node and offset.
    const characters = [];
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const value = node.data;
      for (let offset = 0; offset < value.length; ) {
        const text = String.fromCodePoint(value.codePointAt(offset));
        if (!/\s/.test(text)) characters.push({text, node, offset});
        offset += text.length;
      }
    }
    if (characters.length === 0) continue;

    const rects = new Map();
    const rectOf = (index) => {
      if (!rects.has(index)) {
        const character = characters[index];
        const range = document.createRange();
        range.setStart(character.node, character.offset);
        range.setEnd(character.node, character.offset + character.text.length);
        rects.set(index, [...range.getClientRects()].find((rect) => rect.width > 0) ?? null);
      }
      return rects.get(index);
    };
    // Character `index` begins a new line when it is left of the character before it.
    const startsLine = (index) => {
      const before = rectOf(index - 1);
      const here = rectOf(index);
      return Boolean(before && here && (here.left < before.left - 0.5 || here.top >= before.bottom));
    };
    const where = () => block.closest('[id]')?.id ?? '';
    const context = (index) => {
      const around = characters.slice(Math.max(0, index - 8), index + 8);
      return around.map((character, position) => (position > 0 && startsLine(Math.max(0, index - 8) + position) ? '⏎' : '') + character.text).join('');
    };
    const count = (rule, index) => {
      counts[rule]++;
      if (examples.length < 20) examples.push({rule, where: where(), context: context(index)});
    };

    blocks++;
    for (let index = 1; index < characters.length; index++) {
      const text = characters[index].text;
      const previous = characters[index - 1].text;
      const mark = closing.includes(text) || opening.includes(previous) || ((text === '—' || text === '…') && previous === text);
      if (!mark) continue;
      if (!startsLine(index)) continue;
      if ((text === '—' || text === '…') && previous === text) count('split-dash-ellipsis', index);
      else if (closing.includes(text)) count('line-start-closing', index);
      if (opening.includes(previous)) count('line-end-opening', index - 1);
    }
    const last = characters.length - 1;
    if (last >= 1 && block.matches('p') && startsLine(last)) count('single-character-last-line', last);

    const spaced = block.textContent?.match(/\p{Script=Han}[ \t\r\n\u00a0]+(?=\p{Script=Han})/gu) ?? [];
    for (let index = 0; index < spaced.length; index++) {
      counts['space-between-han']++;
      if (examples.length < 20) examples.push({rule: 'space-between-han', where: where(), context: spaced[index]});
    }
  }
  return {counts, blocks, examples};
}
