// Where slots.ts may write a page number into Chromium's content stream: after the text before it, but
// only where the graphics state is the page's own, never under a clip Chromium set for one element.
import {describe, expect, it} from 'vitest';
import {readStream} from '../../src/4-pdf/slots.js';

const PAGE_AREA = '253.125 293.75 1531.29883 2314.9902';
const frame = (clip: string) => `q\n${clip} re\nW* n\nq\n3.125 0 0 3.125 253.125 -6653.125 cm\n`;
// A table-of-contents entry as Chromium writes it: the title, then the leader under a clip of its own.
const STREAM = [
  '.23999999 0 0 -.23999999 0 696.95996 cm\n',
  frame(PAGE_AREA),
  '/NonStruct <</MCID 0 >>BDC\nBT\n/F14 14 Tf\n1 0 0 -1 0 2322 Tm\n<008C> Tj\nET\n',
  'Q\nQ\n',
  frame('615.625 546.875 1046.875 78.125'),
  'BT\n/F14 14 Tf\n1 0 0 -1 116.1875 2322 Tm\n<0029> Tj\nET\nEMC\n',
  'Q\nQ\n',
  frame(PAGE_AREA),
  '/NonStruct <</MCID 1 >>BDC\nBT\n/F14 14 Tf\n1 0 0 -1 0 2354 Tm\n<0192> Tj\nET\nEMC\n',
  'Q\nQ\n',
].join('');

describe('readStream', () => {
  it('finds each tagged text, its MCID and where its first text is drawn', () => {
    const {sections} = readStream(STREAM);
    expect(sections.map(({mcid, x, y}) => ({mcid, x, y}))).toEqual([
      {mcid: 0, x: 0, y: 2322},
      {mcid: 1, x: 0, y: 2354},
    ]);
  });

  it('offers no place under the leader’s clip, only where the page area is the clip again', () => {
    const {sections, plainPoints} = readStream(STREAM);
    const afterTitle = plainPoints.find((point) => point >= sections[0]!.end)!;
    // Not right after the title's EMC (the leader's clip is in force there), but after the next frame.
    expect(STREAM.slice(0, afterTitle)).toMatch(new RegExp(`${PAGE_AREA} re\\nW\\* n\\nq\\n3\\.125 0 0 3\\.125 253\\.125 -6653\\.125 cm$`));
    expect(afterTitle).toBeLessThan(STREAM.indexOf('MCID 1'));
    // Text drawn in the page's own frame may be followed right after its EMC.
    expect(plainPoints).toContain(sections[1]!.end);
  });
});
