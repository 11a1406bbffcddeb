// Which parts a rebuild prints: those whose print is not kept, and only when that saves work.
import {describe, expect, it} from 'vitest';
import type {AssembledBook} from '../../src/3-assemble/index.js';
import {planPrint, type KeptPrint} from '../../src/4-pdf/reprint.js';

const IDS = ['title-page', 'toc', 'case-1', 'case-2', 'case-3', 'case-4'];
const book = {
  parts: IDS.map((id) => ({id, html: `<section class="part" id="${id}">${id}</section>`})),
  html: `<!DOCTYPE html><html><body>\n${IDS.map((id) => `<section class="part" id="${id}">${id}</section>`).join('\n')}\n</body></html>`,
} as unknown as AssembledBook;
const units = (changed: string[] = []) => IDS.map((id) => ({id, key: changed.includes(id) ? `${id} edited` : id}));
const kept = (prints: Record<string, number> = {}): KeptPrint => ({
  settings: '',
  chromium: '',
  width: 367.5,
  data: new Uint8Array(),
  parts: IDS.map((id) => ({id, key: id, print: prints[id] ?? 0, pages: 2, pageStarts: [], slots: [], headings: [], images: [], composition: {id, counts: {overflow: 0, 'off-grid': 0, 'underfilled-page': 0, 'widow-orphan': 0, 'short-title-line': 0}, pages: 2, floated: 0, examples: []}})),
});

describe('planPrint', () => {
  it('prints the whole book when there is no kept print', () => {
    expect(planPrint(book, units(), [])).toEqual({print: IDS, targets: []});
  });

  it('prints nothing when every part is kept as it is', () => {
    expect(planPrint(book, units(), [], kept())).toEqual({print: [], targets: []});
  });

  it('prints only the edited part, in a page of its own that keeps what is around the parts', () => {
    const plan = planPrint(book, units(['case-2']), [], kept());
    expect(plan.print).toEqual(['case-2']);
    expect(plan.html).toBe('<!DOCTYPE html><html><body>\n\n\n\n<section class="part" id="case-2">case-2</section>\n\n\n</body></html>');
  });

  it('prints a part the line check has not measured, though its print is kept', () => {
    expect(planPrint(book, units(), ['case-3'], kept()).print).toEqual(['case-3']);
  });

  it('prints the whole book when more than half of it changed', () => {
    expect(planPrint(book, units(['toc', 'case-1', 'case-2', 'case-3']), [], kept()).print).toEqual(IDS);
  });

  it('prints the whole book when the kept print is made of three prints already', () => {
    expect(planPrint(book, units(['case-1']), [], kept({'case-2': 1, 'case-3': 2})).print).toEqual(IDS);
    expect(planPrint(book, units(['case-2']), [], kept({'case-2': 1, 'case-3': 2})).print).toEqual(['case-2']);
  });

  it('prints the whole book when a part cannot be found in the page as it is', () => {
    const changedTemplate = {...book, html: book.html.replace('>case-4<', '>CASE-4<')} as AssembledBook;
    expect(planPrint(changedTemplate, units(['case-1']), [], kept()).print).toEqual(IDS);
  });
});
