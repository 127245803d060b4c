import type { MatmulDims } from '../backend.js';
import { wasmInternals, wasmSgemm } from './wasm/index.js';

type NumArr = Float32Array | Float64Array | Int32Array;

/**
 * The sizes of {@link matmul}: the backend's {@link MatmulDims} plus operands stored transposed,
 * so a backward pass's `Aᵀ·G` and `G·Bᵀ` read A and B in place. With `transA`, each A is stored
 * k×m (row-major) and used as its transpose; with `transB`, each B is stored n×k.
 */
export interface GemmDims extends MatmulDims {
  transA?: boolean;
  transB?: boolean;
}

// Blocking (the loop order of BLIS/GotoBLAS). Measured on V8 (Node 20, x64): the JIT keeps at most
// ~15 doubles in registers, so a 4×4 tile (16 accumulators) is the sweet spot; 4×8, 6×4, 8×4 and
// 3×3 tiles all measured the same or slower, and unrolling the k loop was slower. The pure-JS
// micro-kernel tops out near 4 GFLOP/s even on L1-resident panels, so the blocking below only has
// to keep the panels it streams in cache; it reaches ~90% of that ceiling at 512³.
const MR = 4; // rows of the register tile
const NR = 4; // columns of the register tile
const KC = 256; // depth of a packed panel: MR×KC of A and KC×NR of B, 8 KiB each in float64, sit in L1
const MC = 128; // rows of A packed at once: MC×KC float64 = 256 KiB, stays in L2
const NC = 1024; // columns of B packed at once: KC×NC float64 = 2 MiB, bounds the scratch buffer

// Panels are packed as float64 whatever the dtype: a Float64Array load needs no conversion in the
// inner loop (packing as float32 measured no faster) and every product is accumulated in double.
// The scratch buffers are reused across calls (kernels are synchronous and single-threaded), so a
// small matmul, as in every step of a small model, allocates nothing.
let packedA: Float64Array = new Float64Array(0);
let packedB: Float64Array = new Float64Array(0);
let accum: Float64Array = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);

function scratch(buf: Float64Array, size: number): Float64Array {
  return buf.length >= size ? buf : new Float64Array(size);
}

/**
 * Cache-blocked GEMM: `C[b] = op(A[b])·op(B[b])` with op(A) m×k, op(B) k×n and C m×n row-major,
 * float32, float64 or int32. Float32 products of useful size run on the WASM SIMD kernel when it
 * is available (see `configureCpu`); everything else on the TypeScript kernel below: B is packed
 * into panels of NR columns and A into panels of MR rows, both contiguous along k, so the 4×4
 * register tile reads two sequential streams; every panel is zero-padded to full width, so edge
 * tiles run the same kernel into a temporary tile.
 */
export function matmul(a: NumArr, b: NumArr, c: NumArr, dims: GemmDims): void {
  let { batch, m, aBatchStride } = dims;
  const { k, n, bBatchStride } = dims;
  const transA = dims.transA ?? false;
  const transB = dims.transB ?? false;
  // A shared B with back-to-back A matrices is one GEMM with batch·m rows: B is packed once.
  if (batch > 1 && bBatchStride === 0 && aBatchStride === m * k && !transA) {
    m *= batch;
    batch = 1;
    aBatchStride = 0;
  }
  if (m === 0 || n === 0 || batch === 0) return;
  if (c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array && m * n * k >= wasmInternals.minMacs) {
    if (wasmSgemm(a, b, c, { batch, m, k, n, aBatchStride, bBatchStride, transA, transB })) return;
  }
  // Float32 C cannot hold partial sums between k-panels without rounding each one, so when k
  // spans several panels they go to a float64 accumulator first. Float64 C is exact as it is;
  // int32 wraps modulo 2³² the same either way.
  const direct = k <= KC || !(c instanceof Float32Array);
  if (!direct) accum = scratch(accum, m * n);
  packedA = scratch(packedA, Math.min(k, KC) * roundUp(Math.min(m, MC), MR));
  packedB = scratch(packedB, Math.min(k, KC) * roundUp(Math.min(n, NC), NR));
  // element (i, p) of op(A) is at i·ars + p·acs, element (p, j) of op(B) at p·brs + j·bcs
  const [ars, acs] = transA ? [1, m] : [k, 1];
  const [brs, bcs] = transB ? [1, k] : [n, 1];
  for (let bi = 0; bi < batch; bi++) {
    const cOff = bi * m * n;
    const target = direct ? c : accum;
    const tOff = direct ? cOff : 0;
    target.fill(0, tOff, tOff + m * n);
    gemm(a, bi * aBatchStride, ars, acs, b, bi * bBatchStride, brs, bcs, target, tOff, m, k, n);
    if (!direct) c.set(accum.subarray(0, m * n), cOff);
  }
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** `T[tOff…] += op(A)·op(B)` for one matrix, T row-major m×n (already zeroed); strides as in `matmul`. */
// biome-ignore format: one line per operand
function gemm(
  a: NumArr, aOff: number, ars: number, acs: number,
  b: NumArr, bOff: number, brs: number, bcs: number,
  t: NumArr, tOff: number, m: number, k: number, n: number,
): void {
  const pa = packedA;
  const pb = packedB;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packB(b, bOff + p0 * brs + j0 * bcs, brs, bcs, kc, nc, pb);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packA(a, aOff + i0 * ars + p0 * acs, ars, acs, mc, kc, pa);
        // One B panel (L1) against every A panel of the block (L2).
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const pbOff = jr * kc;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const o = tOff + (i0 + ir) * n + j0 + jr;
            if (mr === MR && nr === NR) kernel4x4(pa, ir * kc, pb, pbOff, kc, t, o, n);
            else {
              edgeTile.fill(0);
              kernel4x4(pa, ir * kc, pb, pbOff, kc, edgeTile, 0, NR);
              for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) t[o + r * n + s]! += edgeTile[r * NR + s]!;
            }
          }
        }
      }
    }
  }
}

/**
 * op(B)[0:kc, 0:nc] (element (p, j) at `off + p·rs + j·cs`) → panels of NR columns, zero-padded:
 * panel jr/NR holds B[p, jr + s] at jr·kc + p·NR + s.
 */
function packB(b: NumArr, off: number, rs: number, cs: number, kc: number, nc: number, out: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let dst = jr * kc;
    if (nr === NR) {
      const c2 = 2 * cs;
      const c3 = 3 * cs;
      for (let p = 0, src = off + jr * cs; p < kc; p++, src += rs, dst += NR) {
        out[dst] = b[src]!;
        out[dst + 1] = b[src + cs]!;
        out[dst + 2] = b[src + c2]!;
        out[dst + 3] = b[src + c3]!;
      }
    } else {
      for (let p = 0, src = off + jr * cs; p < kc; p++, src += rs, dst += NR) {
        for (let s = 0; s < NR; s++) out[dst + s] = s < nr ? b[src + s * cs]! : 0;
      }
    }
  }
}

/**
 * op(A)[0:mc, 0:kc] (element (i, p) at `off + i·rs + p·cs`) → panels of MR rows, zero-padded:
 * panel ir/MR holds A[ir + r, p] at ir·kc + p·MR + r.
 */
function packA(a: NumArr, off: number, rs: number, cs: number, mc: number, kc: number, out: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const panel = ir * kc;
    for (let r = 0; r < MR; r++) {
      const src = off + (ir + r) * rs;
      if (r < mr) for (let p = 0; p < kc; p++) out[panel + p * MR + r] = a[src + p * cs]!;
      else for (let p = 0; p < kc; p++) out[panel + p * MR + r] = 0;
    }
  }
}

/**
 * The register tile: `C[o…] += Apanel · Bpanel` for one MR×NR block, ldc apart. The 16 sums live
 * in locals for the whole k loop, so each step is 8 loads for 16 multiply-adds.
 */
// biome-ignore format: the register tile reads as a 4×4 grid
function kernel4x4(pa: Float64Array, ia: number, pb: Float64Array, ib: number, kc: number, c: NumArr, o: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, ia += MR, ib += NR) {
    const a0 = pa[ia]!, a1 = pa[ia + 1]!, a2 = pa[ia + 2]!, a3 = pa[ia + 3]!;
    const b0 = pb[ib]!, b1 = pb[ib + 1]!, b2 = pb[ib + 2]!, b3 = pb[ib + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  c[o]! += c00; c[o + 1]! += c01; c[o + 2]! += c02; c[o + 3]! += c03; o += ldc;
  c[o]! += c10; c[o + 1]! += c11; c[o + 2]! += c12; c[o + 3]! += c13; o += ldc;
  c[o]! += c20; c[o + 1]! += c21; c[o + 2]! += c22; c[o + 3]! += c23; o += ldc;
  c[o]! += c30; c[o + 1]! += c31; c[o + 2]! += c32; c[o + 3]! += c33;
}
