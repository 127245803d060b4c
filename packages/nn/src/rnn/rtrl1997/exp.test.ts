import { callValue, f64, for_, get, i32, ModuleBuilder, set } from '@carousel/autograd/wasm';
import { describe, expect, it } from 'vitest';
import { emitExp } from './exp.js';

// The WASM exp must return Math.exp's bits for every input RTRL1997's σ gives it (−|x|, so
// x ≤ 0 and NaN), including the subnormal results below −708.4 and the underflow to 0 below
// −745.13; the positive half is checked too (overflow to Infinity). 2²⁰ inputs per case.

const N = 1 << 20;

/** expAll(n) replaces x[i] by exp(x[i]) for i < n (x at byte 0): one call for a whole batch. */
const kernel = (() => {
  const mod = new ModuleBuilder(false);
  const exp = emitExp(mod);
  const f = mod.declare(['i32'] as const, 'expAll');
  const [n] = f.builder.params;
  const i = f.builder.local('i32');
  const x = f.builder.local('f64');
  const at = i32.mul(get(i), i32.const(8));
  mod.define(f, [for_(i, i32.const(0), get(n), 1, [set(x, f64.load(at)), f64.store(at, callValue(exp, [get(x)]))])]);
  const memory = new WebAssembly.Memory({ initial: (8 * N) / 65536 });
  const { expAll } = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as {
    expAll: (n: number) => void;
  };
  return { xs: new Float64Array(memory.buffer, 0, N), expAll };
})();

/** A deterministic stream of uniform numbers in [0, 1) with 53 random bits (xorshift128+). */
function uniform(seed: number): () => number {
  let [a, b] = [BigInt(seed) * 0x9e3779b97f4a7c15n + 1n, 0x632be59bd9b4e019n];
  return () => {
    let s = a;
    a = b;
    s ^= (s << 23n) & 0xffffffffffffffffn;
    b = s ^ a ^ (s >> 17n) ^ (a >> 26n);
    return Number((b + a) & 0x1fffffffffffffn) / 2 ** 53;
  };
}

/** The inputs `input(i)`, i < N, whose kernel result differs from Math.exp's in any bit (the first 10). */
function mismatches(input: (i: number) => number): number[] {
  const { xs, expAll } = kernel;
  for (let i = 0; i < N; i++) xs[i] = input(i);
  const inputs = Float64Array.from(xs);
  expAll(N);
  const got = new BigInt64Array(xs.buffer, 0, N);
  const want = new Float64Array(1);
  const wantBits = new BigInt64Array(want.buffer);
  const bad: number[] = [];
  for (let i = 0; i < N && bad.length < 10; i++) {
    want[0] = Math.exp(inputs[i]!);
    if (Number.isNaN(want[0]) ? !Number.isNaN(xs[i]) : got[i] !== wantBits[0]) bad.push(inputs[i]!);
  }
  return bad;
}

/** The f64 with high word `hi` and low word `lo`. */
const word = (hi: number, lo: number) => new Float64Array(new Uint32Array([lo, hi]).buffer)[0]!;
const bitsOf = (x: number) => new BigInt64Array(Float64Array.of(x).buffer)[0]!;
const fromBits = (b: bigint) => new Float64Array(BigInt64Array.of(b).buffer)[0]!;

describe('the WASM exp (fdlibm, as V8 Math.exp)', () => {
  it('equals Math.exp bit for bit on x uniform in [−746, 0]', () => {
    const r = uniform(1);
    expect(mismatches(() => -746 * r())).toEqual([]);
  });

  it('equals Math.exp bit for bit on random negative bit patterns (every exponent: tiny, normal, huge, −Infinity, NaN)', () => {
    const r = uniform(2);
    expect(mismatches(() => word(0x80000000 | Math.floor(r() * 2 ** 31), Math.floor(r() * 2 ** 32)))).toEqual([]);
  });

  it('equals Math.exp bit for bit where the result is subnormal or underflows (x in [−746, −708])', () => {
    const r = uniform(3);
    expect(mismatches(() => -708 - 38 * r())).toEqual([]);
  });

  it('equals Math.exp bit for bit around every threshold of the algorithm, to the last ulp', () => {
    // where fdlibm changes branch, and the over/underflow limits, each ± up to 2¹⁹ ulps, both signs
    const edges = [
      word(0x3fd62e42, 0),
      word(0x3fd62e43, 0),
      word(0x3ff0a2b2, 0),
      word(0x3e300000, 0),
      word(0x40862e42, 0),
      word(0x40862e42, 0xfefa39ef), // overflow threshold
      Math.abs(word(0xc0874910, 0xd52d3051)), // underflow threshold
      0.5 * Math.LN2,
      1.5 * Math.LN2,
      708.3964185322641, // e^−x = 2⁻¹⁰²², the smallest normal
      709.0895657128241, // k = −1022: fdlibm's two-step scaling
      744.4400719213812, // e^−x ≈ the smallest subnormal
    ].map(bitsOf);
    const r = uniform(4);
    expect(
      mismatches((i) => {
        const x = fromBits(edges[i % edges.length]! + BigInt(Math.floor(r() * 2 ** 20) - 2 ** 19));
        return (i >> 4) & 1 ? -x : x;
      }),
    ).toEqual([]);
  });

  it('equals Math.exp bit for bit on tiny |x| (down to subnormals), both signs, and on special values', () => {
    const r = uniform(5);
    const specials = [0, -0, Number.NaN, -Infinity, Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE];
    expect(mismatches((i) => (i < specials.length ? specials[i]! : (i & 1 ? -1 : 1) * 2 ** (-1074 + 1060 * r())))).toEqual([]);
  });

  it('equals Math.exp bit for bit on positive x up to overflow', () => {
    const r = uniform(6);
    expect(mismatches(() => 712 * r())).toEqual([]);
  });
});
