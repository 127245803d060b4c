/**
 * `@carousel/autograd/wasm`: the low-level WebAssembly emitter Carousel's CPU kernels are written
 * in (the WASM SIMD matmul, the fused LSTM/GRU cells, `@carousel/nn`'s RTRL1997 step). It is for
 * kernel authors, and it is low level: you write the instruction stream yourself, in typed
 * TypeScript (`f64.add(a, b)`, `for_`, `if_`, locals), and get a module's bytes with no build
 * step, no compiler and no committed binary; the same source runs in Node and browsers.
 *
 * Expressions carry their WebAssembly type, so mixing types is a compile error; nothing else is
 * checked before `WebAssembly.validate`. A module has one memory, imported as `env.memory`, and
 * may import functions (`importFunc`) and export its own.
 *
 * @example
 * // axpy(n, a, x, y): y[i] += a·x[i] over n f64s (x, y byte addresses)
 * const mod = new ModuleBuilder(false);
 * const f = mod.declare(['i32', 'f64', 'i32', 'i32'] as const, 'axpy');
 * const [n, a, x, y] = f.builder.params;
 * const i = f.builder.local('i32');
 * const at = (p: Local<'i32'>) => i32.add(get(p), i32.shl(get(i), i32.const(3)));
 * mod.define(f, [for_(i, i32.const(0), get(n), 1, [f64.store(at(y), f64.add(f64.load(at(y)), f64.mul(get(a), f64.load(at(x)))))])]);
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const { axpy } = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as {
 *   axpy: (n: number, a: number, x: number, y: number) => void;
 * };
 * const mem = new Float64Array(memory.buffer);
 * mem.set([1, 2, 3], 0);     // x at byte 0
 * mem.set([10, 10, 10], 4);  // y at byte 32
 * axpy(3, 2, 0, 32);         // y = [12, 14, 16]
 *
 * @packageDocumentation
 */
export {
  bitselect,
  call,
  callValue,
  doWhile,
  type Expr,
  type Func,
  FuncBuilder,
  f32,
  f32x4,
  f64,
  for_,
  get,
  i32,
  i32x4,
  i64,
  if_,
  inc,
  type Local,
  MAX_PAGES,
  ModuleBuilder,
  ret,
  returnValue,
  type Stmt,
  select,
  set,
  type ValType,
  zero,
} from './backends/cpu/wasm/emit.js';
