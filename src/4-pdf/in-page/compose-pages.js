// Runs inside the page, before the print, sent to Chromium as it is (plain JavaScript). See
// ../compose.ts for what it does and why. Each part is laid out in a multi-column box as tall as the
// text block: Chromium breaks columns exactly as it breaks printed pages (same fragmentation, same
// orphans, widows and kept-together blocks), so each column is a page of the print, and where things fall
// can be read before printing, then changed.
// `options`: {roots: ids of the parts, composed: selector of those composed (the others only measured),
// line, textWidth, textHeight, lines (a page), minFill}, lengths in CSS pixels.
(options) => {
  const {line, textWidth, textHeight, lines, minFill} = options;
  const GAP = 200;
  const STEP = textWidth + GAP;
  const EPSILON = 0.5;
  const LEAVES = 'p, h1, h2, h3, h4, h5, h6, figure, .table, table, pre, hr, li, dt, dd, .footnotes, .toc-entry > a';
  const FLOATS = 'figure, .table';
  const up = (value) => Math.ceil(value / line - 0.01) * line;
  const nearest = (value) => Math.round(value / line) * line;
  const px = (value) => `${Math.round(value * 1000) / 1000}px`;
  const isMultiple = (value) => Math.abs(value / line - Math.round(value / line)) * line < EPSILON;
  const examples = [];
  const example = (rule, element, context) => {
    if (examples.length < 50) examples.push({rule, part: element.closest('.part')?.id ?? '', source: (element.closest('[data-source]') ?? element.querySelector('[data-source]'))?.dataset.source ?? '', context: (context ?? element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)});
  };

  // Tables wider than the text block are set smaller, down to 7pt; one that still does not fit is an
  // overflow (reported). A table taller than a page may break between its rows (its head repeated).
  // Measured as if numbers and words could not be broken (overflow-wrap: anywhere would let any table fit
  // by breaking “41.099” inside): only a table that cannot fit even so keeps that last resort.
  const fitTables = (part) => {
    for (const table of part.querySelectorAll('table')) {
      table.style.overflowWrap = 'normal';
      let size = parseFloat(getComputedStyle(table).fontSize);
      while (table.getBoundingClientRect().width > textWidth + EPSILON && size * 0.9 >= 7 / 0.75) {
        size *= 0.9;
        table.style.fontSize = px(size);
      }
      table.style.overflowWrap = '';
      if (table.getBoundingClientRect().height > textHeight - line) (table.closest('.table') ?? table).style.breakInside = 'auto';
    }
  };

  // Every block takes a whole number of lines: margins are rounded to whole lines, and what is not
  // body text (headings, figures, tables, captions, notes) is padded to whole lines, so that body lines
  // sit on one grid on every page. Measures only: gives the changes, made for all parts at once (one
  // layout). Figures, tables and notes are flow-roots (styles/print.css): the margins of their content
  // stay inside them, as they will once they are padded.
  const gridChanges = (part) => {
    const changes = [];
    const visit = (element) => {
      const style = getComputedStyle(element);
      if (style.display === 'none' || style.position === 'absolute') return;
      const [marginTop, marginBottom, paddingTop, paddingBottom] = [style.marginTop, style.marginBottom, style.paddingTop, style.paddingBottom].map(parseFloat);
      const change = {element, marginTop: nearest(marginTop), marginBottom: nearest(marginBottom)};
      changes.push(change);
      const bodyPitch = Math.abs(parseFloat(style.lineHeight) - line) < 0.01;
      const blockChildren = [...element.children].filter((child) => !['inline', 'none', 'contents'].includes(getComputedStyle(child).display));
      const text = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.data.trim() !== '');
      if (bodyPitch && !text && blockChildren.length > 0 && !element.matches(LEAVES)) {
        const top = parseFloat(style.borderTopWidth) + paddingTop;
        const bottom = parseFloat(style.borderBottomWidth) + paddingBottom;
        change.paddingTop = paddingTop + up(top) - top;
        change.paddingBottom = paddingBottom + up(bottom) - bottom;
        for (const child of blockChildren) visit(child);
        return;
      }
      const height = element.getBoundingClientRect().height;
      if (!isMultiple(height)) change.paddingBottom = paddingBottom + up(height) - height;
    };
    for (const child of part.children) visit(child);
    return changes;
  };
  const applyGrid = (changes) => {
    for (const {element, ...values} of changes) for (const [property, value] of Object.entries(values)) element.style[property] = px(value);
  };

  // The part as pages: columns as wide and as tall as the text block.
  // A page break inside a multi-column box breaks nothing: there, .page-start breaks the column.
  const frame = (part) => {
    for (const start of part.querySelectorAll('.page-start')) start.style.breakBefore = 'column';
    part.style.columnWidth = px(textWidth);
    part.style.columnGap = px(GAP);
    part.style.columnFill = 'auto';
    part.style.height = px(textHeight);
    part.style.width = px(textWidth);
  };
  const unframe = (part) => {
    for (const start of part.querySelectorAll('.page-start')) start.style.breakBefore = '';
    for (const property of ['columnWidth', 'columnGap', 'columnFill', 'height', 'width']) part.style[property] = '';
  };

  /** The pieces of `element` as placed on pages: page index and top and bottom within the page. */
  const pieces = (element, origin) =>
    [...element.getClientRects()].filter((rect) => rect.height > 0 || rect.width > 0).map((rect) => {
      const page = Math.max(0, Math.round((rect.left - origin.left) / STEP - 0.4));
      return {page, top: rect.top - origin.top, bottom: rect.bottom - origin.top, left: rect.left - origin.left - page * STEP, right: rect.right - origin.left - page * STEP};
    });
  const leavesOf = (part) => [...part.querySelectorAll(LEAVES)].filter((leaf) => !leaf.parentElement.closest(LEAVES));
  /** How far down each page the content reaches. */
  const pageBottoms = (part) => {
    const origin = part.getBoundingClientRect();
    const bottoms = [];
    for (const leaf of leavesOf(part)) {
      for (const piece of pieces(leaf, origin)) bottoms[piece.page] = Math.max(bottoms[piece.page] ?? 0, piece.bottom);
    }
    return bottoms;
  };

  /** Where each line of `block` begins: its first character ([text node, offset]) and its page. */
  const lineStarts = (block, origin) => {
    const range = document.createRange();
    const starts = [];
    let previous = null;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let offset = 0; offset < node.data.length; offset++) {
        if (/\s/.test(node.data[offset])) continue;
        range.setStart(node, offset);
        range.setEnd(node, offset + 1);
        const rect = [...range.getClientRects()].find((candidate) => candidate.width > 0);
        if (!rect) continue;
        const page = Math.max(0, Math.round((rect.left - origin.left) / STEP - 0.4));
        // A new line starts left of the last character or below it, or on the next page (to its right).
        if (!previous || page !== previous.page || rect.left < previous.rect.left - EPSILON || rect.top >= previous.rect.bottom - EPSILON) starts.push({at: [node, offset], page});
        previous = {rect, page};
      }
    }
    return starts;
  };

  /** Splits paragraph `block` before `[node, offset]`: its head keeps the lines before, a new paragraph the rest. */
  const split = (block, [node, offset]) => {
    const range = document.createRange();
    range.setStart(node, offset);
    range.setEnd(block, block.childNodes.length);
    const tail = block.cloneNode(false);
    tail.append(range.extractContents());
    // An inline element cut in two (an editorial query, a link) is one element in two pieces: the text its
    // stylesheet puts before it comes once, before the first piece, and what it puts after, after the last.
    for (let element = node.parentElement; element && element !== block; element = element.parentElement) element.classList.add('split-continues');
    for (let element = tail.firstElementChild; element && element === tail.firstChild; element = element.firstElementChild) element.classList.add('split-continued');
    tail.removeAttribute('id');
    for (const element of tail.querySelectorAll('[id]')) if (block.querySelector(`[id="${CSS.escape(element.id)}"]`)) element.removeAttribute('id');
    block.classList.add('split-head');
    tail.classList.add('split-tail');
    block.after(tail);
    return tail;
  };

  /** The block with the headings kept with it (break-after: avoid): what moves to a new page with it. */
  const leadOf = (block) => {
    let lead = block;
    while (lead.previousElementSibling?.matches('h1, h2, h3, h4, h5, h6')) lead = lead.previousElementSibling;
    return lead;
  };
  /**
   * The block begins a page (in the multi-column box now, and in the print), with no space above it: a
   * forced break keeps the margin that an unforced one drops.
   */
  const startPage = (block) => {
    block.classList.add('page-start');
    block.style.breakBefore = 'column';
    block.style.marginTop = '0px';
  };
  const isBody = (leaf) => leaf.matches('p') && Math.abs(parseFloat(getComputedStyle(leaf).lineHeight) - line) < 0.01;
  const textRects = (leaf, origin) => {
    const range = document.createRange();
    range.selectNodeContents(leaf);
    return pieces({getClientRects: () => range.getClientRects()}, origin);
  };

  // A figure or table that does not fit at the foot of a page moves to the top of the next one, and the
  // text after it fills the page it left (a page float): where the next page then begins, inside a
  // paragraph, the paragraph is split into two at that line. Each keeps two lines at least.
  const float = (part, block, page) => {
    const marker = document.createComment('float');
    block.replaceWith(marker);
    let origin = part.getBoundingClientRect();
    const after = leavesOf(part).filter((leaf) => marker.compareDocumentPosition(leaf) & Node.DOCUMENT_POSITION_FOLLOWING);
    const target = after.find((leaf) => pieces(leaf, origin).some((piece) => piece.page >= page));
    if (!target) {
      marker.replaceWith(block);
      return false;
    }
    const starts = target.matches('p') ? lineStarts(target, origin) : [];
    const head = starts.filter((start) => start.page < page).length;
    const tail = starts.length - head;
    if (head < 2 || (tail < 2 && head < 3)) {
      target.before(block);
    } else {
      const rest = split(target, starts[tail < 2 ? head - 1 : head].at);
      rest.before(block);
      // Set as a paragraph of its own, the head may break its lines otherwise (text-wrap: pretty
      // changes a paragraph's last lines) and run onto the next page: what runs over goes on after the
      // block.
      origin = part.getBoundingClientRect();
      const over = lineStarts(target, origin).find((start) => start.page >= page);
      if (over) {
        const range = document.createRange();
        range.setStart(...over.at);
        range.setEnd(target, target.childNodes.length);
        rest.prepend(range.extractContents());
      }
    }
    marker.remove();
    startPage(block);
    return true;
  };

  // No paragraph leaves one line alone at the foot of a page (orphan) or at the head of the next (widow):
  // Chromium lets one through where keeping it would leave a page nearly empty. The paragraph, or its
  // last two lines, begins the next page.
  const keepLines = (part, leaf, origin, counts) => {
    if (counts[0] < 2 || counts.at(-1) + counts.at(-2) < 4) {
      startPage(leadOf(leaf));
      return;
    }
    const starts = lineStarts(leaf, origin);
    const rest = split(leaf, starts[starts.length - counts.at(-1) - 1].at);
    startPage(rest);
  };

  /**
   * Goes down the part's pages and mends the first thing wrong, then looks again from the top (each
   * mend moves what follows): a figure or table pushed to the next page, leaving a hole; an orphan or a
   * widow line.
   */
  const mendPages = (part) => {
    let floated = 0;
    const mended = new Set();
    for (let round = 0; round < 1000; round++) {
      const origin = part.getBoundingClientRect();
      const bottoms = pageBottoms(part);
      const fault = leavesOf(part).find((leaf) => {
        if (mended.has(leaf)) return false;
        if (leaf.matches(FLOATS) && getComputedStyle(leaf).breakInside === 'avoid') {
          const [first] = pieces(leadOf(leaf), origin);
          return first && first.page > 0 && first.top < EPSILON && lines * line - (bottoms[first.page - 1] ?? 0) >= 2 * line;
        }
        return isBody(leaf) && pieces(leaf, origin).length > 1 && linesByPage(textRects(leaf, origin)).some((count, index, all) => (index === 0 || index === all.length - 1) && count < 2);
      });
      if (!fault) break;
      mended.add(fault);
      if (fault.matches(FLOATS)) floated += float(part, fault, pieces(leadOf(fault), origin)[0].page) ? 1 : 0;
      else keepLines(part, fault, origin, linesByPage(textRects(fault, origin)));
    }
    return floated;
  };

  // A table of contents entry: its title wraps as text does, and dots run from the end of its last line
  // to the page number at the end of that line (on a line of their own when too little room is left).
  const setLeaders = (part) => {
    const range = document.createRange();
    const widths = [];
    for (const entry of part.querySelectorAll('.toc-entry > a')) {
      const text = entry.querySelector('.toc-text');
      const leader = entry.querySelector('.toc-leader');
      const number = entry.querySelector('.toc-page');
      if (!text || !leader || !number) continue;
      range.selectNodeContents(text);
      const rects = [...range.getClientRects()].filter((rect) => rect.width > 0);
      const box = entry.getBoundingClientRect();
      const end = rects.length > 0 ? rects.at(-1).right : box.left;
      const numberWidth = number.getBoundingClientRect().width;
      const room = box.right - end - numberWidth - 1;
      widths.push([leader, room >= 2 * parseFloat(getComputedStyle(entry).fontSize) ? room : box.width - numberWidth - 1]);
    }
    for (const [leader, width] of widths) leader.style.width = px(width);
  };

  /** How many lines of a block's text each of its pages holds (its text's rectangles, several a line). */
  const linesByPage = (rects) => {
    const byPage = new Map();
    let previous = null;
    for (const rect of rects) {
      if (!previous || rect.page !== previous.page || rect.top >= previous.bottom - EPSILON) byPage.set(rect.page, (byPage.get(rect.page) ?? 0) + 1);
      previous = rect;
    }
    return [...byPage.values()];
  };

  const measure = (part, counts) => {
    const origin = part.getBoundingClientRect();
    const bottoms = pageBottoms(part);
    const pages = bottoms.length;
    // Pages but the part's last filled to less than minFill of the text block.
    bottoms.forEach((bottom, page) => {
      if (page < pages - 1 && bottom < minFill * lines * line) {
        counts['underfilled-page']++;
        const next = leavesOf(part).find((leaf) => pieces(leaf, origin).some((piece) => piece.page === page + 1));
        example('underfilled-page', next ?? part, `page ${page + 1} of the part ${Math.round((100 * bottom) / (lines * line))}% full; the next begins: ${(next?.textContent ?? '').trim().slice(0, 20)}`);
      }
    });
    const range = document.createRange();
    for (const leaf of leavesOf(part)) {
      const style = getComputedStyle(leaf);
      const leafPieces = pieces(leaf, origin);
      // Wider than the text block: the box itself, or a line of its text.
      range.selectNodeContents(leaf);
      const lineRects = pieces({getClientRects: () => range.getClientRects()}, origin);
      if ([...leafPieces, ...lineRects].some((piece) => piece.left < -EPSILON || piece.right > textWidth + EPSILON)) {
        counts.overflow++;
        example('overflow', leaf);
      }
      const body = leaf.matches('p') && Math.abs(parseFloat(style.lineHeight) - line) < 0.01;
      if (!body) continue;
      // A piece that goes on on the next page reaches down to the page's foot: only the last one's
      // height is its lines'.
      if (leafPieces.some((piece) => !isMultiple(piece.top)) || !isMultiple(leafPieces.at(-1).bottom - leafPieces.at(-1).top)) {
        counts['off-grid']++;
        example('off-grid', leaf);
      }
      if (leafPieces.length > 1) {
        const counted = linesByPage(lineRects);
        if (counted.at(0) < 2 || counted.at(-1) < 2) {
          counts['widow-orphan']++;
          example('widow-orphan', leaf);
        }
      }
    }
    // A title's line of one or two characters.
    for (const title of part.querySelectorAll('h1, h2, h3, h4')) {
      const rows = new Map();
      const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let offset = 0; offset < node.data.length; offset++) {
          if (/\s/.test(node.data[offset])) continue;
          range.setStart(node, offset);
          range.setEnd(node, offset + 1);
          const rect = [...range.getClientRects()].find((candidate) => candidate.width > 0);
          if (rect) rows.set(Math.round(rect.bottom), (rows.get(Math.round(rect.bottom)) ?? 0) + 1);
        }
      }
      if (rows.size > 1 && [...rows.values()].some((count) => count <= 2)) {
        counts['short-title-line']++;
        example('short-title-line', title);
      }
    }
    // A commentary box that opens a page: its rule would double the running head's.
    for (const box of part.querySelectorAll('.commentary')) {
      const [first] = pieces(box, origin);
      if (first && first.page > 0 && first.top < EPSILON) box.style.borderTopColor = 'transparent';
    }
    return pages;
  };

  // Each step for all parts at once: a change to the page costs a layout of it at the next measurement.
  const parts = options.roots.map((id) => document.getElementById(id));
  const composed = parts.filter((part) => part?.matches(options.composed));
  for (const part of composed) fitTables(part);
  applyGrid(composed.flatMap(gridChanges));
  for (const part of composed) setLeaders(part);
  for (const part of parts) if (part) frame(part);
  const results = parts.map((part, index) => {
    const counts = {overflow: 0, 'off-grid': 0, 'underfilled-page': 0, 'widow-orphan': 0, 'short-title-line': 0};
    if (!part) return {id: options.roots[index], counts, pages: 0, floated: 0, examples: []};
    // Title page, 版权页 and half-title are laid out by their own rules (a page each): only measured.
    const floated = composed.includes(part) ? mendPages(part) : 0;
    const first = examples.length;
    const pages = measure(part, counts);
    return {id: part.id, counts, pages, floated, examples: examples.slice(first)};
  });
  for (const part of parts) if (part) unframe(part);
  return results;
}
