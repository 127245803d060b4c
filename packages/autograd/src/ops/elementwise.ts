import type { TypedArray } from '../dtype.js';
import { erf, sigmoid } from '../math.js';
import type { Tensor } from '../tensor.js';

type Arr = TypedArray;

/** Which dtypes an op accepts: floats only, floats and int32, or bool only. */
export type DTypeClass = 'float' | 'numeric' | 'bool' | 'any';

/**
 * How a row reads in WGSL. `wgsl` is the expression (of `x`, or of `a` and `b`) for every dtype the
 * row accepts, as `f32`, `i32`, or `u32` 0/1 for bool; `wgslInt` replaces it for int32 where the
 * float form does not apply (a float-only builtin, an `f32` helper). Expressions may call the row's
 * own `wgslFns` and the WebGPU backend's bit-level helpers `isnan_`, `isinf_`, `nan_`, `inf_`
 * (WGSL compilers may fold `x != x` away, so NaN tests look at the bits).
 *
 * @example
 * binaryOps.maximum.wgsl; // 'max_(a, b)': NaN-propagating, defined in binaryOps.maximum.wgslFns
 * binaryOps.maximum.wgslInt; // 'max(a, b)'
 */
export interface WgslDef {
  wgsl: string;
  wgslInt?: string;
  /** WGSL functions the expressions call, by name; rows that share one share the same source. */
  wgslFns?: Readonly<Record<string, string>>;
}

/**
 * One elementwise unary primitive: the CPU loop over contiguous data, the WGSL expression of `x`,
 * and its one gradient rule, written in Tensor ops so it runs on every backend and can itself be
 * differentiated. `grad(g, x, y)` gets the upstream gradient, the input and the output.
 */
export interface UnaryDef extends WgslDef {
  accepts: DTypeClass;
  /** The CPU loop: `y[i] = f(x[i])` for `i < n`. */
  cpu: (x: Arr, y: Arr, n: number) => void;
  /** The gradient rule, from the upstream gradient, the input and the output (absent: not differentiable). */
  grad?: (g: Tensor, x: Tensor, y: Tensor) => Tensor | null;
}

// WGSL builtins only promise loose accuracy (sin/cos: 2⁻¹¹ absolute) and leave NaN and overflow
// behaviour open, and software drivers use that freedom: SwiftShader's sin/cos are off by ~1e-4,
// its tanh returns NaN past |x| ≈ 89, its max/min drop NaNs, its pow is NaN for negative bases. The
// rows below whose `wgsl` calls a function of their own replace such a builtin so that WebGPU
// matches the CPU loop next to it (to float32 rounding, NaN for NaN).

/**
 * sin and cos to ~1 ulp for |x| up to ~1e4: Cody–Waite reduction by π/2 in three parts, then the
 * cephes minimax polynomials on [−π/4, π/4].
 */
const SINCOS_WGSL = {
  sincos_: `fn sincos_(x: f32) -> vec2f {
  let j = floor(x * 0.63661977236758134 + 0.5);
  let y = ((x - j * 1.5703125) - j * 4.8375129699707031e-4) - j * 7.5497899548918821e-8;
  let z = y * y;
  let s = y + y * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(j - 4.0 * floor(j * 0.25));
  if (q == 0) { return vec2f(s, c); }
  if (q == 1) { return vec2f(c, -s); }
  if (q == 2) { return vec2f(-s, -c); }
  return vec2f(-c, s);
}`,
  sin_: 'fn sin_(x: f32) -> f32 { return sincos_(x).x; }',
  cos_: 'fn cos_(x: f32) -> f32 { return sincos_(x).y; }',
};

// biome-ignore-start format: one row per op reads as a table
// Each CPU loop is its own function literal so V8 specialises it: no per-element closure calls.
const unaryTable = {
  neg: {
    accepts: 'numeric',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = -x[i]!;
    },
    wgsl: '-x',
    grad: (g) => g.neg(),
  },
  // d|x| = sign(x) dx (0 at 0, like PyTorch)
  abs: {
    accepts: 'numeric',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!);
    },
    wgsl: 'abs(x)',
    grad: (g, x) => g.mul(x.sign()),
  },
  sign: {
    accepts: 'numeric',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.sign(x[i]!);
    },
    wgsl: 'sign(x)',
    grad: () => null,
  },
  exp: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!);
    },
    wgsl: 'exp(x)',
    grad: (g, _x, y) => g.mul(y),
  },
  // d expm1(x) = exp(x) = expm1(x) + 1
  expm1: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.expm1(x[i]!);
    },
    wgsl: 'exp(x) - 1.0',
    grad: (g, _x, y) => g.mul(y.add(1)),
  },
  log: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!);
    },
    wgsl: 'log(x)',
    grad: (g, x) => g.div(x),
  },
  log1p: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.log1p(x[i]!);
    },
    wgsl: 'log(1.0 + x)',
    grad: (g, x) => g.div(x.add(1)),
  },
  // d √x = dx / (2√x)
  sqrt: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!);
    },
    wgsl: 'sqrt(x)',
    grad: (g, _x, y) => g.div(y.mul(2)),
  },
  // d x^(-1/2) = -½ x^(-3/2) = -½ y³
  rsqrt: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = 1 / Math.sqrt(x[i]!);
    },
    wgsl: 'inverseSqrt(x)',
    grad: (g, _x, y) => g.mul(y.mul(y).mul(y)).mul(-0.5),
  },
  // d (1/x) = -1/x² = -y²
  reciprocal: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = 1 / x[i]!;
    },
    wgsl: '1.0 / x',
    grad: (g, _x, y) => g.mul(y.mul(y)).neg(),
  },
  sin: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.sin(x[i]!);
    },
    wgsl: 'sin_(x)', // not WGSL's sin: see SINCOS_WGSL
    wgslFns: SINCOS_WGSL,
    grad: (g, x) => g.mul(x.cos()),
  },
  cos: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.cos(x[i]!);
    },
    wgsl: 'cos_(x)',
    wgslFns: SINCOS_WGSL,
    grad: (g, x) => g.mul(x.sin()).neg(),
  },
  // d tanh = 1 - tanh²; WGSL: SwiftShader's tanh overflows to NaN past |x| ≈ 89, so clamp first
  // (tanh(±15) is already ±1 in float32) and let NaN through
  tanh: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
    },
    wgsl: 'tanh_(x)',
    wgslFns: { tanh_: 'fn tanh_(x: f32) -> f32 { return select(tanh(clamp(x, -15.0, 15.0)), x, isnan_(x)); }' },
    grad: (g, _x, y) => g.mul(y.mul(y).neg().add(1)),
  },
  // d σ = σ(1 - σ); a primitive (not 1/(1+e^-x)) for stability and speed in every gate
  sigmoid: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = sigmoid(x[i]!);
    },
    wgsl: 'select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0)',
    grad: (g, _x, y) => g.mul(y.mul(y.neg().add(1))),
  },
  // d erf = 2/√π · exp(-x²). WGSL has no erf: |x| < 0.5 by its Maclaurin series (no cancellation),
  // beyond by erfc from Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7), so the
  // absolute error stays near float32 rounding everywhere.
  erf: {
    accepts: 'float',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = erf(x[i]!);
    },
    wgsl: 'erf(x)',
    wgslFns: {
      erf: `fn erf(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.5) {
    let q = x * x;
    return x * 1.1283791671 * (1.0 + q * (-0.3333333333 + q * (0.1 + q * (-0.0238095238 + q * (0.0046296296 + q * -0.0007575758)))));
  }
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}`,
    },
    grad: (g, x) => g.mul(x.mul(x).neg().exp()).mul(1.1283791670955126),
  },
  floor: {
    accepts: 'numeric',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.floor(x[i]!);
    },
    wgsl: 'floor(x)',
    wgslInt: 'x', // WGSL's floor is float-only
    grad: () => null,
  },
  logicalNot: {
    accepts: 'bool',
    cpu: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = x[i] ? 0 : 1;
    },
    wgsl: 'select(1u, 0u, x != 0u)',
  },
} satisfies Record<string, UnaryDef>;

/** The name of an elementwise unary primitive. */
export type UnaryOp = keyof typeof unaryTable;
/**
 * The elementwise unary primitives, by name: each row's CPU loop, WGSL expression and gradient.
 * A backend reads it to implement `unary`.
 *
 * @example
 * unaryOps.tanh.wgsl; // the WGSL expression of x
 */
export const unaryOps: Readonly<Record<UnaryOp, UnaryDef>> = unaryTable;
// biome-ignore-end format: one row per op reads as a table

/** How a binary op treats dtypes: arithmetic keeps it, comparisons and logic give bool. */
export type BinaryKind = 'arith' | 'compare' | 'logical';

/**
 * One elementwise binary primitive. The CPU loop handles one row of a broadcast:
 * `o[oi+i] = a[ai+i·as] ⊙ b[bi+i·bs]` for `i < n` (strides are 0 on broadcast axes).
 * `grad(g, a, b, y)` returns the gradient for each input at the output's shape; the tape sums
 * broadcast axes away, once, for every op.
 */
export interface BinaryDef extends WgslDef {
  kind: BinaryKind;
  accepts: DTypeClass;
  /** The CPU row loop over one broadcast row. */
  cpu: (a: Arr, ai: number, as: number, b: Arr, bi: number, bs: number, o: Arr, oi: number, n: number) => void;
  /** The gradient rule for both inputs, at the output's shape (absent: not differentiable). */
  grad?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];
}

/**
 * WGSL's max/min may return either operand when one is NaN (SwiftShader returns the other):
 * propagate NaN from either side, as the CPU loops do. Integers have no NaN: the builtins serve.
 */
const MAX_WGSL = 'fn max_(a: f32, b: f32) -> f32 { return select(select(max(a, b), b, isnan_(b)), a, isnan_(a)); }';
const MIN_WGSL = 'fn min_(a: f32, b: f32) -> f32 { return select(select(min(a, b), b, isnan_(b)), a, isnan_(a)); }';

/** The share of the gradient `maximum`/`minimum` send to `a`: 1 where a wins, ½ on ties (PyTorch). */
const winnerShare = (g: Tensor, wins: Tensor, ties: Tensor) => g.mul(wins.cast(g.dtype).add(ties.cast(g.dtype).mul(0.5)));

// biome-ignore-start format: one row per op reads as a table
const binaryTable = {
  add: {
    kind: 'arith',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! + b[bi + i * bs]!;
    },
    wgsl: 'a + b',
    grad: (g) => [g, g],
  },
  sub: {
    kind: 'arith',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! - b[bi + i * bs]!;
    },
    wgsl: 'a - b',
    grad: (g) => [g, g.neg()],
  },
  mul: {
    kind: 'arith',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! * b[bi + i * bs]!;
    },
    wgsl: 'a * b',
    grad: (g, a, b) => [g.mul(b), g.mul(a)],
  },
  // d(a/b) = da/b - a·db/b² = da/b - y·db/b
  div: {
    kind: 'arith',
    accepts: 'float',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! / b[bi + i * bs]!;
    },
    wgsl: 'a / b',
    grad: (g, _a, b, y) => [g.div(b), g.mul(y).div(b).neg()],
  },
  // d(aᵇ) = b·aᵇ⁻¹ da + aᵇ·ln(a) db; ln is guarded so a ≤ 0 gives 0, not NaN, in the exponent's grad
  pow: {
    kind: 'arith',
    accepts: 'float',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! ** b[bi + i * bs]!;
    },
    // JS `**`, which WGSL's pow (undefined for a < 0) is not: x⁰ = 1 (even NaN⁰), NaN otherwise
    // propagates, 0 to a negative power is ±∞, a negative base needs an integer exponent (odd keeps
    // the sign), −0 and −∞ keep their signs
    wgsl: 'pow_(a, b)',
    wgslFns: {
      pow_: `fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  let integer = floor(b) == b;
  let odd = integer && abs(b) < 16777216.0 && (i32(b) & 1) != 0;
  var m = 0.0;
  if (a == 0.0) { m = select(0.0, inf_(), b < 0.0); } else { m = pow(abs(a), b); }
  if ((bitcast<u32>(a) & 0x80000000u) == 0u) { return m; }
  if (a != 0.0 && !isinf_(a) && !integer) { return nan_(); }
  return select(m, -m, odd);
}`,
    },
    grad: (g, a, b, y) => {
      const positive = a.gt(0);
      // Where b = 0, b·a^(b−1) is 0·∞ = NaN at a = 0 (and in its own gradient at tiny a): use b/a there,
      // the same value 0 with the same ∂/∂b = 1/a, and keep the other branch's exponent finite. The
      // rule reaches itself (a.pow below), so x¹'s second derivative at 0 is 0, not NaN.
      const zero = b.eq(0);
      const den = zero.logicalAnd(a.ne(0)).where(a, 1);
      const ga = g.mul(zero.where(b.div(den), b.mul(a.pow(zero.where(1, b).sub(1)))));
      return [ga, g.mul(y).mul(positive.where(a, 1).log()).mul(positive.cast(g.dtype))];
    },
  },
  maximum: {
    kind: 'arith',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i * as]!;
        const z = b[bi + i * bs]!;
        o[oi + i] = x > z || Number.isNaN(x) ? x : z;
      }
    },
    wgsl: 'max_(a, b)',
    wgslInt: 'max(a, b)',
    wgslFns: { max_: MAX_WGSL },
    grad: (g, a, b) => {
      const ga = winnerShare(g, a.gt(b), a.eq(b));
      return [ga, g.sub(ga)];
    },
  },
  minimum: {
    kind: 'arith',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i * as]!;
        const z = b[bi + i * bs]!;
        o[oi + i] = x < z || Number.isNaN(x) ? x : z;
      }
    },
    wgsl: 'min_(a, b)',
    wgslInt: 'min(a, b)',
    wgslFns: { min_: MIN_WGSL },
    grad: (g, a, b) => {
      const ga = winnerShare(g, a.lt(b), a.eq(b));
      return [ga, g.sub(ga)];
    },
  },
  eq: {
    kind: 'compare',
    accepts: 'any',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as] === b[bi + i * bs] ? 1 : 0;
    },
    wgsl: 'a == b',
  },
  ne: {
    kind: 'compare',
    accepts: 'any',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as] !== b[bi + i * bs] ? 1 : 0;
    },
    wgsl: 'a != b',
  },
  lt: {
    kind: 'compare',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! < b[bi + i * bs]! ? 1 : 0;
    },
    wgsl: 'a < b',
  },
  le: {
    kind: 'compare',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! <= b[bi + i * bs]! ? 1 : 0;
    },
    wgsl: 'a <= b',
  },
  gt: {
    kind: 'compare',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! > b[bi + i * bs]! ? 1 : 0;
    },
    wgsl: 'a > b',
  },
  ge: {
    kind: 'compare',
    accepts: 'numeric',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as]! >= b[bi + i * bs]! ? 1 : 0;
    },
    wgsl: 'a >= b',
  },
  logicalAnd: {
    kind: 'logical',
    accepts: 'bool',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as] && b[bi + i * bs] ? 1 : 0;
    },
    wgsl: 'a != 0u && b != 0u',
  },
  logicalOr: {
    kind: 'logical',
    accepts: 'bool',
    cpu: (a, ai, as, b, bi, bs, o, oi, n) => {
      for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * as] || b[bi + i * bs] ? 1 : 0;
    },
    wgsl: 'a != 0u || b != 0u',
  },
} satisfies Record<string, BinaryDef>;

/** The name of an elementwise binary primitive. */
export type BinaryOp = keyof typeof binaryTable;
/**
 * The elementwise binary primitives, by name: each row's kind, CPU row loop, WGSL expression and
 * gradient. A backend reads it to implement `binary`.
 *
 * @example
 * binaryOps.lt.kind; // 'compare'
 */
export const binaryOps: Readonly<Record<BinaryOp, BinaryDef>> = binaryTable;
// biome-ignore-end format: one row per op reads as a table
