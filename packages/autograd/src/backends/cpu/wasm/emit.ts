// A small typed emitter of WebAssembly binaries: the CPU kernels are written as TypeScript that
// builds their instruction stream, so there is no build step and no committed binary, and the
// same source runs in Node and in browsers. Only what the kernels use is here: i32, i64, f32 and
// f64 scalars, SIMD128 (f32x4), structured control flow, functions with at most one result, one
// imported memory and imported functions.
//
// Expressions carry their WASM type, so `f32x4.add(i32.const(1), …)` does not type-check, and a
// statement (which leaves nothing on the stack) cannot be used as a value.

type Bytes = readonly number[];

/**
 * The WebAssembly value types the emitter knows: 32- and 64-bit integers and floats, and SIMD128
 * vectors.
 *
 * @example
 * const t: ValType = 'f64';
 */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/**
 * Code that leaves one value of type `T` on the stack: what the instruction helpers
 * (`i32.add`, `f64.load`, {@link get}, …) build and take.
 *
 * @example
 * const half: Expr<'f64'> = f64.mul(f64.const(0.5), f64.const(3));
 */
export interface Expr<T extends ValType> {
  /** The value's type. */
  readonly type: T;
  /** The instruction bytes. */
  readonly code: readonly number[];
}
/**
 * Code that leaves the stack as it found it: a store, a `set`, a loop, a branch.
 *
 * @example
 * const s: Stmt = f64.store(i32.const(0), f64.const(1));
 */
export interface Stmt {
  /** The instruction bytes. */
  readonly code: readonly number[];
}
/**
 * A parameter or local of a function ({@link FuncBuilder.params}, {@link FuncBuilder.local}).
 *
 * @example
 * const fb = new FuncBuilder(['i32'] as const);
 * const acc: Local<'f64'> = fb.local('f64');
 */
export interface Local<T extends ValType> {
  /** Its type. */
  readonly type: T;
  /** Its index among the function's parameters and locals. */
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

/** Signed LEB128 of a 64-bit integer. */
function sleb64(n: bigint): number[] {
  const out: number[] = [];
  n = BigInt.asIntN(64, n);
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
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

const unop =
  <T extends ValType>(type: T, op: Bytes) =>
  (a: Expr<T>): Expr<T> =>
    expr(type, a.code, op);
/** A conversion: one operand of type `From`, a result of type `To`. */
const conv =
  <From extends ValType, To extends ValType>(to: To, op: number) =>
  (a: Expr<From>): Expr<To> =>
    expr(to, a.code, [op]);

/**
 * i32 instructions. Comparisons, `shr` and `truncF64` are signed (every size and address the
 * kernels use is < 2³¹); `divU`, `remU` and `shrU` are unsigned. Memory operands are byte
 * addresses, plus a constant `offset` folded into the instruction.
 *
 * @example
 * const fb = new FuncBuilder(['i32'] as const);
 * const [n] = fb.params;
 * const bytes = i32.shl(get(n), i32.const(3)); // n · 8
 */
export const i32 = {
  /** A constant. */
  const: (n: number): Expr<'i32'> => expr('i32', [0x41], sleb(n)),
  /** a + b. */
  add: binop('i32', [0x6a]),
  /** a − b. */
  sub: binop('i32', [0x6b]),
  /** a · b. */
  mul: binop('i32', [0x6c]),
  /** a / b, unsigned, rounded toward zero. */
  divU: binop('i32', [0x6e]),
  /** a mod b, unsigned. */
  remU: binop('i32', [0x70]),
  /** Bitwise and. */
  and: binop('i32', [0x71]),
  /** Bitwise or. */
  or: binop('i32', [0x72]),
  /** a shifted left by b bits. */
  shl: binop('i32', [0x74]),
  /** a shifted right by b bits, signed. */
  shr: binop('i32', [0x75]),
  /** a shifted right by b bits, unsigned. */
  shrU: binop('i32', [0x76]),
  /** 1 when a is 0, else 0. */
  eqz: (a: Expr<'i32'>): Expr<'i32'> => expr('i32', a.code, [0x45]),
  /** a = b (an i32: 1 or 0). */
  eq: cmp<'i32'>(0x46),
  /** a ≠ b (an i32: 1 or 0). */
  ne: cmp<'i32'>(0x47),
  /** a < b (an i32: 1 or 0). */
  lt: cmp<'i32'>(0x48),
  /** a > b (an i32: 1 or 0). */
  gt: cmp<'i32'>(0x4a),
  /** a ≤ b (an i32: 1 or 0). */
  le: cmp<'i32'>(0x4c),
  /** a ≥ b (an i32: 1 or 0). */
  ge: cmp<'i32'>(0x4e),
  /** The smaller of two values; each operand is evaluated twice, so pass side-effect-free ones. */
  min: (a: Expr<'i32'>, b: Expr<'i32'>): Expr<'i32'> => select(a, b, cmp<'i32'>(0x48)(a, b)),
  /** The low 32 bits of an i64. */
  wrapI64: conv<'i64', 'i32'>('i32', 0xa7),
  /** An f64 rounded toward zero (C's `(int)x`); traps outside the i32 range and on NaN. */
  truncF64: conv<'f64', 'i32'>('i32', 0xaa),
  /** The value at byte address `addr + offset`. */
  load: (addr: Expr<'i32'>, offset = 0): Expr<'i32'> => expr('i32', addr.code, [0x28], memarg(2, offset)),
  /** Writes `value` at byte address `addr + offset`. */
  store: (addr: Expr<'i32'>, value: Expr<'i32'>, offset = 0): Stmt => stmt(addr.code, value.code, [0x36], memarg(2, offset)),
};

/**
 * i64 instructions: enough to take an f64 apart and put it back together (its bits as an integer,
 * shifts, masks). Constants are bigints.
 *
 * @example
 * const x = f64.const(1.5);
 * const exponentBits = i64.shrU(i64.reinterpretF64(x), i64.const(52n)); // biased exponent (and sign)
 */
export const i64 = {
  /** A constant. */
  const: (n: bigint): Expr<'i64'> => expr('i64', [0x42], sleb64(n)),
  /** a + b. */
  add: binop('i64', [0x7c]),
  /** a − b. */
  sub: binop('i64', [0x7d]),
  /** Bitwise and. */
  and: binop('i64', [0x83]),
  /** Bitwise or. */
  or: binop('i64', [0x84]),
  /** a shifted left by b bits. */
  shl: binop('i64', [0x86]),
  /** a shifted right by b bits, unsigned. */
  shrU: binop('i64', [0x88]),
  /** 1 when a is 0, else 0. */
  eqz: (a: Expr<'i64'>): Expr<'i32'> => expr('i32', a.code, [0x50]),
  /** a = b (an i32: 1 or 0). */
  eq: cmp<'i64'>(0x51),
  /** a ≠ b (an i32: 1 or 0). */
  ne: cmp<'i64'>(0x52),
  /** An i32 sign-extended to 64 bits. */
  extendI32: conv<'i32', 'i64'>('i64', 0xac),
  /** The 64 bits of an f64, unchanged. */
  reinterpretF64: conv<'f64', 'i64'>('i64', 0xbd),
  /** The value at byte address `addr + offset`. */
  load: (addr: Expr<'i32'>, offset = 0): Expr<'i64'> => expr('i64', addr.code, [0x29], memarg(3, offset)),
  /** Writes `value` at byte address `addr + offset`. */
  store: (addr: Expr<'i32'>, value: Expr<'i64'>, offset = 0): Stmt => stmt(addr.code, value.code, [0x37], memarg(3, offset)),
};

/** The four little-endian bytes of an f32. */
const f32Bytes = (x: number): number[] => [...new Uint8Array(Float32Array.of(x).buffer)];
/** The eight little-endian bytes of an f64 (NaN payloads and −0 kept). */
const f64Bytes = (x: number): number[] => [...new Uint8Array(Float64Array.of(x).buffer)];

/**
 * f64 instructions. WebAssembly's f64 arithmetic is IEEE 754 binary64, rounded to nearest, with no
 * fused multiply-add and no excess precision, so an expression computes the same bits as the same
 * JavaScript operations in the same order. Comparisons give an i32 (1 or 0; false for NaN except `ne`).
 *
 * @example
 * const fb = new FuncBuilder(['i32'] as const);
 * const [p] = fb.params;
 * // x[0] = x[0]·2 + 1, x an f64 array at byte address p
 * const s = f64.store(get(p), f64.add(f64.mul(f64.load(get(p)), f64.const(2)), f64.const(1)));
 */
export const f64 = {
  /** A constant. */
  const: (x: number): Expr<'f64'> => expr('f64', [0x44], f64Bytes(x)),
  /** The value at byte address `addr + offset`. */
  load: (addr: Expr<'i32'>, offset = 0): Expr<'f64'> => expr('f64', addr.code, [0x2b], memarg(3, offset)),
  /** Writes `value` at byte address `addr + offset`. */
  store: (addr: Expr<'i32'>, value: Expr<'f64'>, offset = 0): Stmt => stmt(addr.code, value.code, [0x39], memarg(3, offset)),
  /** |a|. */
  abs: unop('f64', [0x99]),
  /** −a. */
  neg: unop('f64', [0x9a]),
  /** Rounds toward zero, keeping the f64 type. */
  trunc: unop('f64', [0x9d]),
  /** √a, correctly rounded. */
  sqrt: unop('f64', [0x9f]),
  /** a + b. */
  add: binop('f64', [0xa0]),
  /** a − b. */
  sub: binop('f64', [0xa1]),
  /** a · b. */
  mul: binop('f64', [0xa2]),
  /** a / b. */
  div: binop('f64', [0xa3]),
  /** a = b (an i32: 1 or 0). */
  eq: cmp<'f64'>(0x61),
  /** a ≠ b (an i32: 1 or 0). */
  ne: cmp<'f64'>(0x62),
  /** a < b (an i32: 1 or 0). */
  lt: cmp<'f64'>(0x63),
  /** a > b (an i32: 1 or 0). */
  gt: cmp<'f64'>(0x64),
  /** a ≤ b (an i32: 1 or 0). */
  le: cmp<'f64'>(0x65),
  /** a ≥ b (an i32: 1 or 0). */
  ge: cmp<'f64'>(0x66),
  /** A signed i32 as an f64 (exact). */
  convertI32: conv<'i32', 'f64'>('f64', 0xb7),
  /** The f64 whose bits are the i64's. */
  reinterpretI64: conv<'i64', 'f64'>('f64', 0xbf),
};

/**
 * f32 instructions (the scalar loads and stores the SIMD kernels need).
 *
 * @example
 * const s = f32.store(i32.const(8), f32.add(f32.load(i32.const(0)), f32.load(i32.const(4))));
 */
export const f32 = {
  /** The value at byte address `addr + offset`. */
  load: (addr: Expr<'i32'>, offset = 0): Expr<'f32'> => expr('f32', addr.code, [0x2a], memarg(2, offset)),
  /** Writes `value` at byte address `addr + offset`. */
  store: (addr: Expr<'i32'>, value: Expr<'f32'>, offset = 0): Stmt => stmt(addr.code, value.code, [0x38], memarg(2, offset)),
  /** a + b. */
  add: binop('f32', [0x92]),
};

/**
 * SIMD128 instructions on four f32 lanes (all loads and stores are unaligned-safe). Comparisons
 * give lane masks (all ones or all zeros) for `bitselect`; `pmin`/`pmax` are x64's one-instruction
 * minps/maxps (`pmax(a, b)` = a < b ? b : a, so a NaN in `a` passes through).
 *
 * @example
 * const fb = new FuncBuilder(['i32'] as const);
 * const [p] = fb.params;
 * const s = f32x4.store(get(p), f32x4.mul(f32x4.load(get(p)), f32x4.const(2))); // four floats doubled
 */
export const f32x4 = {
  /** Four copies of a constant (`v128.const`). */
  const: (x: number): Expr<'v128'> =>
    expr(
      'v128',
      simd(0x0c),
      [0, 1, 2, 3].flatMap(() => f32Bytes(x)),
    ),
  /** Four f32s from byte address `addr + offset`. */
  load: (addr: Expr<'i32'>, offset = 0): Expr<'v128'> => expr('v128', addr.code, simd(0x00), memarg(0, offset)),
  /** Writes four f32s at byte address `addr + offset`. */
  store: (addr: Expr<'i32'>, value: Expr<'v128'>, offset = 0): Stmt => stmt(addr.code, value.code, simd(0x0b), memarg(0, offset)),
  /** One f32 from memory in all four lanes. */
  loadSplat: (addr: Expr<'i32'>, offset = 0): Expr<'v128'> => expr('v128', addr.code, simd(0x09), memarg(2, offset)),
  /** |a|, lane by lane. */
  abs: unop('v128', simd(0xe0)),
  /** −a, lane by lane. */
  neg: unop('v128', simd(0xe1)),
  /** a + b, lane by lane. */
  add: binop('v128', simd(0xe4)),
  /** a − b, lane by lane. */
  sub: binop('v128', simd(0xe5)),
  /** a · b, lane by lane. */
  mul: binop('v128', simd(0xe6)),
  /** a / b, lane by lane. */
  div: binop('v128', simd(0xe7)),
  /** Lane-wise `b < a ? b : a`. */
  pmin: binop('v128', simd(0xea)),
  /** Lane-wise `a < b ? b : a`. */
  pmax: binop('v128', simd(0xeb)),
  /** a < b, lane by lane: a lane mask. */
  lt: binop('v128', simd(0x43)),
};

/**
 * SIMD128 instructions on four i32 lanes.
 *
 * @example
 * const ones = i32x4.splat(i32.const(1));
 */
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

/**
 * `mask ? a : b` bit by bit (lane masks from the f32x4 comparisons).
 *
 * @example
 * const a = f32x4.const(1);
 * const b = f32x4.const(2);
 * const smaller = bitselect(a, b, f32x4.lt(a, b));
 */
export const bitselect = (a: Expr<'v128'>, b: Expr<'v128'>, mask: Expr<'v128'>): Expr<'v128'> =>
  expr('v128', a.code, b.code, mask.code, simd(0x52));

/**
 * `cond ? a : b`, both evaluated (no branch).
 *
 * @example
 * const x = f64.const(-3);
 * const relu = select(x, f64.const(0), f64.gt(x, f64.const(0)));
 */
export function select<T extends ValType>(a: Expr<T>, b: Expr<T>, cond: Expr<'i32'>): Expr<T> {
  return expr(a.type, a.code, b.code, cond.code, [0x1b]);
}

/**
 * The value of a local or parameter.
 *
 * @example
 * const fb = new FuncBuilder(['f64'] as const);
 * const [x] = fb.params;
 * const square = f64.mul(get(x), get(x));
 */
export const get = <T extends ValType>(l: Local<T>): Expr<T> => expr(l.type, [0x20], uleb(l.index));
/**
 * Sets a local or parameter.
 *
 * @example
 * const fb = new FuncBuilder([] as const);
 * const acc = fb.local('f64');
 * const s = set(acc, f64.add(get(acc), f64.const(1)));
 */
export const set = <T extends ValType>(l: Local<T>, value: Expr<T>): Stmt => stmt(value.code, [0x21], uleb(l.index));
/**
 * `l += step` for an i32 local.
 *
 * @example
 * const fb = new FuncBuilder([] as const);
 * const p = fb.local('i32');
 * const next = inc(p, 8); // the next f64
 */
export const inc = (l: Local<'i32'>, step: Expr<'i32'> | number): Stmt =>
  set(l, i32.add(get(l), typeof step === 'number' ? i32.const(step) : step));

/**
 * `memory.fill(dst, 0, bytes)`.
 *
 * @example
 * const clear = zero(i32.const(0), i32.const(64)); // bytes 0–63 to zero
 */
export const zero = (dst: Expr<'i32'>, bytes: Expr<'i32'>): Stmt => stmt(dst.code, i32.const(0).code, bytes.code, [0xfc, 0x0b, 0x00]);

/**
 * `if (cond) then else otherwise`.
 *
 * @example
 * const fb = new FuncBuilder(['f64'] as const);
 * const [x] = fb.params;
 * const clampAtZero = if_(f64.lt(get(x), f64.const(0)), [set(x, f64.const(0))]);
 */
export const if_ = (cond: Expr<'i32'>, then: readonly Stmt[], otherwise: readonly Stmt[] = []): Stmt =>
  stmt(cond.code, [0x04, 0x40], cat(then), otherwise.length ? [0x05, ...cat(otherwise)] : [], [0x0b]);

/**
 * `for (i = from; i < to; i += step) body`; `to` is re-evaluated on every iteration.
 *
 * @example
 * const fb = new FuncBuilder(['i32', 'i32'] as const);
 * const [p, n] = fb.params;
 * const i = fb.local('i32');
 * // x[i] = 0 for i < n, x an f64 array at byte address p
 * const loop = for_(i, i32.const(0), get(n), 1, [f64.store(i32.add(get(p), i32.shl(get(i), i32.const(3))), f64.const(0))]);
 */
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

/**
 * `do body while (cond)`: for loops known to run at least once.
 *
 * @example
 * const fb = new FuncBuilder(['i32'] as const);
 * const [n] = fb.params;
 * const countDown = doWhile([set(n, i32.sub(get(n), i32.const(1)))], i32.gt(get(n), i32.const(0)));
 */
export const doWhile = (body: readonly Stmt[], cond: Expr<'i32'>): Stmt => stmt([0x03, 0x40], cat(body), cond.code, [0x0d, 0, 0x0b]);

/**
 * Return from the current function, which must have no result ({@link returnValue} for one that has).
 *
 * @example
 * const fb = new FuncBuilder(['i32'] as const);
 * const [n] = fb.params;
 * const early = if_(i32.eqz(get(n)), [ret]);
 */
export const ret: Stmt = stmt([0x0f]);

/**
 * Return `value` from the current function, whose result type must be `value`'s.
 *
 * @example
 * const fb = new FuncBuilder(['f64'] as const);
 * const [x] = fb.params;
 * const nanOut = if_(f64.ne(get(x), get(x)), [returnValue(get(x))]);
 */
export const returnValue = <T extends ValType>(value: Expr<T>): Stmt => stmt(value.code, [0x0f]);

/**
 * A function of the module under construction, declared or imported: call it with {@link call}
 * (no result) or {@link callValue} (result type `R`).
 *
 * @example
 * const mod = new ModuleBuilder(false);
 * const f: Func<'f64'> = mod.importFunc('env', 'tanh', ['f64'] as const, 'f64');
 */
export interface Func<R extends ValType | null = null> {
  /** Its index in the module's function space (imports first). */
  readonly index: number;
  /** Its parameter types. */
  readonly params: readonly ValType[];
  /** Its result type, or null for none. */
  readonly result: R;
}

function callCode(f: Func<ValType | null>, args: readonly Expr<ValType>[]): number[] {
  if (args.length !== f.params.length || args.some((a, i) => a.type !== f.params[i])) {
    throw new TypeError(`call of function ${f.index}: argument types ${args.map((a) => a.type)} ≠ ${f.params}`);
  }
  return [...cat(args), 0x10, ...uleb(f.index)];
}

/**
 * Calls a function that has no result.
 *
 * @throws TypeError when the arguments' types differ from the function's parameters.
 * @example
 * const mod = new ModuleBuilder(false);
 * const clear = mod.declare(['i32'] as const);
 * mod.define(clear, [f64.store(get(clear.builder.params[0]), f64.const(0))]);
 * const s = call(clear, [i32.const(16)]);
 */
export const call = (f: Func, args: readonly Expr<ValType>[]): Stmt => stmt(callCode(f, args));

/**
 * Calls a function that has a result: the call is an expression of that type.
 *
 * @throws TypeError when the arguments' types differ from the function's parameters.
 * @example
 * const mod = new ModuleBuilder(false);
 * const tanh = mod.importFunc('env', 'tanh', ['f64'] as const, 'f64');
 * const t = callValue(tanh, [f64.const(0.5)]);
 */
export const callValue = <T extends ValType>(f: Func<T>, args: readonly Expr<ValType>[]): Expr<T> => expr(f.result, callCode(f, args));

/**
 * Builds the body of one function: its parameters first, then the locals it asks for.
 *
 * @example
 * const fb = new FuncBuilder(['i32', 'f64'] as const);
 * const [addr, x] = fb.params;
 * const tmp = fb.local('f64');
 */
export class FuncBuilder<P extends readonly ValType[]> {
  /** The parameters, as locals. */
  readonly params: { [I in keyof P]: Local<P[I]> };
  readonly #locals: ValType[] = [];
  readonly #nParams: number;

  /** A builder for a function with these parameter types. */
  constructor(params: P) {
    this.params = params.map((type, index) => ({ type, index })) as { [I in keyof P]: Local<P[I]> };
    this.#nParams = params.length;
  }

  /**
   * A fresh local (zero-initialised, as WASM does).
   *
   * @example
   * const fb = new FuncBuilder([] as const);
   * const i = fb.local('i32');
   */
  local<T extends ValType>(type: T): Local<T> {
    this.#locals.push(type);
    return { type, index: this.#nParams + this.#locals.length - 1 };
  }

  /**
   * The function's code entry: locals (one group each) and instructions, then `result`'s value
   * for a function with a result.
   *
   * @example
   * const fb = new FuncBuilder(['f64'] as const);
   * const bytes = fb.encode([], f64.neg(get(fb.params[0])));
   */
  encode(body: readonly Stmt[], result?: Expr<ValType>): number[] {
    const locals = this.#locals.flatMap((t) => [1, TYPE_CODE[t]]);
    const code = [...uleb(this.#locals.length), ...locals, ...cat(body), ...(result?.code ?? []), 0x0b];
    return [...uleb(code.length), ...code];
  }
}

const section = (id: number, content: Bytes): number[] => [id, ...uleb(content.length), ...content];
const vec = (items: readonly Bytes[]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((c) => [c]));

/**
 * Memory pages (64 KiB) a kernel module may address: 2 GiB, so signed i32 compares stay valid.
 *
 * @example
 * const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
 */
export const MAX_PAGES = 32768;

interface FuncEntry {
  params: readonly ValType[];
  result: ValType | null;
  body: number[] | null;
  export?: string;
}

/**
 * A WebAssembly module under construction: one memory, imported as `env.memory` (shared when
 * `shared`, so worker threads can run the same functions on it), imported functions, and the
 * functions declared and defined here. {@link ModuleBuilder.encode} gives the binary, for
 * `new WebAssembly.Module`.
 *
 * @example
 * // twice(p): x[0] = 2·x[0] for the f64 x at byte address p
 * const mod = new ModuleBuilder(false);
 * const f = mod.declare(['i32'] as const, 'twice');
 * const [p] = f.builder.params;
 * mod.define(f, [f64.store(get(p), f64.mul(f64.load(get(p)), f64.const(2)))]);
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const { twice } = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as {
 *   twice: (p: number) => void;
 * };
 * new Float64Array(memory.buffer)[0] = 1.5;
 * twice(0); // x[0] is 3
 */
export class ModuleBuilder {
  readonly #imports: { module: string; field: string; params: readonly ValType[]; result: ValType | null }[] = [];
  readonly #funcs: FuncEntry[] = [];

  /** A module whose memory is shared (`shared`: for worker threads) or not. */
  constructor(readonly shared: boolean) {}

  /**
   * Imports the function `module.field` (at instantiation, e.g. `{ env: { tanh: Math.tanh } }`).
   * Imports come first in a module's function space, so every import precedes every {@link ModuleBuilder.declare}.
   *
   * @throws Error when a function was already declared.
   * @example
   * const mod = new ModuleBuilder(false);
   * const tanh = mod.importFunc('env', 'tanh', ['f64'] as const, 'f64');
   */
  importFunc<R extends ValType | null>(module: string, field: string, params: readonly ValType[], result: R): Func<R> {
    if (this.#funcs.length) throw new Error(`import ${module}.${field} after a declared function: imports come first`);
    this.#imports.push({ module, field, params, result });
    return { index: this.#imports.length - 1, params, result };
  }

  /**
   * Declares a function (so others can call it before its body exists), exported as `exportName`
   * if given, with result type `result` if given.
   *
   * @example
   * const mod = new ModuleBuilder(false);
   * const square = mod.declare(['f64'] as const, 'square', 'f64');
   * const [x] = square.builder.params;
   * mod.define(square, [], f64.mul(get(x), get(x)));
   */
  declare<P extends readonly ValType[], R extends ValType | null = null>(
    params: P,
    exportName?: string,
    result?: R,
  ): Func<R> & { builder: FuncBuilder<P> } {
    const index = this.#imports.length + this.#funcs.length;
    const res = (result ?? null) as R;
    this.#funcs.push({ params, result: res, body: null, ...(exportName ? { export: exportName } : {}) });
    return { index, params, result: res, builder: new FuncBuilder(params) };
  }

  /**
   * Gives a declared function without a result its body.
   *
   * @throws TypeError when the function was declared with a result.
   * @example
   * const mod = new ModuleBuilder(false);
   * const f = mod.declare(['i32'] as const, 'clear');
   * mod.define(f, [f64.store(get(f.builder.params[0]), f64.const(0))]);
   */
  define<P extends readonly ValType[]>(f: Func & { builder: FuncBuilder<P> }, body: readonly Stmt[]): void;
  /**
   * Gives a declared function with a result its body and the expression it returns at the end
   * (earlier exits use {@link returnValue}).
   *
   * @throws TypeError when `result`'s type is not the function's.
   * @example
   * const mod = new ModuleBuilder(false);
   * const f = mod.declare([] as const, 'one', 'f64');
   * mod.define(f, [], f64.const(1));
   */
  define<P extends readonly ValType[], R extends ValType>(
    f: Func<R> & { builder: FuncBuilder<P> },
    body: readonly Stmt[],
    result: Expr<NoInfer<R>>,
  ): void;
  define(f: Func<ValType | null> & { builder: FuncBuilder<readonly ValType[]> }, body: readonly Stmt[], value?: Expr<ValType>): void {
    if ((value?.type ?? null) !== f.result) {
      throw new TypeError(`function ${f.index} returns ${f.result ?? 'nothing'}, its body ends in ${value?.type ?? 'nothing'}`);
    }
    this.#funcs[f.index - this.#imports.length]!.body = f.builder.encode(body, value);
  }

  /**
   * The module's binary.
   *
   * @throws Error when a declared function was never defined.
   * @example
   * const mod = new ModuleBuilder(false);
   * mod.define(mod.declare([] as const, 'nothing'), []);
   * const valid = WebAssembly.validate(mod.encode());
   */
  encode(): Uint8Array<ArrayBuffer> {
    const sigs: string[] = [];
    const sigIndex = (f: { params: readonly ValType[]; result: ValType | null }) => {
      const key = `${f.params.join(',')}:${f.result ?? ''}`;
      if (!sigs.includes(key)) sigs.push(key);
      return sigs.indexOf(key);
    };
    const importSigs = this.#imports.map(sigIndex);
    const sigOf = this.#funcs.map(sigIndex);
    const types = sigs.map((key) => {
      const [params, result] = key.split(':') as [string, string];
      const codes = params ? params.split(',').map((t) => TYPE_CODE[t as ValType]) : [];
      return [0x60, ...vec(codes.map((p) => [p])), ...(result ? [1, TYPE_CODE[result as ValType]] : [0])];
    });
    const limits = this.shared ? [0x03, ...uleb(1), ...uleb(MAX_PAGES)] : [0x00, ...uleb(1)];
    const imports = [
      [...name('env'), ...name('memory'), 0x02, ...limits],
      ...this.#imports.map((f, i) => [...name(f.module), ...name(f.field), 0x00, ...uleb(importSigs[i]!)]),
    ];
    const base = this.#imports.length;
    const exports = this.#funcs.flatMap((f, i) => (f.export ? [[...name(f.export), 0x00, ...uleb(base + i)]] : []));
    const bodies = this.#funcs.map((f, i) => {
      if (!f.body) throw new Error(`wasm function ${base + i} was declared but never defined`);
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
