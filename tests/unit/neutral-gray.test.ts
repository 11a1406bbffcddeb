// The print PDF's colours: Chromium writes black (and grays) as RGB, which a RIP separates into all four
// inks; finish.ts rewrites every neutral RGB colour as gray, and nothing else.
import {describe, expect, it} from 'vitest';
import {neutralAsGray} from '../../src/pdf-content.js';

describe('neutralAsGray', () => {
  it('rewrites equal RGB operands as gray, for fill and stroke', () => {
    expect(neutralAsGray('q\n0 0 0 RG 0 0 0 rg\n/G3 gs\n.2 .2 .2 rg\n0.50196 0.50196 0.50196 RG\n')).toBe('q\n0 G 0 g\n/G3 gs\n.2 g\n0.50196 G\n');
  });

  it('leaves colours, other operators and operands of other operators alone', () => {
    for (const source of ['1 0 0 rg', '0 0 1 RG', '0 0 0 k', '1 1 1 rgx', '0 0 0 0 K', '0.5 0.5 0.5 sc', '/rg 1 1 1']) expect(neutralAsGray(source)).toBe(source);
  });

  it('takes the three numbers right before the operator as its operands', () => {
    expect(neutralAsGray('10 0 0 0 RG')).toBe('10 0 G');
    expect(neutralAsGray('1 0.5 0.5 0.5 rg')).toBe('1 0.5 g');
    // Operands not one space apart are not Chromium's colour operators: left as they are.
    expect(neutralAsGray('0.5\n0.5 0.5 rg')).toBe('0.5\n0.5 0.5 rg');
  });
});
