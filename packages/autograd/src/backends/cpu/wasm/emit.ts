// A small typed emitter of WebAssembly binaries: the CPU kernels are written as TypeScript that
// builds their instruction stream, so there is no build step and no committed binary, and the
// same source runs in Node and in browsers. Only what the kernels use is here: i32 and f32
// scalars, SIMD128 (f32x4), structured control flow, one imported memory.
//
// Expressions carry their WASM type, so `f32x4.add(i32.const(1), …)` does not type-check, and a
// statement (which leaves nothing on the stack) cannot be used as a value.

type Bytes = readonly number[];

/** The value types the kernels use. */
export type ValType = 'i32' | 'f32' | 'v128';
const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Code that leaves one value of type `T` on the stack. */
export interface Expr<T extends ValType> {
  readonly type: T;
  readonly code: Bytes;
}
/** Code that leaves the stack as it found it. */
export interface Stmt {
  readonly code: Bytes;
}
/** A parameter or local of a function. */
export interface Local<T extends ValType> {
  readonly type: T;
  readonly index: number;
}

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const expr = <T extends ValType>(type: T, ...parts: Bytes[]): Expr<T> => ({ type, code: parts.flat() });
const stmt = (...parts: Bytes[]): Stmt => ({ code: parts.flat() });
const cat = (xs: readonly { code: Bytes }[]): number[] => xs.flatMap((x) => x.code);
const memarg = (align: number, offset: number) => [align, ...uleb(offset)];
const simd = (op: number) => [0xfd, ...uleb(op)];

const binop =
  <T extends ValType>(type: T, op: Bytes) =>
  (a: Expr<T>, b: Expr<T>): Expr<T> =>
    expr(type, a.code, b.code, op);
const cmp =
  <T extends ValType>(op: number) =>
  (a: Expr<T>, b: Expr<T>): Expr<'i32'> =>
    expr('i32', a.code, b.code, [op]);

/** i32 instructions. Comparisons are signed: every size and address the kernels use is < 2³¹. */
export const i32 = {
  const: (n: number): Expr<'i32'> => expr('i32', [0x41], sleb(n)),
  add: binop('i32', [0x6a]),
  sub: binop('i32', [0x6b]),
  mul: binop('i32', [0x6c]),
  divU: binop('i32', [0x6e]),
  remU: binop('i32', [0x70]),
  and: binop('i32', [0x71]),
  eqz: (a: Expr<'i32'>): Expr<'i32'> => expr('i32', a.code, [0x45]),
  eq: cmp<'i32'>(0x46),
  ne: cmp<'i32'>(0x47),
  lt: cmp<'i32'>(0x48),
  ge: cmp<'i32'>(0x4e),
  /** The smaller of two values; each operand is evaluated twice, so pass side-effect-free ones. */
  min: (a: Expr<'i32'>, b: Expr<'i32'>): Expr<'i32'> => select(a, b, cmp<'i32'>(0x48)(a, b)),
  load: (addr: Expr<'i32'>, offset = 0): Expr<'i32'> => expr('i32', addr.code, [0x28], memarg(2, offset)),
  store: (addr: Expr<'i32'>, value: Expr<'i32'>, offset = 0): Stmt => stmt(addr.code, value.code, [0x36], memarg(2, offset)),
};

const unop =
  <T extends ValType>(type: T, op: Bytes) =>
  (a: Expr<T>): Expr<T> =>
    expr(type, a.code, op);
/** The four little-endian bytes of an f32. */
const f32Bytes = (x: number): number[] => [...new Uint8Array(Float32Array.of(x).buffer)];

/** f32 instructions. */
export const f32 = {
  load: (addr: Expr<'i32'>, offset = 0): Expr<'f32'> => expr('f32', addr.code, [0x2a], memarg(2, offset)),
  store: (addr: Expr<'i32'>, value: Expr<'f32'>, offset = 0): Stmt => stmt(addr.code, value.code, [0x38], memarg(2, offset)),
  add: binop('f32', [0x92]),
};

/**
 * SIMD128 instructions on four f32 lanes (all loads and stores are unaligned-safe). Comparisons
 * give lane masks (all ones or all zeros) for `bitselect`; `pmin`/`pmax` are x64's one-instruction
 * minps/maxps (`pmax(a, b)` = a < b ? b : a, so a NaN in `a` passes through).
 */
export const f32x4 = {
  /** Four copies of a constant (`v128.const`). */
  const: (x: number): Expr<'v128'> =>
    expr(
      'v128',
      simd(0x0c),
      [0, 1, 2, 3].flatMap(() => f32Bytes(x)),
    ),
  load: (addr: Expr<'i32'>, offset = 0): Expr<'v128'> => expr('v128', addr.code, simd(0x00), memarg(0, offset)),
  store: (addr: Expr<'i32'>, value: Expr<'v128'>, offset = 0): Stmt => stmt(addr.code, value.code, simd(0x0b), memarg(0, offset)),
  /** One f32 from memory in all four lanes. */
  loadSplat: (addr: Expr<'i32'>, offset = 0): Expr<'v128'> => expr('v128', addr.code, simd(0x09), memarg(2, offset)),
  abs: unop('v128', simd(0xe0)),
  neg: unop('v128', simd(0xe1)),
  add: binop('v128', simd(0xe4)),
  sub: binop('v128', simd(0xe5)),
  mul: binop('v128', simd(0xe6)),
  div: binop('v128', simd(0xe7)),
  pmin: binop('v128', simd(0xea)),
  pmax: binop('v128', simd(0xeb)),
  lt: binop('v128', simd(0x43)),
};

/** SIMD128 instructions on four i32 lanes. */
export const i32x4 = {
  /** The four lanes given (`v128.const`). */
  const: (lanes: readonly [number, number, number, number]): Expr<'v128'> =>
    expr('v128', simd(0x0c), [...new Uint8Array(Int32Array.from(lanes).buffer)]),
  /** An i32 in all four lanes. */
  splat: (a: Expr<'i32'>): Expr<'v128'> => expr('v128', a.code, simd(0x11)),
  /** Signed a > b, lane by lane: a lane mask. */
  gt: binop('v128', simd(0x3b)),
  /** Every lane shifted left by `bits` (an i32). */
  shl: (a: Expr<'v128'>, bits: Expr<'i32'>): Expr<'v128'> => expr('v128', a.code, bits.code, simd(0xab)),
};

/** `mask ? a : b` bit by bit (lane masks from the f32x4 comparisons). */
export const bitselect = (a: Expr<'v128'>, b: Expr<'v128'>, mask: Expr<'v128'>): Expr<'v128'> =>
  expr('v128', a.code, b.code, mask.code, simd(0x52));

/** `cond ? a : b`, both evaluated. */
export function select<T extends ValType>(a: Expr<T>, b: Expr<T>, cond: Expr<'i32'>): Expr<T> {
  return expr(a.type, a.code, b.code, cond.code, [0x1b]);
}

export const get = <T extends ValType>(l: Local<T>): Expr<T> => expr(l.type, [0x20], uleb(l.index));
export const set = <T extends ValType>(l: Local<T>, value: Expr<T>): Stmt => stmt(value.code, [0x21], uleb(l.index));
/** `l += step` for an i32 local. */
export const inc = (l: Local<'i32'>, step: Expr<'i32'> | number): Stmt =>
  set(l, i32.add(get(l), typeof step === 'number' ? i32.const(step) : step));

/** `memory.fill(dst, 0, bytes)`. */
export const zero = (dst: Expr<'i32'>, bytes: Expr<'i32'>): Stmt => stmt(dst.code, i32.const(0).code, bytes.code, [0xfc, 0x0b, 0x00]);

/** `if (cond) then else otherwise`. */
export const if_ = (cond: Expr<'i32'>, then: readonly Stmt[], otherwise: readonly Stmt[] = []): Stmt =>
  stmt(cond.code, [0x04, 0x40], cat(then), otherwise.length ? [0x05, ...cat(otherwise)] : [], [0x0b]);

/** `for (i = from; i < to; i += step) body`; `to` is re-evaluated on every iteration. */
export function for_(i: Local<'i32'>, from: Expr<'i32'>, to: Expr<'i32'>, step: Expr<'i32'> | number, body: readonly Stmt[]): Stmt {
  // block { loop { br_if 1 (i >= to); body; i += step; br 0 } }
  return stmt(
    set(i, from).code,
    [0x02, 0x40, 0x03, 0x40],
    i32.ge(get(i), to).code,
    [0x0d, 1],
    cat(body),
    inc(i, step).code,
    [0x0c, 0, 0x0b, 0x0b],
  );
}

/** `do body while (cond)`: for loops known to run at least once. */
export const doWhile = (body: readonly Stmt[], cond: Expr<'i32'>): Stmt => stmt([0x03, 0x40], cat(body), cond.code, [0x0d, 0, 0x0b]);

/** Return from the current function (which must have no results). */
export const ret: Stmt = stmt([0x0f]);

/** A function of the module under construction; call it with {@link call}. */
export interface Func {
  readonly index: number;
  readonly params: readonly ValType[];
}
export const call = (f: Func, args: readonly Expr<ValType>[]): Stmt => {
  if (args.length !== f.params.length || args.some((a, i) => a.type !== f.params[i])) {
    throw new TypeError(`call of function ${f.index}: argument types ${args.map((a) => a.type)} ≠ ${f.params}`);
  }
  return stmt(cat(args), [0x10], uleb(f.index));
};

/** Builds the body of one function: its parameters first, then the locals it asks for. */
export class FuncBuilder<P extends readonly ValType[]> {
  readonly params: { [I in keyof P]: Local<P[I]> };
  readonly #locals: ValType[] = [];
  readonly #nParams: number;

  constructor(params: P) {
    this.params = params.map((type, index) => ({ type, index })) as { [I in keyof P]: Local<P[I]> };
    this.#nParams = params.length;
  }

  /** A fresh local (zero-initialised, as WASM does). */
  local<T extends ValType>(type: T): Local<T> {
    this.#locals.push(type);
    return { type, index: this.#nParams + this.#locals.length - 1 };
  }

  /** The function's code entry: locals (one group each) and instructions. */
  encode(body: readonly Stmt[]): number[] {
    const locals = this.#locals.flatMap((t) => [1, TYPE_CODE[t]]);
    const code = [...uleb(this.#locals.length), ...locals, ...cat(body), 0x0b];
    return [...uleb(code.length), ...code];
  }
}

const section = (id: number, content: Bytes): number[] => [id, ...uleb(content.length), ...content];
const vec = (items: readonly Bytes[]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

/** Memory pages (64 KiB) a kernel module may address: 2 GiB, so signed i32 compares stay valid. */
export const MAX_PAGES = 32768;

/**
 * A module whose one memory is imported as `env.memory` (shared when `shared`, so worker threads
 * can run the same functions on it) and whose functions return nothing.
 */
export class ModuleBuilder {
  readonly #funcs: { params: readonly ValType[]; body: number[] | null; export?: string }[] = [];

  constructor(readonly shared: boolean) {}

  /** Declares a function (so others can call it before its body exists). */
  declare<P extends readonly ValType[]>(params: P, exportName?: string): Func & { builder: FuncBuilder<P> } {
    const index = this.#funcs.length;
    this.#funcs.push({ params, body: null, ...(exportName ? { export: exportName } : {}) });
    return { index, params, builder: new FuncBuilder(params) };
  }

  /** Gives a declared function its body. */
  define<P extends readonly ValType[]>(f: Func & { builder: FuncBuilder<P> }, body: readonly Stmt[]): void {
    this.#funcs[f.index]!.body = f.builder.encode(body);
  }

  encode(): Uint8Array<ArrayBuffer> {
    const sigs: string[] = [];
    const sigOf = this.#funcs.map((f) => {
      const key = f.params.join(',');
      if (!sigs.includes(key)) sigs.push(key);
      return sigs.indexOf(key);
    });
    const types = sigs.map((key) => {
      const params = key ? key.split(',').map((t) => TYPE_CODE[t as ValType]) : [];
      return [0x60, ...vec(params.map((p) => [p])), 0];
    });
    const limits = this.shared ? [0x03, ...uleb(1), ...uleb(MAX_PAGES)] : [0x00, ...uleb(1)];
    const imports = [[...name('env'), ...name('memory'), 0x02, ...limits]];
    const exports = this.#funcs.flatMap((f, i) => (f.export ? [[...name(f.export), 0x00, ...uleb(i)]] : []));
    const bodies = this.#funcs.map((f, i) => {
      if (!f.body) throw new Error(`wasm function ${i} was declared but never defined`);
      return f.body;
    });
    return new Uint8Array([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, vec(types)),
      ...section(2, vec(imports)),
      ...section(3, vec(sigOf.map((s) => uleb(s)))),
      ...section(7, vec(exports)),
      ...section(10, vec(bodies)),
    ]);
  }
}
