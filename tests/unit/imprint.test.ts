// The 版权页 figures: 开本 from the trim size, 字数, 印张.
import {describe, expect, it} from 'vitest';
import {paperFormat, printSheets, wordCountLabel} from '../../src/3-assemble/imprint.js';

describe('paperFormat', () => {
  it('finds the press sheet and fold a trim size is cut from', () => {
    expect(paperFormat({width: 170, height: 240})).toEqual({label: '710毫米×1000毫米\u30001/16', fraction: 16});
    expect(paperFormat({width: 185, height: 260})).toEqual({label: '787毫米×1092毫米\u30001/16', fraction: 16});
    expect(paperFormat({width: 140, height: 203})).toMatchObject({fraction: 32});
  });

  it('falls back to the trim size when no standard sheet fits', () => {
    expect(paperFormat({width: 300, height: 300})).toEqual({label: '300毫米×300毫米'});
  });
});

describe('版权页 figures', () => {
  it('counts 字数 in thousands, rounded up, without whitespace', () => {
    expect(wordCountLabel('字'.repeat(4159) + ' \n')).toBe('5千字');
  });

  it('divides pages into press sheets', () => {
    expect(printSheets(30, 16)).toBe('1.88');
    expect(printSheets(256, 16)).toBe('16');
  });
});
