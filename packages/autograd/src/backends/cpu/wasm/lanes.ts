// Float32 math on f32x4 vectors for the recurrent kernels' pointwise code (recurrent.ts): exp,
// sigmoid and tanh, and loads and stores of four consecutive units where the last vector of a
// row may hold fewer (its stores keep what memory holds in the other lanes, so any row length
// works and the code exists once, not as a vector loop plus a scalar tail). Stores merge under a
// lane mask rather than branch on it: with a branch per store, V8 copied the code around each
// into both paths (6× the instructions, 3× the time).
//
// exp is Cephes' expf (|r| ≤ ln2/2, degree-7 polynomial, about 1 ulp); sigmoid and tanh are built
// on it as in Cephes' tanhf (a polynomial below |x| = 0.625, where 1 − 2/(e²ˣ + 1) would cancel).
// Two things keep the code short on x64: constants are read from a table in memory (V8 rebuilds
// a v128.const at every use inside a loop, 3 instructions, even from a local set once: the loop
// shrank from 75 to 47 instructions per exp), and the rounding of x·log₂e is the
// add-a-magic-number trick, whose bits also give 2ᵏ with one shift (WASM's saturating f32x4 → i32x4
// conversion is a long sequence on x64).
import { bitselect, type Expr, type FuncBuilder, f32x4, get, i32, i32x4, type Local, type Stmt, set, type ValType } from './emit.js';

/** Byte address of the constant table in the kernel's memory (index.ts keeps it free). */
export const CONST_TABLE = 256;
/** Constants the table holds, 16 bytes (four copies) each. */
export const CONST_SLOTS = 48;

/** Every constant any emitted code reads, by value: its slot in the table (the same in every module). */
const slots = new Map<number, number>();

/** The table slot of `x`, given one the first time it is asked for. */
function slotOf(x: number): number {
  let slot = slots.get(x);
  if (slot === undefined) {
    slot = slots.size;
    if (slot >= CONST_SLOTS) throw new Error(`the WASM constant table is full (${CONST_SLOTS} slots)`);
    slots.set(x, slot);
  }
  return slot;
}

/**
 * Statements that write every constant emitted so far into the table: a module's `init`, run once
 * when it is instantiated (slots are the same in every module, so rewriting them is harmless).
 */
export function tableInit(): Stmt[] {
  return [...slots].map(([x, slot]) => f32x4.store(i32.const(CONST_TABLE + 16 * slot), f32x4.const(x)));
}

/** The lane mask of a vector with `valid` bytes inside its row: lane n is selected when 4n < valid. */
export const laneMask = (valid: Expr<'i32'>): V => i32x4.gt(i32x4.splat(valid), i32x4.const([0, 4, 8, 12]));

// Cephes expf: x = k·ln2 + r with ln2 in two parts (C1 has 9 significant bits, so k·C1 is exact)
const LOG2E = Math.LOG2E;
const C1 = 0.693359375;
const C2 = -2.1219444e-4;
const EXP_P = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
// Past these, eˣ is clamped: k stays in [−126, 127] so 2ᵏ is a normal float (e⁸⁸ ≈ 1.7e38, e⁻⁸⁷ ≈ 1.6e−38).
const EXP_HI = 88;
const EXP_LO = -87;
// Adding 1.5·2²³ rounds a float below 2²² to an integer (ties to even) held in the low mantissa
// bits; with 127 more, those bits are k + 127, 2ᵏ's exponent field, 23 bits below where it goes.
const ROUND_BIASED = 1.5 * 2 ** 23 + 127;
// Cephes tanhf's odd polynomial for |x| < 0.625
const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

type V = Expr<'v128'>;
const { add, sub, mul, div } = f32x4;

/**
 * Straight-line vector code for one step of a loop over units: `let` evaluates an expression into
 * a fresh local of the function being built (so a value used twice is computed once) and appends
 * the assignment to `body`; `const` reads a constant from the table (so the module must export
 * {@link tableInit} as `init`); `load` and `store` address the units `offset` bytes past the
 * address given, and `store` changes only the lanes `mask` selects.
 */
export class VectorCode {
  readonly body: Stmt[] = [];

  /** `mask`: all ones in the lanes that belong to the row (see {@link laneMask}). */
  constructor(
    readonly f: FuncBuilder<readonly ValType[]>,
    readonly mask: Local<'v128'>,
    readonly offset = 0,
  ) {}

  let(e: V): V {
    const l = this.f.local('v128');
    this.body.push(set(l, e));
    return get(l);
  }

  const(x: number): V {
    return f32x4.load(i32.const(CONST_TABLE + 16 * slotOf(x)));
  }

  load(addr: Expr<'i32'>): V {
    return f32x4.load(addr, this.offset);
  }

  /** Stores `value`'s lanes that `mask` selects at `addr`, the others as memory holds them. */
  store(addr: Expr<'i32'>, value: V): void {
    const a = this.f.local('i32');
    this.body.push(set(a, addr), f32x4.store(get(a), bitselect(value, f32x4.load(get(a), this.offset), get(this.mask)), this.offset));
  }

  /** Horner's rule for Σ cᵢ·x^(n−i), c₀ the leading coefficient. */
  #poly(x: V, cs: readonly number[]): V {
    let acc = this.const(cs[0]!);
    for (const c of cs.slice(1)) acc = this.let(add(mul(acc, x), this.const(c)));
    return acc;
  }

  /** eˣ (Cephes expf), clamped to [e⁻⁸⁷, e⁸⁸]; NaN stays NaN. */
  exp(xIn: V): V {
    // pmax(x, lo) is x < lo ? lo : x, so a NaN x stays NaN through both
    const x = this.let(f32x4.pmin(f32x4.pmax(xIn, this.const(EXP_LO)), this.const(EXP_HI)));
    // t's low bits are k + 127 for k = round(x·log₂e)
    const t = this.let(add(mul(x, this.const(LOG2E)), this.const(ROUND_BIASED)));
    const k = this.let(sub(t, this.const(ROUND_BIASED)));
    const r = this.let(sub(sub(x, mul(k, this.const(C1))), mul(k, this.const(C2))));
    const p = this.#poly(r, EXP_P);
    // (1 + r + r²·p(r))·2ᵏ
    const e = add(add(mul(p, mul(r, r)), r), this.const(1));
    return this.let(mul(e, i32x4.shl(t, i32.const(23))));
  }

  /** 1 / (1 + e⁻ˣ). */
  sigmoid(x: V): V {
    const one = this.const(1);
    return this.let(div(one, add(one, this.exp(f32x4.neg(x)))));
  }

  /** tanh(x): 1 − 2/(e^{2|x|} + 1) with x's sign from |x| = 0.625 up, an odd polynomial below. */
  tanh(xIn: V): V {
    const x = this.let(xIn);
    const a = this.let(f32x4.abs(x));
    const one = this.const(1);
    const big = this.let(sub(one, div(this.const(2), add(this.exp(add(a, a)), one))));
    const z = this.let(mul(x, x));
    // x·(1 + z·p(z)) rather than x + x·z·p(z): tanh(−0) = −0
    const small = mul(x, add(one, mul(this.#poly(z, TANH_P), z)));
    const signed = bitselect(f32x4.neg(big), big, f32x4.lt(x, this.const(0)));
    return this.let(bitselect(small, signed, f32x4.lt(a, this.const(0.625))));
  }
}
