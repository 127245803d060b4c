import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { call, f32, f32x4, for_, get, i32, if_, inc, ModuleBuilder, set, zero } from './emit.js';

/** Instantiates a module built by `build` on a fresh one-page memory. */
function instantiate(build: (mod: ModuleBuilder) => void) {
  const mod = new ModuleBuilder(false);
  build(mod);
  const bytes = mod.encode();
  expect(WebAssembly.validate(bytes)).toBe(true);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  return {
    exports: exports as Record<string, (...args: number[]) => void>,
    i32: new Int32Array(memory.buffer),
    f32: new Float32Array(memory.buffer),
  };
}

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
