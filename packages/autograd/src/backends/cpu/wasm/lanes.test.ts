// The WASM float32 exp, sigmoid and tanh against Math's, in units of float32 ulp, over random and
// special inputs; and the partial last vector of a row, which must leave the other lanes as they were.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { for_, get, i32, ModuleBuilder, set } from './emit.js';
import { CONST_SLOTS, CONST_TABLE, laneMask, tableInit, VectorCode } from './lanes.js';

type Fn = 'exp' | 'sigmoid' | 'tanh';
const FNS: Fn[] = ['exp', 'sigmoid', 'tanh'];
const DATA = CONST_TABLE + 16 * CONST_SLOTS;

/**
 * `<fn>(n)`: y[i] = fn(x[i]) for i < n, four at a time, the last vector storing only what is left
 * of n (the way a row's tail is stored); x at DATA, y `cap` floats after it.
 */
function instantiate(cap: number) {
  const mod = new ModuleBuilder(false);
  for (const fn of FNS) {
    const f = mod.declare(['i32'] as const, fn);
    const [count] = f.builder.params;
    const [at, n4, mask] = [f.builder.local('i32'), f.builder.local('i32'), f.builder.local('v128')];
    const m = new VectorCode(f.builder, mask);
    m.store(i32.add(get(at), i32.const(DATA + 4 * cap)), m[fn](m.load(i32.add(get(at), i32.const(DATA)))));
    mod.define(f, [
      set(n4, i32.mul(get(count), i32.const(4))),
      for_(at, i32.const(0), get(n4), 16, [set(mask, laneMask(i32.sub(get(n4), get(at)))), ...m.body]),
    ]);
  }
  mod.define(mod.declare([] as const, 'init'), tableInit());
  const memory = new WebAssembly.Memory({ initial: Math.ceil((DATA + 8 * cap + 64) / 65536) });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as Record<
    string,
    (n?: number) => void
  >;
  exports.init!();
  const f32 = new Float32Array(memory.buffer);
  /** fn over xs; the output region is filled with `fill` first, and returned whole. */
  return (fn: Fn, xs: number[], fill = Number.NaN): Float32Array => {
    f32.set(xs, DATA / 4);
    f32.fill(fill, DATA / 4 + cap, DATA / 4 + 2 * cap);
    exports[fn]!(xs.length);
    return f32.slice(DATA / 4 + cap, DATA / 4 + 2 * cap);
  };
}

const REF: Record<Fn, (x: number) => number> = { exp: Math.exp, sigmoid: (x) => 1 / (1 + Math.exp(-x)), tanh: Math.tanh };

/** |got − want| in float32 ulps of want (ulp of the smallest normal below it). */
function ulps(got: number, want: number): number {
  const w = Math.fround(want);
  const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(w) || 2 ** -126)), -126) - 23);
  return Math.abs(got - want) / ulp;
}

describe('WASM float32 activations', () => {
  const CAP = 64;
  const run = instantiate(CAP);

  it('match Math within a few float32 ulp on random inputs', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -30, max: 30, noNaN: true }), { minLength: CAP, maxLength: CAP }), (xs) => {
        for (const fn of FNS) {
          const y = run(fn, xs);
          for (let i = 0; i < CAP; i++) {
            const x = Math.fround(xs[i]!);
            // sigmoid underflows towards 0 and exp is clamped: compare where the result is a normal float
            if (fn !== 'tanh' && Math.abs(REF[fn](x)) < 1e-37) continue;
            expect(ulps(y[i]!, REF[fn](x)), `${fn}(${x}) = ${y[i]}, want ${REF[fn](x)}`).toBeLessThanOrEqual(fn === 'tanh' ? 4 : 3);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('the last vector stores only the lanes that are left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: CAP - 4 }), (n) => {
        const xs = Array.from({ length: n }, (_, i) => i / 7 - 1);
        const y = run('tanh', xs, 123);
        for (let i = 0; i < n; i++) expect(y[i]).toBeCloseTo(Math.tanh(xs[i]!), 6);
        for (let i = n; i < CAP; i++) expect(y[i]).toBe(123);
      }),
    );
  });

  it('handle ±0, tiny, huge, ±Infinity and NaN', () => {
    const xs = [0, -0, 1e-30, -1e-30, 1e-8, 0.625, -0.625, 88, 89, -87, -104, 1e30, -1e30, Infinity, -Infinity, Number.NaN];
    const [e, sg, th] = FNS.map((fn) => run(fn, xs));
    const at = (r: Float32Array, x: number) => r[xs.findIndex((y) => Object.is(x, y))]!;
    expect(at(e!, 0)).toBe(1);
    expect(at(e!, 1e30)).toBeGreaterThan(1e38); // clamped at e⁸⁸, finite
    expect(at(e!, -1e30)).toBeLessThan(1e-37);
    expect(at(sg!, Infinity)).toBe(1);
    expect(at(sg!, -Infinity)).toBeLessThan(1e-37);
    expect(at(sg!, 0)).toBe(0.5);
    expect(at(th!, Infinity)).toBe(1);
    expect(at(th!, -Infinity)).toBe(-1);
    expect(Object.is(at(th!, -0), -0)).toBe(true);
    expect(at(th!, 1e-30)).toBe(Math.fround(1e-30));
    for (const r of [e, sg, th]) expect(r![xs.length - 1]).toBeNaN();
  });
});
