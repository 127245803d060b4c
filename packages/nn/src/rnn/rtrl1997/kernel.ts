// RTRL1997's time step as one WebAssembly function, emitted per network configuration (sizes,
// squashes, which parameters exist, on-line learning or accumulation) so a variant costs nothing
// for what it lacks. The learner's arrays all live in one memory per learner, at the addresses of
// `rtrlLayout`; the TypeScript loops in ../rtrl1997.ts work on views of the same memory, so
// either path can run any step.
//
// The kernel is the TypeScript step transcribed: every sum starts where the TypeScript one
// starts (a bias or 0), adds the same terms in the same order (nonzero inputs ascending, then the
// recurrent units, then the bias input) and rounds the same products (α·(e·u), not (α·e)·u).
// WebAssembly's f64 arithmetic is IEEE binary64 with no fused multiply-add, e^x is fdlibm's (as
// Math.exp is, exp.ts) and tanh is Math.tanh itself, imported, so the bits are the same.
import {
  callValue,
  type Expr,
  type Func,
  f64,
  for_,
  get,
  i32,
  i64,
  if_,
  inc,
  type Local,
  MAX_PAGES,
  ModuleBuilder,
  type Stmt,
  select,
  set,
} from '@carousel/autograd/wasm';
import type { LSTM1997, Squash } from '../lstm1997.js';
import { emitExp } from './exp.js';

/** Names of the parameters RTRL1997 trains (those of {@link LSTM1997}). */
export type ParamName =
  | 'weight_cell'
  | 'bias_cell'
  | 'weight_in_gate'
  | 'bias_in_gate'
  | 'weight_out_gate'
  | 'bias_out_gate'
  | 'weight_output'
  | 'bias_output'
  | 'weight_input_output';

/** Every {@link ParamName}, in the order the parameters are laid out in memory. */
export const PARAM_NAMES: readonly ParamName[] = [
  'weight_cell',
  'bias_cell',
  'weight_in_gate',
  'bias_in_gate',
  'weight_out_gate',
  'bias_out_gate',
  'weight_output',
  'bias_output',
  'weight_input_output',
];

/** Everything the step's code depends on: one module per distinct shape. */
export interface RTRLShape {
  /** Inputs, output units, blocks, cells per block. */
  I: number;
  K: number;
  C: number;
  S: number;
  outGate: boolean;
  /** Connectivity 'F': the hidden units' outputs r(t − 1) are inputs of the gates and cells. */
  recurrent: boolean;
  g: Exclude<Squash, 'paper'>;
  h: Exclude<Squash, 'paper'>;
  out: 'logistic' | 'identity';
  /** Which parameters exist. */
  has: Record<ParamName, boolean>;
  /** lr = 0: Δ goes to the gradient accumulators (else straight into the weights, times lr). */
  accumulate: boolean;
}

/** Width of u = [x, r(t − 1), 1]. */
export const widthOfU = (s: RTRLShape): number => s.I + (s.recurrent ? s.C * (s.S + (s.outGate ? 2 : 1)) : 0) + 1;

/** Elements of each parameter. */
export function paramSizes(s: RTRLShape): Record<ParamName, number> {
  const [Mw, CS] = [widthOfU(s) - 1, s.C * s.S];
  const sizes = {
    weight_cell: CS * Mw,
    bias_cell: CS,
    weight_in_gate: s.C * Mw,
    bias_in_gate: s.C,
    weight_out_gate: s.C * Mw,
    bias_out_gate: s.C,
    weight_output: s.K * CS,
    bias_output: s.K,
    weight_input_output: s.K * s.I,
  };
  for (const n of PARAM_NAMES) if (!s.has[n]) sizes[n] = 0;
  return sizes;
}

/** Byte addresses of the learner's arrays in its memory (f64 arrays unless noted). */
export interface RTRLLayout {
  /** The step's α (lr, or 1 when accumulating). */
  alpha: number;
  x: number;
  target: number;
  w: Record<ParamName, number>;
  grad: Record<ParamName, number>;
  u: number;
  /** i32: indices of x's nonzero entries. */
  inIdx: number;
  inVal: number;
  netIn: number;
  s: number;
  traceCell: number;
  traceIn: number;
  yIn: number;
  yOut: number;
  yc: number;
  y: number;
  dg: number;
  hs: number;
  dhs: number;
  dy: number;
  ek: number;
  es: number;
  /** Bytes in all. */
  bytes: number;
}

export function rtrlLayout(s: RTRLShape): RTRLLayout {
  let bytes = 0;
  const take = (n: number, size = 8) => {
    const at = bytes;
    bytes += Math.ceil((n * size) / 8) * 8;
    return at;
  };
  const [M, CS, C, K, I] = [widthOfU(s), s.C * s.S, s.C, s.K, s.I];
  const sizes = paramSizes(s);
  const params = () => Object.fromEntries(PARAM_NAMES.map((n) => [n, take(sizes[n])])) as Record<ParamName, number>;
  return {
    alpha: take(1),
    x: take(I),
    target: take(K),
    w: params(),
    grad: params(),
    u: take(M),
    inIdx: take(I, 4),
    inVal: take(I),
    netIn: take((s.outGate ? 2 : 1) * C + CS),
    s: take(CS),
    traceCell: take(CS * M),
    traceIn: take(CS * M),
    yIn: take(C),
    yOut: take(C),
    yc: take(CS),
    y: take(K),
    dg: take(CS),
    hs: take(CS),
    dhs: take(CS),
    dy: take(K),
    ek: take(K),
    es: take(CS),
    bytes,
  };
}

/** What {@link RTRLKernel.step} does: `ADVANCE` the cells only, or also the outputs (`OUTPUTS`), and learn from the target (`LEARN`). */
export const ADVANCE = 0;
export const OUTPUTS = 1;
export const LEARN = 2;

type I32 = Expr<'i32'>;
type F64 = Expr<'f64'>;
const K_ = i32.const;
const F = f64.const;
const { add, sub, mul } = f64;
const iadd = i32.add;
const imul = (a: I32, n: number): I32 => i32.mul(a, K_(n));

/** Element `i` of the f64 array at byte address `base` (a constant of the layout). */
const ld = (base: number, i: I32): F64 => f64.load(i32.shl(i, K_(3)), base);
const st = (base: number, i: I32, v: F64): Stmt => f64.store(i32.shl(i, K_(3)), v, base);
/** base[i] += v (`i` is evaluated twice: a local or constant). */
const addTo = (base: number, i: I32, v: F64): Stmt => st(base, i, add(ld(base, i), v));

/** The step function's code for one shape (see the top of this file). */
function emitStep(mod: ModuleBuilder, shape: RTRLShape, sig: Func<'f64'>, tanh: Func<'f64'> | null): void {
  const { I, K, C, S } = shape;
  const L = rtrlLayout(shape);
  const f = mod.declare(['i32'] as const, 'step');
  const fb = f.builder;
  const [mode] = fb.params;
  const li = () => fb.local('i32');
  const lf = () => fb.local('f64');
  const [n, i, j, q, m, v, k] = [li(), li(), li(), li(), li(), li(), li()];
  const [v0, row, trow, r] = [li(), li(), li(), li()];
  const [acc, xv, yin, yout, dIn, gz, a] = [lf(), lf(), lf(), lf(), lf(), lf(), lf()];
  const [b, e, back, alpha, tmp, fo] = [lf(), lf(), lf(), lf(), lf(), lf()];
  const CS = C * S;
  const M = widthOfU(shape);
  const Mw = M - 1;
  const idxAt = (qq: I32): I32 => i32.load(i32.shl(qq, K_(2)), L.inIdx);
  const valAt = (qq: I32): F64 => ld(L.inVal, qq);
  const uAt = (mm: I32): F64 => ld(L.u, mm);
  /** for (q = 0; q < nIn; q++) body(q) — the nonzero inputs. */
  const overInputs = (body: Stmt[]) => for_(q, K_(0), get(n), 1, body);
  /** for (m = I; m < M − 1; m++) body — the recurrent units (none with connectivity 'B'). */
  const overRecurrent = (body: Stmt[]) => (shape.recurrent ? [for_(m, K_(I), K_(Mw), 1, body)] : []);

  /** Sets `out` to squash(x) and `dBase[di]` to its derivative, as rtrl1997.ts's `squash` does. */
  const squash = (kind: RTRLShape['g'], x: F64, out: Local<'f64'>, dBase: number, di: I32): Stmt[] => {
    const sv = get(tmp);
    switch (kind) {
      case 'sigmoid2':
        return [set(tmp, callValue(sig, [x])), st(dBase, di, mul(mul(F(4), sv), sub(F(1), sv))), set(out, sub(mul(F(4), sv), F(2)))];
      case 'sigmoid1':
        return [set(tmp, callValue(sig, [x])), st(dBase, di, mul(mul(F(2), sv), sub(F(1), sv))), set(out, sub(mul(F(2), sv), F(1)))];
      case 'logistic':
        return [set(tmp, callValue(sig, [x])), st(dBase, di, mul(sv, sub(F(1), sv))), set(out, sv)];
      case 'tanh':
        return [set(tmp, callValue(tanh!, [x])), st(dBase, di, sub(F(1), mul(sv, sv))), set(out, sv)];
      case 'identity':
        return [st(dBase, di, F(1)), set(out, x)];
    }
  };

  // x's nonzero entries as (index, value) lists, ascending; four zeros (±0) at a time are skipped
  // with one test of their bits (or-ed, the sign bits shifted out)
  const I4 = I & ~3;
  const pick = (index: I32, value: F64): Stmt[] => [
    set(xv, value),
    if_(f64.ne(get(xv), F(0)), [i32.store(i32.shl(get(n), K_(2)), index, L.inIdx), st(L.inVal, get(n), get(xv)), inc(n, 1)]),
  ];
  const bits = (d: number) => i64.load(i32.shl(get(i), K_(3)), L.x + 8 * d);
  const readInput: Stmt[] = [
    set(n, K_(0)),
    ...(I4 > 0
      ? [
          for_(i, K_(0), K_(I4), 4, [
            if_(i32.eqz(i64.eqz(i64.shl(i64.or(i64.or(bits(0), bits(1)), i64.or(bits(2), bits(3))), i64.const(1n)))), [
              ...[0, 1, 2, 3].flatMap((d) => pick(iadd(get(i), K_(d)), f64.load(i32.shl(get(i), K_(3)), L.x + 8 * d))),
            ]),
          ]),
        ]
      : []),
    ...Array.from({ length: I - I4 }, (_, d) => pick(K_(I4 + d), ld(L.x, K_(I4 + d)))).flat(),
  ];

  /** netIn[at + i] = bias[i] + w[i, :]·u over `rows` rows, summed as #matVecU sums. */
  const matVec = (name: ParamName, bias: ParamName, rows: number, at: number): Stmt =>
    for_(i, K_(0), K_(rows), 1, [
      set(row, imul(get(i), Mw)),
      set(acc, shape.has[bias] ? ld(L.w[bias], get(i)) : F(0)),
      overInputs([set(acc, add(get(acc), mul(ld(L.w[name], iadd(get(row), idxAt(get(q)))), valAt(get(q)))))]),
      ...overRecurrent([set(acc, add(get(acc), mul(ld(L.w[name], iadd(get(row), get(m))), uAt(get(m)))))]),
      st(L.netIn + 8 * at, get(i), get(acc)),
    ]);
  const net0 = shape.outGate ? 2 * C : C;
  const netInputs: Stmt[] = [
    matVec('weight_in_gate', 'bias_in_gate', C, 0),
    ...(shape.outGate ? [matVec('weight_out_gate', 'bias_out_gate', C, C)] : []),
    matVec('weight_cell', 'bias_cell', CS, net0),
  ];

  const gates: Stmt[] = [
    for_(j, K_(0), K_(C), 1, [st(L.yIn, get(j), callValue(sig, [ld(L.netIn, get(j))]))]),
    for_(j, K_(0), K_(C), 1, [st(L.yOut, get(j), shape.outGate ? callValue(sig, [ld(L.netIn + 8 * C, get(j))]) : F(1))]),
  ];

  /** trace[row + m] += c·u_m over the nonzero inputs, the recurrent units and the bias input (#addToTraces). */
  const traces: Stmt[] = [
    overInputs([
      set(r, iadd(get(row), idxAt(get(q)))),
      addTo(L.traceCell, get(r), mul(get(a), valAt(get(q)))),
      addTo(L.traceIn, get(r), mul(get(b), valAt(get(q)))),
    ]),
    ...overRecurrent([
      set(r, iadd(get(row), get(m))),
      addTo(L.traceCell, get(r), mul(get(a), uAt(get(m)))),
      addTo(L.traceIn, get(r), mul(get(b), uAt(get(m)))),
    ]),
    set(r, iadd(get(row), K_(Mw))),
    addTo(L.traceCell, get(r), get(a)),
    addTo(L.traceIn, get(r), get(b)),
  ];
  const cells: Stmt[] = [
    set(v, K_(0)),
    for_(j, K_(0), K_(C), 1, [
      set(yin, ld(L.yIn, get(j))),
      set(yout, ld(L.yOut, get(j))),
      set(dIn, mul(get(yin), sub(F(1), get(yin)))),
      for_(k, K_(0), K_(S), 1, [
        ...squash(shape.g, ld(L.netIn + 8 * net0, get(v)), gz, L.dg, get(v)),
        st(L.s, get(v), add(ld(L.s, get(v)), mul(get(yin), get(gz)))),
        set(a, mul(ld(L.dg, get(v)), get(yin))),
        set(b, mul(get(gz), get(dIn))),
        set(row, imul(get(v), M)),
        ...traces,
        ...squash(shape.h, ld(L.s, get(v)), fo, L.dhs, get(v)),
        st(L.hs, get(v), get(fo)),
        st(L.yc, get(v), mul(get(yout), get(fo))),
        inc(v, 1),
      ]),
    ]),
  ];

  const outputs: Stmt[] = [
    for_(k, K_(0), K_(K), 1, [
      set(acc, shape.has.bias_output ? ld(L.w.bias_output, get(k)) : F(0)),
      set(row, imul(get(k), CS)),
      for_(v, K_(0), K_(CS), 1, [set(acc, add(get(acc), mul(ld(L.w.weight_output, iadd(get(row), get(v))), ld(L.yc, get(v)))))]),
      ...(shape.has.weight_input_output
        ? [
            set(row, imul(get(k), I)),
            overInputs([set(acc, add(get(acc), mul(ld(L.w.weight_input_output, iadd(get(row), idxAt(get(q)))), valAt(get(q)))))]),
          ]
        : []),
      ...squash(shape.out, get(acc), fo, L.dy, get(k)),
      st(L.y, get(k), get(fo)),
    ]),
  ];

  // #learn: Δ into the weights themselves (on-line) or into the accumulators; w_k changes last
  const D = shape.accumulate ? L.grad : L.w;
  const has = shape.has;
  /** Σ_v e_s[v]·traceIn[v·M + col] over block j's cells, from 0 (blockSum). */
  const blockSum = (col: I32): Stmt[] => [
    set(acc, F(0)),
    for_(v, get(v0), iadd(get(v0), K_(S)), 1, [set(acc, add(get(acc), mul(ld(L.es, get(v)), ld(L.traceIn, iadd(imul(get(v), M), col)))))]),
  ];
  const learn: Stmt[] = [
    set(alpha, ld(L.alpha, K_(0))),
    for_(k, K_(0), K_(K), 1, [st(L.ek, get(k), mul(ld(L.dy, get(k)), sub(ld(L.target, get(k)), ld(L.y, get(k)))))]),
    for_(j, K_(0), K_(C), 1, [
      set(v0, imul(get(j), S)),
      set(yout, ld(L.yOut, get(j))),
      set(back, F(0)),
      for_(v, get(v0), iadd(get(v0), K_(S)), 1, [
        set(acc, F(0)), // Σ_k w_kv e_k
        for_(k, K_(0), K_(K), 1, [set(acc, add(get(acc), mul(ld(L.w.weight_output, iadd(imul(get(k), CS), get(v))), ld(L.ek, get(k)))))]),
        set(back, add(get(back), mul(ld(L.hs, get(v)), get(acc)))),
        set(e, mul(mul(get(yout), ld(L.dhs, get(v))), get(acc))),
        st(L.es, get(v), get(e)),
        set(row, imul(get(v), Mw)),
        set(trow, imul(get(v), M)),
        for_(m, K_(0), K_(Mw), 1, [
          addTo(D.weight_cell, iadd(get(row), get(m)), mul(get(alpha), mul(get(e), ld(L.traceCell, iadd(get(trow), get(m)))))),
        ]),
        ...(has.bias_cell ? [addTo(D.bias_cell, get(v), mul(get(alpha), mul(get(e), ld(L.traceCell, iadd(get(trow), K_(Mw))))))] : []),
      ]),
      ...(shape.outGate
        ? [
            set(e, mul(mul(get(yout), sub(F(1), get(yout))), get(back))),
            set(row, imul(get(j), Mw)),
            overInputs([addTo(D.weight_out_gate, iadd(get(row), idxAt(get(q))), mul(get(alpha), mul(get(e), valAt(get(q)))))]),
            ...overRecurrent([addTo(D.weight_out_gate, iadd(get(row), get(m)), mul(get(alpha), mul(get(e), uAt(get(m)))))]),
            ...(has.bias_out_gate ? [addTo(D.bias_out_gate, get(j), mul(get(alpha), get(e)))] : []),
          ]
        : []),
      set(row, imul(get(j), Mw)),
      for_(m, K_(0), K_(Mw), 1, [...blockSum(get(m)), addTo(D.weight_in_gate, iadd(get(row), get(m)), mul(get(alpha), get(acc)))]),
      ...(has.bias_in_gate ? [...blockSum(K_(Mw)), addTo(D.bias_in_gate, get(j), mul(get(alpha), get(acc)))] : []),
    ]),
    for_(k, K_(0), K_(K), 1, [
      set(e, ld(L.ek, get(k))),
      set(row, imul(get(k), CS)),
      for_(v, K_(0), K_(CS), 1, [addTo(D.weight_output, iadd(get(row), get(v)), mul(get(alpha), mul(get(e), ld(L.yc, get(v)))))]),
      ...(has.bias_output ? [addTo(D.bias_output, get(k), mul(get(alpha), get(e)))] : []),
      ...(has.weight_input_output
        ? [
            set(row, imul(get(k), I)),
            overInputs([addTo(D.weight_input_output, iadd(get(row), idxAt(get(q))), mul(get(alpha), mul(get(e), valAt(get(q)))))]),
          ]
        : []),
    ]),
  ];

  // r(t) = [y_c, y_in, y_out] becomes part of u(t + 1)
  const feedBack: Stmt[] = shape.recurrent
    ? [
        for_(v, K_(0), K_(CS), 1, [st(L.u + 8 * I, get(v), ld(L.yc, get(v)))]),
        for_(j, K_(0), K_(C), 1, [st(L.u + 8 * (I + CS), get(j), ld(L.yIn, get(j)))]),
        ...(shape.outGate ? [for_(j, K_(0), K_(C), 1, [st(L.u + 8 * (I + CS + C), get(j), ld(L.yOut, get(j)))])] : []),
      ]
    : [];

  mod.define(f, [
    ...readInput,
    ...netInputs,
    ...gates,
    ...cells,
    if_(i32.ge(get(mode), K_(OUTPUTS)), [...outputs, if_(i32.eq(get(mode), K_(LEARN)), learn)]),
    ...feedBack,
  ]);
}

/** The module of one shape: `step(mode)`, with the logistic σ on fdlibm's exp (and Math.tanh imported when a squash is tanh). */
export function rtrlModule(shape: RTRLShape): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder(false);
  const tanh = shape.g === 'tanh' || shape.h === 'tanh' ? mod.importFunc('env', 'tanh', ['f64'] as const, 'f64') : null;
  const exp = emitExp(mod);
  // σ(x) as rtrl1997.ts's sig: one exp of −|x| for either sign
  const sig = mod.declare(['f64'] as const, undefined, 'f64');
  const [x] = sig.builder.params;
  const e = sig.builder.local('f64');
  mod.define(
    sig,
    [set(e, callValue(exp, [f64.neg(f64.abs(get(x)))]))],
    f64.div(select(F(1), get(e), f64.ge(get(x), F(0))), add(F(1), get(e))),
  );
  emitStep(mod, shape, sig, tanh);
  return mod.encode();
}

/** Compiled modules by shape (null: this runtime could not compile it). */
const modules = new Map<string, WebAssembly.Module | null>();

/** A learner's memory and its step function. */
export interface RTRLKernel {
  /** Runs one step on the memory's x (and target): {@link ADVANCE}, {@link OUTPUTS} or {@link LEARN}. */
  step: (mode: number) => void;
}

/** A memory of `bytes` bytes for a kernel (a plain ArrayBuffer where WebAssembly is missing or it is too large). */
export function kernelMemory(bytes: number): { buffer: ArrayBuffer; memory: WebAssembly.Memory | null } {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (typeof WebAssembly === 'object' && pages <= MAX_PAGES) {
    try {
      const memory = new WebAssembly.Memory({ initial: pages });
      return { buffer: memory.buffer, memory };
    } catch {
      // out of memory for a wasm memory: the TypeScript loops on an ordinary buffer
    }
  }
  return { buffer: new ArrayBuffer(bytes), memory: null };
}

/** The step kernel of `shape` instantiated on `memory`, or null where it cannot be compiled or instantiated. */
export function rtrlKernel(shape: RTRLShape, memory: WebAssembly.Memory): RTRLKernel | null {
  const key = JSON.stringify(shape);
  if (!modules.has(key)) {
    let module: WebAssembly.Module | null = null;
    try {
      module = new WebAssembly.Module(rtrlModule(shape));
    } catch {
      // e.g. a browser's main thread refusing to compile a large module synchronously
    }
    modules.set(key, module);
  }
  const module = modules.get(key);
  if (!module) return null;
  try {
    const { exports } = new WebAssembly.Instance(module, { env: { memory, tanh: Math.tanh } });
    return { step: exports.step as (mode: number) => void };
  } catch {
    return null;
  }
}
