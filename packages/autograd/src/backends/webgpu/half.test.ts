// The host f16 converter against an exact reference: the nearest of all finite halves (ties to the
// even significand) found by search over the sorted list of every half, in float64 arithmetic
// (exact here: halves, float32 values and their midpoints are all doubles). No GPU needed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHalves, encodeHalves, fromHalfBits, HALF_MAX, roundHalf, toHalfBits } from './half.js';

/** Every non-negative finite half's bits, in increasing value (for positive halves, bit order is value order). */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, h) => h);
const value = (h: number) => {
  // independent of fromHalfBits: 2^(e − 15)·(1 + m/1024), or m·2⁻²⁴ for e = 0
  const e = h >> 10;
  const m = h & 1023;
  return e === 0 ? m / 2 ** 24 : 2 ** (e - 15) * (1 + m / 1024);
};

/** The exact nearest-even half of the float32 nearest to `x`, as bits. */
function reference(x: number): number {
  const f = Math.fround(x);
  if (Number.isNaN(f)) return 0x7e00; // any NaN: compared by isNaN below
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const a = Math.abs(f);
  // 65520 = 65504 + half an ulp: the tie between 65504 (odd significand) and 2^16 (even, = Inf)
  if (a >= HALF_MAX + 16) return sign | 0x7c00;
  let lo = 0;
  let hi = POSITIVE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (value(mid) <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - value(lo);
  const dh = value(hi) - a;
  const pick = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick;
}

const sameBits = (got: number, want: number) => (Number.isNaN(fromHalfBits(want)) ? Number.isNaN(fromHalfBits(got)) : got === want);

describe('f16 host conversion', () => {
  it('rounds every float32 to the nearest half, ties to even (fast-check, all float32 bit patterns)', () => {
    fc.assert(
      fc.property(fc.float(), (x) => {
        const got = toHalfBits(x);
        const want = reference(x);
        if (!sameBits(got, want)) throw new Error(`${x}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
      }),
      { seed: 42, numRuns: 20_000 },
    );
  });

  it('rounds values near halves, midpoints and range limits as the reference (fast-check)', () => {
    // a random half, nudged by a fraction of its ulp: lands on ties, just either side, subnormals, overflow
    const near = fc
      .tuple(fc.integer({ min: 0, max: 0x7bff }), fc.constantFrom(-1, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.5), fc.boolean())
      .map(([h, frac, neg]) => {
        const ulp = value(h + 1) - value(h);
        const v = value(h) + frac * ulp + (frac === 0.5 ? 0 : 2 ** -40 * frac);
        return neg ? -v : v;
      });
    fc.assert(
      fc.property(near, (x) => {
        const got = toHalfBits(x);
        const want = reference(x);
        if (!sameBits(got, want)) throw new Error(`${x}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
      }),
      { seed: 42, numRuns: 20_000 },
    );
  });

  it('handles the edge cases: ±0, subnormals, the overflow threshold, ±Inf, NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to it: ties to even (0)
      [2 ** -25 * 1.0001, 0x0001],
      [3 * 2 ** -25, 0x0002], // 1.5 ulps: ties to even (2)
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
      [1, 0x3c00],
      [1 + 2 ** -11, 0x3c00], // tie: to even
      [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (up)
      [-2, 0xc000],
      [HALF_MAX, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00], // tie with 2^16: even = Infinity
      [1e9, 0x7c00],
      [-1e9, 0xfc00],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
    ];
    for (const [x, h] of cases) expect(toHalfBits(x), `${x}`).toBe(h);
    const nan = toHalfBits(Number.NaN);
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
    expect(Number.isNaN(fromHalfBits(nan))).toBe(true);
    expect(Object.is(fromHalfBits(0x8000), -0)).toBe(true);
  });

  it('decodes every one of the 65536 halves exactly, and encodes it back to itself', () => {
    const bad: string[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = fromHalfBits(h);
      const e = (h >> 10) & 31;
      if (e === 31 && h & 1023) {
        if (!Number.isNaN(v)) bad.push(`0x${h.toString(16)} → ${v}, want NaN`);
        continue;
      }
      const magnitude = e === 31 ? Number.POSITIVE_INFINITY : value(h & 0x7fff);
      const want = h & 0x8000 ? -magnitude : magnitude;
      if (!Object.is(v, want) || toHalfBits(v) !== h || !Object.is(roundHalf(v), v)) bad.push(`0x${h.toString(16)} → ${v}, want ${want}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('encodes arrays padded to whole 4-byte words, and decodes them back', () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { maxLength: 9000 }), (values) => {
        const bits = encodeHalves(values, values.length);
        expect(bits.length % 2).toBe(0);
        expect(bits.length - values.length).toBe(values.length % 2);
        if (values.length % 2) expect(bits[values.length]).toBe(0);
        const back = decodeHalves(bits, values.length);
        expect(back.length).toBe(values.length);
        values.forEach((x, i) => {
          expect(sameBits(bits[i]!, reference(x))).toBe(true);
          expect(Object.is(back[i], Math.fround(fromHalfBits(bits[i]!))) || Number.isNaN(back[i]!)).toBe(true);
        });
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
