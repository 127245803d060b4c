import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { call, callValue, f32, f32x4, f64, for_, get, i32, i64, if_, inc, ModuleBuilder, returnValue, select, set, zero } from './emit.js';

/** Instantiates a module built by `build` on a fresh one-page memory (`env` adds imports). */
function instantiate(build: (mod: ModuleBuilder) => void, env: Record<string, unknown> = {}) {
  const mod = new ModuleBuilder(false);
  build(mod);
  const bytes = mod.encode();
  expect(WebAssembly.validate(bytes)).toBe(true);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, ...env } }).exports;
  return {
    exports: exports as Record<string, (...args: number[]) => number>,
    i32: new Int32Array(memory.buffer),
    f32: new Float32Array(memory.buffer),
    f64: new Float64Array(memory.buffer),
  };
}

/** Any f64, by its bits: every NaN payload, ±0, subnormals, ±Infinity. */
const anyF64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => new Float64Array(BigUint64Array.of(b).buffer)[0]!);
const sameBits = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b));

describe('wasm emitter', () => {
  it('encodes every i32 constant and memory offset (LEB128 across byte boundaries)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 16000 }), (value, slot) => {
        const { exports, i32: mem } = instantiate((mod) => {
          const f = mod.declare(['i32'] as const, 'put');
          const [base] = f.builder.params;
          mod.define(f, [i32.store(get(base), i32.const(value), 4 * slot)]);
        });
        exports.put!(4);
        return mem[1 + slot] === value;
      }),
      { numRuns: 200 },
    );
  });

  it('runs loops, branches, calls and f32x4 arithmetic', () => {
    // sums(n): out[0..3] = Σ_{i<n} (x[i] * 2 + 1) lane-wise over 4-float rows, and out[4] = rows seen
    const {
      exports,
      f32: mem,
      i32: imem,
    } = instantiate((mod) => {
      const rows = mod.declare(['i32', 'i32'] as const);
      {
        const [addr, count] = rows.builder.params;
        mod.define(rows, [i32.store(get(addr), i32.add(i32.load(get(addr)), get(count)))]);
      }
      const f = mod.declare(['i32'] as const, 'sums');
      const [n] = f.builder.params;
      const i = f.builder.local('i32');
      const acc = f.builder.local('v128');
      const p = f.builder.local('i32');
      mod.define(f, [
        zero(i32.const(1024), i32.const(20)),
        set(p, i32.const(0)),
        for_(i, i32.const(0), get(n), 1, [
          set(
            acc,
            f32x4.add(
              get(acc),
              f32x4.add(f32x4.mul(f32x4.load(get(p)), f32x4.loadSplat(i32.const(2052))), f32x4.loadSplat(i32.const(2048))),
            ),
          ),
          inc(p, 16),
          if_(i32.lt(get(i), i32.const(1000)), [call(rows, [i32.const(1024 + 16), i32.const(1)])]),
        ]),
        f32x4.store(i32.const(1024), get(acc)),
      ]);
    });
    const n = 37;
    for (let x = 0; x < 4 * n; x++) mem[x] = x / 8;
    mem[512] = 1; // the splatted constants at bytes 2048 and 2052
    mem[513] = 2;
    exports.sums!(n);
    for (let lane = 0; lane < 4; lane++) {
      let want = 0;
      for (let r = 0; r < n; r++) want += Math.fround(Math.fround(((4 * r + lane) / 8) * 2) + 1);
      expect(mem[256 + lane]).toBeCloseTo(want, 3);
    }
    expect(imem[256 + 4]).toBe(n);
  });

  it("computes f64 arithmetic, comparisons and conversions with the bits of JavaScript's", () => {
    // ops(p): reads a = x[0], b = x[1] and writes each operation's result to x[2…]
    const ops: [string, (a: number, b: number) => number][] = [
      ['add', (a, b) => a + b],
      ['sub', (a, b) => a - b],
      ['mul', (a, b) => a * b],
      ['div', (a, b) => a / b],
      ['abs', (a) => Math.abs(a)],
      ['neg', (a) => -a],
      ['trunc', (a) => Math.trunc(a)],
      ['sqrt', (a) => Math.sqrt(a)],
      ['lt', (a, b) => +(a < b)],
      ['gt', (a, b) => +(a > b)],
      ['le', (a, b) => +(a <= b)],
      ['ge', (a, b) => +(a >= b)],
      ['eq', (a, b) => +(a === b)],
      ['ne', (a, b) => +(a !== b)],
      ['select', (a, b) => (a > 0 ? a : b)],
      ['mulAdd', (a, b) => a * b + a],
    ];
    const { exports, f64: mem } = instantiate((mod) => {
      const f = mod.declare(['i32'] as const, 'ops');
      const [p] = f.builder.params;
      const a = f64.load(get(p));
      const b = f64.load(get(p), 8);
      const asF64 = (c: ReturnType<typeof f64.lt>) => f64.convertI32(c);
      const results = [
        f64.add(a, b),
        f64.sub(a, b),
        f64.mul(a, b),
        f64.div(a, b),
        f64.abs(a),
        f64.neg(a),
        f64.trunc(a),
        f64.sqrt(a),
        asF64(f64.lt(a, b)),
        asF64(f64.gt(a, b)),
        asF64(f64.le(a, b)),
        asF64(f64.ge(a, b)),
        asF64(f64.eq(a, b)),
        asF64(f64.ne(a, b)),
        select(a, b, f64.gt(a, f64.const(0))),
        f64.add(f64.mul(a, b), a), // no fused multiply-add: two roundings, as in JavaScript
      ];
      mod.define(
        f,
        results.map((r, i) => f64.store(get(p), r, 16 + 8 * i)),
      );
    });
    fc.assert(
      fc.property(fc.oneof(anyF64, fc.double()), fc.oneof(anyF64, fc.double()), (a, b) => {
        mem[0] = a;
        mem[1] = b;
        exports.ops!(0);
        for (const [i, [name, op]] of ops.entries()) expect(sameBits(mem[2 + i]!, op(a, b)), `${name}(${a}, ${b})`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes every f64 constant exactly (−0, subnormals, NaN, ±Infinity)', () => {
    fc.assert(
      fc.property(fc.array(anyF64, { minLength: 1, maxLength: 20 }), (xs) => {
        const { exports, f64: mem } = instantiate((mod) => {
          const f = mod.declare([] as const, 'put');
          mod.define(
            f,
            xs.map((x, i) => f64.store(i32.const(8 * i), f64.const(x))),
          );
        });
        exports.put!();
        return xs.every((x, i) => sameBits(mem[i]!, x) && (Number.isNaN(x) || Object.is(mem[i], x)));
      }),
      { numRuns: 100 },
    );
  });

  it('takes f64s apart and puts them together through i64 bits (the exponent field of 2^k)', () => {
    // pow2(k) = 2^k built from bits for −1022 ≤ k ≤ 1023; bits(p) copies the high 32 bits of x[0] to an i32
    const {
      exports,
      f64: mem,
      i32: imem,
    } = instantiate((mod) => {
      const pow2 = mod.declare(['i32'] as const, 'pow2', 'f64');
      const [k] = pow2.builder.params;
      mod.define(pow2, [], f64.reinterpretI64(i64.shl(i64.extendI32(i32.add(get(k), i32.const(1023))), i64.const(52n))));
      const hi = mod.declare(['i32'] as const, 'hi');
      const [p] = hi.builder.params;
      mod.define(hi, [
        i32.store(get(p), i32.wrapI64(i64.shrU(i64.reinterpretF64(f64.load(get(p))), i64.const(32n))), 8),
        i64.store(get(p), i64.and(i64.load(get(p)), i64.const(2n ** 63n - 1n)), 16), // clears the sign bit
      ]);
    });
    for (let k = -1022; k <= 1023; k++) expect(exports.pow2!(k)).toBe(2 ** k);
    fc.assert(
      fc.property(anyF64, (x) => {
        mem[0] = x;
        exports.hi!(0);
        const words = new Uint32Array(mem.buffer, 0, 2);
        expect(imem[2]! >>> 0).toBe(words[1]);
        // x & ~sign bit, written back as an i64: |x|'s bits
        const abs = new Uint32Array(mem.buffer, 16, 2);
        expect([abs[0], abs[1]]).toEqual([words[0], words[1]! & 0x7fffffff]);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes i64 constants across the signed LEB128 range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const { exports, i32: mem } = instantiate((mod) => {
          const f = mod.declare([] as const, 'put');
          mod.define(f, [i64.store(i32.const(0), i64.const(n))]);
        });
        exports.put!();
        return new BigInt64Array(mem.buffer, 0, 1)[0] === n;
      }),
      { numRuns: 200 },
    );
  });

  it('calls functions with results, imported and local, and returns early', () => {
    // clampTanh(x) = x is NaN ? x : tanh(min(x, 1)) via an imported tanh; twice(x) = 2x locally
    const { exports } = instantiate(
      (mod) => {
        const tanh = mod.importFunc('env', 'tanh', ['f64'] as const, 'f64');
        const twice = mod.declare(['f64'] as const, undefined, 'f64');
        mod.define(twice, [], f64.add(get(twice.builder.params[0]), get(twice.builder.params[0])));
        const f = mod.declare(['f64'] as const, 'clampTanh', 'f64');
        const [x] = f.builder.params;
        mod.define(
          f,
          [
            if_(f64.ne(get(x), get(x)), [returnValue(get(x))]),
            if_(f64.gt(get(x), f64.const(1)), [returnValue(callValue(tanh, [callValue(twice, [f64.const(0.5)])]))]),
          ],
          callValue(tanh, [get(x)]),
        );
      },
      { tanh: Math.tanh },
    );
    for (const x of [-3, -0.25, 0, 0.5, 1, 2, 100]) expect(exports.clampTanh!(x)).toBe(Math.tanh(Math.min(x, 1)));
    expect(exports.clampTanh!(Number.NaN)).toBeNaN();
  });

  it('refuses an import after a declared function and a body whose result type is wrong', () => {
    const mod = new ModuleBuilder(false);
    const f = mod.declare(['f64'] as const, 'f', 'f64');
    expect(() => mod.importFunc('env', 'tanh', ['f64'], 'f64')).toThrow(/imports come first/);
    // @ts-expect-error: a function with an f64 result needs the expression it returns
    expect(() => mod.define(f, [])).toThrow(/returns f64, its body ends in nothing/);
    // @ts-expect-error: an i32 is not an f64
    expect(() => mod.define(f, [], i32.const(1))).toThrow(/returns f64, its body ends in i32/);
    const g = mod.declare([] as const);
    // @ts-expect-error: a function without a result takes no result expression
    expect(() => mod.define(g, [], f64.const(1))).toThrow(/returns nothing/);
  });

  it('rejects a call whose argument types differ from the callee', () => {
    const mod = new ModuleBuilder(false);
    const f = mod.declare(['i32', 'i32'] as const);
    expect(() => call(f, [i32.const(1)])).toThrow(/argument types/);
    expect(() => call(f, [i32.const(1), f32.load(i32.const(0))])).toThrow(/argument types/);
  });

  it('refuses to encode a module with a function left undefined', () => {
    const mod = new ModuleBuilder(false);
    mod.declare(['i32'] as const, 'f');
    expect(() => mod.encode()).toThrow(/never defined/);
  });
});
