// The products of a recurrent kernel for the small batches where they are a handful of
// matrix–vector products (larger batches go to linalg's GEMM): h·Wᵀ every step, and the weight
// gradient over the whole sequence. A paper-sized LSTM step is a 64×16 product, so the cost is
// per-element work and packing for a GEMM does not pay: eight rows of W share each load of h and
// give eight independent sums (20–25% faster than four rows on 64×16 and 16×64, V8 on x64), and
// the weight gradient reads both operands in place in 4×4 register tiles (no transposed copy).
import { mulTN, mulWT } from './linalg.js';

/**
 * The kernels' work arrays: float32 for float32 sequences (so linalg's GEMM takes its WASM SIMD
 * path at larger batches), float64 for float64 ones (exact enough for gradient checks).
 */
export type Work = Float32Array | Float64Array;
export type WorkArray = Float32ArrayConstructor | Float64ArrayConstructor;

/** The work array type of a dtype. */
export const workArray = (dtype: 'float32' | 'float64'): WorkArray => (dtype === 'float32' ? Float32Array : Float64Array);

/** A copy of the first `n` values of `src` as a work array (saved weights: later updates do not reach them). */
export function workCopy(src: Work, n: number, Arr: WorkArray): Work {
  const out = new Arr(n);
  out.set(src.subarray(0, n));
  return out;
}

/** Below this batch size the rows are matrix–vector products here; from it, linalg's GEMM. */
const GEMM_BATCH = 4;

const work: Work[] = [];

/**
 * A work buffer of `n` elements for the duration of one kernel call (`slot` tells a call's
 * buffers apart). Kept between calls, as matmul.ts keeps its panels: the kernels are synchronous,
 * so no two calls hold one at once, and a backward then allocates no T·B·G·H gradient buffer
 * each time (13 MB for W2). Not zeroed: the kernels write every element before reading it.
 */
export function workBuffer(slot: number, n: number, Arr: WorkArray): Work {
  const key = 2 * slot + (Arr === Float32Array ? 1 : 0);
  let b = work[key];
  if (!b || b.length < n) {
    b = new Arr(n);
    work[key] = b;
  }
  return b.length === n ? b : b.subarray(0, n);
}

/**
 * `out[b, j] = Σₖ h[hOff + b·K + k] · W[j, k]` for `b < B`, `j < N`: `h·Wᵀ` with `W` `[N, K]`
 * row-major and `wT` its transpose (for the GEMM path). `out` is overwritten.
 */
export function stepProduct<A extends Work>(h: A, hOff: number, W: A, wT: A, out: A, B: number, K: number, N: number): void {
  if (B >= GEMM_BATCH) {
    mulWT(h, hOff, W, wT, out, B, K, N);
    return;
  }
  for (let b = 0; b < B; b++) matvec(h, hOff + b * K, W, out, b * N, K, N);
}

/** `out[o + j] = Σₖ x[xOff + k] · W[j·K + k]` for `j < N`. */
function matvec(x: Work, xOff: number, W: Work, out: Work, o: number, K: number, N: number): void {
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const w = j * K;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let k = 0; k < K; k++) {
      const v = x[xOff + k]!;
      const r = w + k;
      s0 += v * W[r]!;
      s1 += v * W[r + K]!;
      s2 += v * W[r + 2 * K]!;
      s3 += v * W[r + 3 * K]!;
      s4 += v * W[r + 4 * K]!;
      s5 += v * W[r + 5 * K]!;
      s6 += v * W[r + 6 * K]!;
      s7 += v * W[r + 7 * K]!;
    }
    out[o + j] = s0;
    out[o + j + 1] = s1;
    out[o + j + 2] = s2;
    out[o + j + 3] = s3;
    out[o + j + 4] = s4;
    out[o + j + 5] = s5;
    out[o + j + 6] = s6;
    out[o + j + 7] = s7;
  }
  for (; j < N; j++) {
    const w = j * K;
    let s = 0;
    for (let k = 0; k < K; k++) s += x[xOff + k]! * W[w + k]!;
    out[o + j] = s;
  }
}

/**
 * `out[j, k] = Σ_r d[r, j] · h[r, k]` over `rows` rows: `dᵀ·h` with `d` `[rows, N]` and `h`
 * `[rows, K]` (the recurrent weight gradient of a whole sequence, `rows = T·B`). `out` is overwritten.
 */
export function weightGrad<A extends Work>(d: A, h: A, out: A, rows: number, B: number, N: number, K: number): void {
  if (B >= GEMM_BATCH) {
    mulTN(d, h, out, rows, N, K);
    return;
  }
  const N4 = N - (N % 4);
  const K4 = K - (K % 4);
  for (let j = 0; j < N4; j += 4) {
    for (let k = 0; k < K4; k += 4) tile(d, h, out, rows, N, K, j, k);
    for (let k = K4; k < K; k++) for (let i = j; i < j + 4; i++) out[i * K + k] = dotColumns(d, i, N, h, k, K, rows);
  }
  for (let j = N4; j < N; j++) for (let k = 0; k < K; k++) out[j * K + k] = dotColumns(d, j, N, h, k, K, rows);
}

/** One 4×4 block of {@link weightGrad} at (j, k), its 16 sums in registers. */
function tile(d: Work, h: Work, out: Work, rows: number, N: number, K: number, j: number, k: number): void {
  let s00 = 0;
  let s01 = 0;
  let s02 = 0;
  let s03 = 0;
  let s10 = 0;
  let s11 = 0;
  let s12 = 0;
  let s13 = 0;
  let s20 = 0;
  let s21 = 0;
  let s22 = 0;
  let s23 = 0;
  let s30 = 0;
  let s31 = 0;
  let s32 = 0;
  let s33 = 0;
  for (let r = 0, dr = j, hr = k; r < rows; r++, dr += N, hr += K) {
    const h0 = h[hr]!;
    const h1 = h[hr + 1]!;
    const h2 = h[hr + 2]!;
    const h3 = h[hr + 3]!;
    let v = d[dr]!;
    s00 += v * h0;
    s01 += v * h1;
    s02 += v * h2;
    s03 += v * h3;
    v = d[dr + 1]!;
    s10 += v * h0;
    s11 += v * h1;
    s12 += v * h2;
    s13 += v * h3;
    v = d[dr + 2]!;
    s20 += v * h0;
    s21 += v * h1;
    s22 += v * h2;
    s23 += v * h3;
    v = d[dr + 3]!;
    s30 += v * h0;
    s31 += v * h1;
    s32 += v * h2;
    s33 += v * h3;
  }
  const o = j * K + k;
  out[o] = s00;
  out[o + 1] = s01;
  out[o + 2] = s02;
  out[o + 3] = s03;
  out[o + K] = s10;
  out[o + K + 1] = s11;
  out[o + K + 2] = s12;
  out[o + K + 3] = s13;
  out[o + 2 * K] = s20;
  out[o + 2 * K + 1] = s21;
  out[o + 2 * K + 2] = s22;
  out[o + 2 * K + 3] = s23;
  out[o + 3 * K] = s30;
  out[o + 3 * K + 1] = s31;
  out[o + 3 * K + 2] = s32;
  out[o + 3 * K + 3] = s33;
}

/** Σ_r d[r, j] · h[r, k]. */
function dotColumns(d: Work, j: number, N: number, h: Work, k: number, K: number, rows: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) s += d[r * N + j]! * h[r * K + k]!;
  return s;
}
