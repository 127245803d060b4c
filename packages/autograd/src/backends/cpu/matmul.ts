import type { MatmulDims } from '../backend.js';

type FloatArr = Float32Array | Float64Array | Int32Array;

const MR = 4; // rows of the register tile
const NR = 4; // columns of the register tile
const KC = 256; // depth of a packed panel: keeps a 4-column panel of B in L1

/**
 * Cache-blocked GEMM: `C[b] = A[b] · B[b]` for row-major A (m×k), B (k×n). B is packed into
 * panels of NR columns, contiguous along k, and A into panels of MR rows, so the 4×4 register
 * tile streams both from contiguous memory; 16 accumulators stay in registers.
 */
export function matmul(a: FloatArr, b: FloatArr, c: FloatArr, dims: MatmulDims): void {
  const { batch, m, k, n, aBatchStride, bBatchStride } = dims;
  const packedB = new Float64Array(Math.min(k, KC) * (Math.ceil(n / NR) * NR));
  const packedA = new Float64Array(Math.min(k, KC) * MR);
  const acc = new Float64Array(m * n);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * aBatchStride;
    const bOff = bi * bBatchStride;
    acc.fill(0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packB(b, bOff, n, p0, kc, packedB);
      for (let i0 = 0; i0 < m; i0 += MR) {
        const mr = Math.min(MR, m - i0);
        packA(a, aOff, k, i0, mr, p0, kc, packedA);
        for (let j0 = 0; j0 < n; j0 += NR) {
          const nr = Math.min(NR, n - j0);
          if (mr === MR && nr === NR) kernel4x4(packedA, packedB, (j0 / NR) * kc * NR, kc, acc, i0 * n + j0, n);
          else kernelEdge(packedA, packedB, (j0 / NR) * kc * NR, kc, acc, i0 * n + j0, n, mr, nr);
        }
      }
    }
    const cOff = bi * m * n;
    for (let i = 0; i < m * n; i++) c[cOff + i] = acc[i]!;
  }
}

/** B[p0:p0+kc, :] → panels of NR columns: panel j holds B[p, j·NR + r] at (j·kc + p)·NR + r. */
function packB(b: FloatArr, off: number, n: number, p0: number, kc: number, out: Float64Array): void {
  for (let j0 = 0, panel = 0; j0 < n; j0 += NR, panel += kc * NR) {
    const nr = Math.min(NR, n - j0);
    for (let p = 0; p < kc; p++) {
      const src = off + (p0 + p) * n + j0;
      const dst = panel + p * NR;
      for (let r = 0; r < NR; r++) out[dst + r] = r < nr ? b[src + r]! : 0;
    }
  }
}

/** A[i0:i0+mr, p0:p0+kc] → one panel: A[i0 + r, p] at p·MR + r. */
function packA(a: FloatArr, off: number, k: number, i0: number, mr: number, p0: number, kc: number, out: Float64Array): void {
  for (let r = 0; r < MR; r++) {
    const src = off + (i0 + r) * k + p0;
    for (let p = 0; p < kc; p++) out[p * MR + r] = r < mr ? a[src + p]! : 0;
  }
}

// biome-ignore format: the register tile reads as a 4×4 grid
function kernel4x4(pa: Float64Array, pb: Float64Array, bOff: number, kc: number, c: Float64Array, cOff: number, n: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0, ia = 0, ib = bOff; p < kc; p++, ia += 4, ib += 4) {
    const a0 = pa[ia]!, a1 = pa[ia + 1]!, a2 = pa[ia + 2]!, a3 = pa[ia + 3]!;
    const b0 = pb[ib]!, b1 = pb[ib + 1]!, b2 = pb[ib + 2]!, b3 = pb[ib + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  let o = cOff;
  c[o]! += c00; c[o + 1]! += c01; c[o + 2]! += c02; c[o + 3]! += c03; o += n;
  c[o]! += c10; c[o + 1]! += c11; c[o + 2]! += c12; c[o + 3]! += c13; o += n;
  c[o]! += c20; c[o + 1]! += c21; c[o + 2]! += c22; c[o + 3]! += c23; o += n;
  c[o]! += c30; c[o + 1]! += c31; c[o + 2]! += c32; c[o + 3]! += c33;
}

function kernelEdge(
  pa: Float64Array,
  pb: Float64Array,
  bOff: number,
  kc: number,
  c: Float64Array,
  cOff: number,
  n: number,
  mr: number,
  nr: number,
): void {
  for (let r = 0; r < mr; r++) {
    for (let s = 0; s < nr; s++) {
      let sum = 0;
      for (let p = 0; p < kc; p++) sum += pa[p * MR + r]! * pb[bOff + p * NR + s]!;
      c[cOff + r * n + s]! += sum;
    }
  }
}
