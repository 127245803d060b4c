// exp, sigmoid and tanh for the fused recurrent kernels, where the gate activations are most of
// the forward's time (an LSTM step of H units calls five of them per unit). V8's Math.exp and
// Math.tanh are calls into the runtime (~20–30 ns each here); these are plain arithmetic V8
// inlines into the kernels' loops, accurate to a few ulp of float64 (the tests bound them), so
// float64 gradients still match the composite cell to 1e-10 and float32 results round the same.

/** exp's table has 2^(j/64) for j < 64 … */
const TABLE_BITS = 6;
const TABLE_SIZE = 1 << TABLE_BITS;
const EXP2_FRAC = Float64Array.from({ length: TABLE_SIZE }, (_, j) => 2 ** (j / TABLE_SIZE));
/** … and 2^m for the exponents a normal result can have. */
const EXP2_INT = Float64Array.from({ length: 2046 }, (_, i) => 2 ** (i - 1022));
const INV_STEP = TABLE_SIZE / Math.LN2;
// ln2/64 split in two (Cody–Waite, fdlibm's ln2_hi/ln2_lo): ln2_hi has 32 significant bits, so
// k·STEP_HI is exact for every k that reaches here (|k| < 2^17)
const STEP_HI = 0.6931471803691238 / TABLE_SIZE;
const STEP_LO = 1.9082149292705877e-10 / TABLE_SIZE;
/** Adding then subtracting 1.5·2^52 rounds a double to the nearest integer. */
const ROUND = 6755399441055744;

/**
 * eˣ as 2^(k/64)·eʳ with k = round(64x/ln2) and |r| ≤ ln2/128, where a degree-5 Taylor polynomial
 * is exact to 4e-17. Outside (−700, 700), and for NaN, it is Math.exp.
 */
export function exp(x: number): number {
  if (!(x > -700 && x < 700)) return Math.exp(x);
  const k = x * INV_STEP + ROUND - ROUND;
  const r = x - k * STEP_HI - k * STEP_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  const ki = k | 0;
  return EXP2_FRAC[ki & (TABLE_SIZE - 1)]! * EXP2_INT[(ki >> TABLE_BITS) + 1022]! * p;
}

/** σ(x) = 1 / (1 + e⁻ˣ): no cancellation on either side, and 0 or 1 in the limits. */
export function sigmoid(x: number): number {
  return 1 / (1 + exp(-x));
}

// Cephes' tanh (its coefficients as doubles): a rational approximation below 0.625 (where
// 1 − 2/(e²ˣ + 1) would cancel), exp above
const P0 = -0.9643991794250523;
const P1 = -99.28772310019185;
const P2 = -1614.6876844170845;
const Q0 = 112.81167849163293;
const Q1 = 2235.4883906010045;
const Q2 = 4844.063053251255;

/** tanh(x), to a few ulp; ±1 past |x| = 22, NaN for NaN. */
export function tanh(x: number): number {
  const a = x < 0 ? -x : x;
  if (a >= 0.625) {
    const t = a > 22 ? 1 : 1 - 2 / (exp(2 * a) + 1);
    return x < 0 ? -t : t;
  }
  const z = x * x;
  return x * (1 + (z * ((P0 * z + P1) * z + P2)) / (((z + Q0) * z + Q1) * z + Q2)); // x·(…): tanh(−0) = −0
}
