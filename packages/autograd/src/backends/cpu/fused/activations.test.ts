// The kernels' exp, sigmoid and tanh against Math's, in units in the last place of the reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exp, sigmoid, tanh } from './activations.js';

/** |a − b| in ulps of b (b a normal double). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(b))) - 52);
  return Math.abs(a - b) / ulp;
}

const reference = {
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
};

describe('fused kernel activations', () => {
  it('exp is within 2 ulp of Math.exp on (−700, 700)', () => {
    fc.assert(
      fc.property(fc.double({ min: -699.9, max: 699.9, noNaN: true }), (x) => {
        expect(ulps(exp(x), Math.exp(x))).toBeLessThanOrEqual(2);
      }),
      { numRuns: 20_000 },
    );
  });

  it('sigmoid is within 4 ulp of a stable reference where the result is a normal double', () => {
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (x) => {
        expect(ulps(sigmoid(x), reference.sigmoid(x))).toBeLessThanOrEqual(4);
      }),
      { numRuns: 20_000 },
    );
  });

  it('tanh is within 3 ulp of Math.tanh, also near 0 (no cancellation) and past the 0.625 switch', () => {
    const near0 = fc.double({ min: -1e-3, max: 1e-3, noNaN: true }).filter((x) => Math.abs(x) > 1e-300);
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -30, max: 30, noNaN: true }), near0), (x) => {
        expect(ulps(tanh(x), Math.tanh(x))).toBeLessThanOrEqual(3);
      }),
      { numRuns: 20_000 },
    );
    for (const x of [0.625, -0.625, 0.6249999999999999, 22, 22.000000000000004]) expect(ulps(tanh(x), Math.tanh(x))).toBeLessThanOrEqual(3);
  });

  it('special values and limits are those of Math', () => {
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 700, 710, -745, -800, 1e-300]) {
      expect(exp(x)).toBe(Math.exp(x));
      expect(tanh(x)).toBe(Math.tanh(x));
    }
    expect(sigmoid(Number.NaN)).toBeNaN();
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
  });
});
