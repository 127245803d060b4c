import { describe, expect, it } from 'vitest';
import { erf, sigmoid } from './math.js';

/** Reference values (mpmath at 40 digits on the double inputs, rounded to double). */
const ERF: [number, number][] = [
  [0, 0],
  [1e-10, 1.1283791670955126e-10],
  [0.1, 0.1124629160182849],
  [0.25, 0.27632639016823696],
  [0.5, 0.5204998778130465],
  [0.75, 0.7111556336535151],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.4, 0.999311486103355],
  [2.5, 0.999593047982555],
  [2.6, 0.9997639655834707],
  [3, 0.9999779095030014],
  [3.5, 0.9999992569016276],
  [4, 0.9999999845827421],
  [5, 0.9999999999984626],
  [6, 1],
  [10, 1],
];

describe('erf', () => {
  it('matches reference values to 1e-13', () => {
    for (const [x, want] of ERF) {
      expect(Math.abs(erf(x) - want), `erf(${x})`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(want)));
    }
  });

  it('is accurate in relative terms near 0', () => {
    for (const x of [1e-300, 1e-20, 1e-8, 1e-4]) {
      // erf(x) = 2x/√π (1 − x²/3 + …)
      const want = (2 / Math.sqrt(Math.PI)) * x * (1 - (x * x) / 3);
      expect(Math.abs(erf(x) - want) / want).toBeLessThan(1e-15);
    }
  });

  it('is odd', () => {
    for (const [x, want] of ERF) {
      expect(erf(-x)).toBe(-erf(x));
      expect(Math.abs(erf(-x) + want)).toBeLessThanOrEqual(1e-13);
    }
    for (let x = -6; x <= 6; x += 0.137) expect(erf(-x)).toBe(-erf(x));
  });

  it('is increasing and bounded by ±1, continuous across the series/fraction switch at 2.5', () => {
    let prev = erf(-7);
    for (let x = -7; x <= 7; x += 0.01) {
      const v = erf(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
      prev = v;
    }
    const eps = 1e-12;
    expect(Math.abs(erf(2.5 + eps) - erf(2.5 - eps))).toBeLessThan(1e-14);
    expect(Math.abs(erf(6 + eps) - erf(6 - eps))).toBeLessThan(1e-15);
  });

  it('handles the special values', () => {
    expect(erf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(erf(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
  });

  it('regression: erf(-0) is -0 (odd symmetry holds at zero too; the series gave +0)', () => {
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(Object.is(erf(0), 0)).toBe(true);
  });
});

describe('sigmoid', () => {
  it('is 1/(1 + e^-x), without overflow at either end', () => {
    for (const x of [-5, -1, 0, 0.5, 3]) expect(sigmoid(x)).toBeCloseTo(1 / (1 + Math.exp(-x)), 15);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(-745)).toBeGreaterThan(0);
    expect(Number.isNaN(sigmoid(-1e308))).toBe(false);
  });

  it('satisfies σ(−x) = 1 − σ(x)', () => {
    for (let x = -10; x <= 10; x += 0.5) expect(sigmoid(-x)).toBeCloseTo(1 - sigmoid(x), 15);
  });
});
