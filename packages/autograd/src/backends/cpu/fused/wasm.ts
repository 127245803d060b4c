// Float32 LSTM and GRU sequences on the WASM kernel: the whole sequence's inputs are copied into
// the kernel's memory once, W_hh is packed once (not at every step's product), and each step is
// one GEMM on the packed weight plus one call of the emitted pointwise code (../wasm/recurrent.ts).
// The activations come back into the same saved buffers the TypeScript loops fill, in the same
// layout, so either backward runs after either forward (configureCpu may change in between).
//
// The kernel's memory holds nothing between calls (it is the matmul's operand space), hence the
// copies in and out: one memcpy per buffer per call (W2: ~40 MB each way per training step, a
// tenth of the step when the destination is freshly allocated memory, mostly its page faults).
import type { GRUGradBufs, LSTMCellSpec, LSTMGradBufs, SequenceDims } from '../../backend.js';
import { type WasmScratch, wasmScratch } from '../wasm/index.js';
import { gruModule, type Half, lstmModule, type Unroll } from '../wasm/recurrent.js';

type Fn = (...args: number[]) => void;

/** An LSTM sequence's sizes, wiring and recurrent weights (see lstm.ts). */
export interface LSTMWeights {
  dims: SequenceDims;
  spec: LSTMCellSpec;
  G: number;
  P: number;
  W: Float32Array;
  peep: Float32Array | null;
}

/** What the WASM LSTM reads of the forward's saved state (see lstm.ts). */
export interface LSTMState extends LSTMWeights {
  /** I, F, Gt, O, A, C, Hs: consecutive subarrays of `all`. */
  all: Float32Array;
  I: Float32Array;
  F: Float32Array;
  Gt: Float32Array;
  O: Float32Array;
  A: Float32Array;
  C: Float32Array;
  Hs: Float32Array;
}

/** What the WASM GRU reads of the forward's saved state (see gru.ts). */
export interface GRUState {
  dims: SequenceDims;
  W: Float32Array;
  /** R, Z, N, HN, Hs: consecutive subarrays of `all`. */
  all: Float32Array;
  R: Float32Array;
  Z: Float32Array;
  N: Float32Array;
  HN: Float32Array;
  Hs: Float32Array;
}

/**
 * For tests: the unroll factors tried in order, the first whose module compiles being used (the
 * default prefers two interleaved vectors; one is the fallback where that module is refused).
 */
export const fusedWasmInternals: { unrolls: Unroll[] } = { unrolls: [2, 1] };

/** A pointwise module's cache key and builder, for each {@link Unroll}. */
type Code = (unroll: Unroll) => [string, (shared: boolean) => Uint8Array<ArrayBuffer>];

/**
 * The scratch memory with room for consecutive 64-byte-aligned regions of the given numbers of
 * floats (their byte addresses, by name) and the exports of `code`'s module (interleaving two
 * vectors, or one where that module does not compile: a browser's main thread refuses synchronous
 * compiles over 4 KB); null when the kernel, the module or the room is missing.
 */
function open<K extends string>(
  code: Code,
  floats: (s: WasmScratch) => Record<K, number>,
): { s: WasmScratch; mod: Record<string, Fn>; at: Record<K, number> } | null {
  const s = wasmScratch();
  let mod: WebAssembly.Exports | null = null;
  for (const u of fusedWasmInternals.unrolls) mod ??= s?.module(...code(u)) ?? null;
  if (!s || !mod) return null;
  let end = s.base;
  const at = {} as Record<K, number>;
  for (const [name, n] of Object.entries(floats(s)) as [K, number][]) {
    at[name] = end;
    end = Math.ceil((end + 4 * n) / 64) * 64;
  }
  // the pointwise code reads up to 28 bytes past a row (recurrent.ts): keep them addressable
  return s.reserve(end + 64) ? { s, mod: mod as Record<string, Fn>, at } : null;
}

/** Copies `src` to byte address `at`. */
const put = (f: Float32Array, at: number, src: Float32Array) => f.set(src, at / 4);
/** `n` floats from byte address `at`. */
const view = (f: Float32Array, at: number, n: number) => f.subarray(at / 4, at / 4 + n);

/**
 * `out = 1ᵀ·m`, the sums of the columns of a `[rows, cols]` matrix (a bias gradient over every
 * step), as a product with a row of ones: 5–10× faster than a loop in TypeScript, and blocked
 * like the weight gradient's sums (`ones` must have room for `rows` floats).
 */
function columnSums(s: WasmScratch, ones: number, m: number, out: number, rows: number, cols: number): void {
  view(s.f32(), ones, rows).fill(1);
  s.gemmPlain(ones, m, out, 1, cols, rows, false);
}

/** Byte addresses, in a region at `region` holding a copy of `all`, of `all`'s subarrays `parts`. */
function within<K extends string>(region: number, all: Float32Array, parts: Record<K, Float32Array>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [name, x] of Object.entries(parts) as [K, Float32Array][]) out[name] = region + x.byteOffset - all.byteOffset;
  return out;
}

/** The module with one half of an LSTM cell's pointwise code. */
function lstmCode(sv: LSTMWeights, half: Half): Code {
  const code = { spec: sv.spec, peep: sv.peep !== null };
  return (unroll) => [`lstm ${half} ×${unroll} ${JSON.stringify(code)}`, (shared) => lstmModule(code, half, unroll, shared)];
}

/** The module with one half of the GRU's pointwise code. */
const gruCode =
  (half: Half): Code =>
  (unroll) => [`gru ${half} ×${unroll}`, (shared) => gruModule(half, unroll, shared)];

/**
 * Floats of the forward's regions: the gates' (named by `gates`, present or not) hold every
 * step's `[B, H]` when kept for a backward, else one step's, overwritten at every step (and the
 * LSTM's cell state alternates between two), so inference keeps only h, for `out`.
 */
function stepRegions<K extends string>(T: number, BH: number, keep: boolean, gates: Record<K, boolean>): Record<K | 'Hs', number> {
  const floats = { Hs: (T + 1) * BH } as Record<K | 'Hs', number>;
  for (const [name, has] of Object.entries(gates) as [K, boolean][]) floats[name] = has ? (keep ? T : 1) * BH : 0;
  return floats;
}

/** Copies each named region back into the kept state's array of that name. */
function copyOut(f: Float32Array, at: Record<string, number>, arrays: Record<string, Float32Array>): void {
  for (const [name, a] of Object.entries(arrays)) a.set(view(f, at[name]!, a.length));
}

/**
 * The LSTM forward's T steps from (h0, c0): with `kept`, fills its buffers as the TypeScript loop
 * does (lstm.ts); without (inference), writes only `out` = [h(1…T); c(T)]. False, having written
 * nothing, when the WASM kernel cannot run it.
 */
export function lstmForwardWasm(
  sv: LSTMWeights,
  xw: Float32Array,
  bias: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  out: Float32Array,
  kept: LSTMState | null,
): boolean {
  const { T, B, H } = sv.dims;
  const GH = sv.G * H;
  const BH = B * H;
  const { spec } = sv;
  const gates = { I: spec.i >= 0, F: spec.f >= 0, G: true, O: spec.o >= 0, A: true };
  const k = open(lstmCode(sv, 'forward'), (s) => ({
    w: GH * H,
    wp: s.packedBytes(H, GH) / 4,
    b: GH,
    peep: sv.P * H,
    x: T * B * GH,
    pre: B * GH,
    ...stepRegions(T, BH, kept !== null, gates),
    C: kept ? (T + 1) * BH : 2 * BH,
  }));
  if (!k) return false;
  const { s, mod } = k;
  const { w, wp, b, peep, x, pre, I, F, G, O, A, C, Hs } = k.at;
  const f = s.f32();
  put(f, w, sv.W);
  put(f, b, bias);
  if (sv.peep) put(f, peep, sv.peep);
  put(f, x, xw.subarray(0, T * B * GH));
  put(f, C, c0.subarray(0, BH));
  put(f, Hs, h0.subarray(0, BH));
  // the product's B is W_hhᵀ: element (p, j) = W[j, p]
  s.pack(w, 4, 4 * H, H, GH, wp);
  const step = mod.lstmStep!;
  const u = 4 * BH; // bytes per step of the [T, B, H] buffers
  const g = kept ? u : 0; // … of the gates' (one step's region when not kept)
  for (let t = 0; t < T; t++) {
    const [c, cNext] = kept ? [C + t * u, C + (t + 1) * u] : [C + (t & 1) * u, C + ((t + 1) & 1) * u];
    s.gemm({ a: Hs + t * u, aRow: 4 * H, aCol: 4, b: wp, c: pre, cRow: 4 * GH, m: B, n: GH, k: H });
    const o = t * g;
    step(x + 4 * t * B * GH, pre, b, peep, c, I + o, F + o, G + o, O + o, A + o, cNext, Hs + (t + 1) * u, B, H);
  }
  const v = s.f32();
  if (kept) copyOut(v, k.at, { I: kept.I, F: kept.F, G: kept.Gt, O: kept.O, A: kept.A, C: kept.C, Hs: kept.Hs });
  else {
    out.set(view(v, Hs + u, T * BH));
    out.set(view(v, C + (T & 1) * u, BH), T * BH);
  }
  return true;
}

/** The LSTM's BPTT (see lstm.ts' lstmBackward for what fills `grads`). False when the WASM kernel cannot run it. */
export function lstmBackwardWasm(sv: LSTMState, gOut: Float32Array, grads: LSTMGradBufs): boolean {
  const { T, B, H } = sv.dims;
  const GH = sv.G * H;
  const BH = B * H;
  const P = sv.P * H;
  const k = open(lstmCode(sv, 'backward'), (s) => ({
    w: GH * H,
    wp: s.packedBytes(GH, H) / 4,
    peep: P,
    dPeep: P,
    all: sv.all.length,
    g: (T + 1) * BH,
    dpre: T * B * GH,
    dh: BH,
    dc: BH,
    dc2: BH,
    dW: GH * H,
    ones: T * B,
    db: GH,
  }));
  if (!k) return false;
  const { s, mod } = k;
  const { w, wp, peep, dPeep, all, g, dpre, dh, dW, ones, db } = k.at;
  // dc(t) and dc(t−1) alternate between two buffers
  let [dc, dcOut] = [k.at.dc, k.at.dc2];
  const f = s.f32();
  put(f, w, sv.W);
  if (sv.peep) put(f, peep, sv.peep);
  view(f, dPeep, P).fill(0);
  put(f, all, sv.all);
  put(f, g, gOut.subarray(0, (T + 1) * BH));
  view(f, dh, BH).fill(0);
  put(f, dc, gOut.subarray(T * BH, (T + 1) * BH));
  // dh(t−1) = dpre(t)·W_hh: the product's B is W_hh itself
  s.pack(w, 4 * H, 4, GH, H, wp);
  const { I, F, G, O, A, C, Hs } = within(all, sv.all, { I: sv.I, F: sv.F, G: sv.Gt, O: sv.O, A: sv.A, C: sv.C, Hs: sv.Hs });
  const stepBack = mod.lstmStepBack!;
  const u = 4 * BH;
  for (let t = T - 1; t >= 0; t--) {
    const o = t * u;
    const d = dpre + 4 * t * B * GH;
    stepBack(g + o, dh, dc, I + o, F + o, G + o, O + o, A + o, C + o, C + o + u, peep, dPeep, d, dcOut, B, H);
    [dc, dcOut] = [dcOut, dc];
    s.gemm({ a: d, aRow: 4 * GH, aCol: 4, b: wp, c: dh, cRow: 4 * H, m: B, n: H, k: GH });
  }
  // the weight gradient of every step at once, dpreᵀ·h(0…T−1), and the bias's, 1ᵀ·dpre
  s.gemmPlain(dpre, Hs, dW, GH, H, T * B, true);
  if (grads.bhh) columnSums(s, ones, dpre, db, T * B, GH);
  const v = s.f32();
  (grads.xw as Float32Array).set(view(v, dpre, T * B * GH));
  (grads.whh as Float32Array).set(view(v, dW, GH * H));
  (grads.h0 as Float32Array).set(view(v, dh, BH));
  (grads.c0 as Float32Array).set(view(v, dc, BH));
  if (grads.peep) (grads.peep as Float32Array).set(view(v, dPeep, P));
  if (grads.bhh) (grads.bhh as Float32Array).set(view(v, db, GH));
  return true;
}

/** The GRU forward's T steps from h0, as {@link lstmForwardWasm}: into `kept`'s buffers, or only `out` = h(1…T). */
export function gruForwardWasm(
  dims: SequenceDims,
  W: Float32Array,
  xw: Float32Array,
  bias: Float32Array,
  h0: Float32Array,
  out: Float32Array,
  kept: GRUState | null,
): boolean {
  const { T, B, H } = dims;
  const GH = 3 * H;
  const BH = B * H;
  const k = open(gruCode('forward'), (s) => ({
    w: GH * H,
    wp: s.packedBytes(H, GH) / 4,
    b: GH,
    x: T * B * GH,
    pre: B * GH,
    ...stepRegions(T, BH, kept !== null, { R: true, Z: true, N: true, HN: true }),
  }));
  if (!k) return false;
  const { s, mod } = k;
  const { w, wp, b, x, pre, R, Z, N, HN, Hs } = k.at;
  const f = s.f32();
  put(f, w, W);
  put(f, b, bias);
  put(f, x, xw.subarray(0, T * B * GH));
  put(f, Hs, h0.subarray(0, BH));
  s.pack(w, 4, 4 * H, H, GH, wp);
  const step = mod.gruStep!;
  const u = 4 * BH;
  const g = kept ? u : 0;
  for (let t = 0, o = 0; t < T; t++, o += g) {
    const h = Hs + t * u;
    s.gemm({ a: h, aRow: 4 * H, aCol: 4, b: wp, c: pre, cRow: 4 * GH, m: B, n: GH, k: H });
    step(x + 4 * t * B * GH, pre, b, h, R + o, Z + o, N + o, HN + o, h + u, B, H);
  }
  const v = s.f32();
  if (kept) copyOut(v, k.at, { R: kept.R, Z: kept.Z, N: kept.N, HN: kept.HN, Hs: kept.Hs });
  else out.set(view(v, Hs + u, T * BH));
  return true;
}

/** The GRU's BPTT (see gru.ts' gruBackward). False when the WASM kernel cannot run it. */
export function gruBackwardWasm(sv: GRUState, gOut: Float32Array, grads: GRUGradBufs): boolean {
  const { T, B, H } = sv.dims;
  const GH = 3 * H;
  const BH = B * H;
  const k = open(gruCode('backward'), (s) => ({
    w: GH * H,
    wp: s.packedBytes(GH, H) / 4,
    all: sv.all.length,
    g: T * BH,
    dxw: T * B * GH,
    dhw: T * B * GH,
    dh: BH,
    dhNext: BH,
    dhNext2: BH,
    dW: GH * H,
    ones: T * B,
    db: GH,
  }));
  if (!k) return false;
  const { s, mod } = k;
  const { w, wp, all, g, dxw, dhw, dh, dW, ones, db } = k.at;
  let [dhNext, dhNextOut] = [k.at.dhNext, k.at.dhNext2];
  const f = s.f32();
  put(f, w, sv.W);
  put(f, all, sv.all);
  put(f, g, gOut.subarray(0, T * BH));
  view(f, dh, BH).fill(0);
  view(f, dhNext, BH).fill(0);
  s.pack(w, 4 * H, 4, GH, H, wp);
  const { R, Z, N, HN, Hs } = within(all, sv.all, { R: sv.R, Z: sv.Z, N: sv.N, HN: sv.HN, Hs: sv.Hs });
  const stepBack = mod.gruStepBack!;
  const u = 4 * BH;
  for (let t = T - 1; t >= 0; t--) {
    const o = t * u;
    const d = 4 * t * B * GH;
    stepBack(g + o, dh, dhNext, R + o, Z + o, N + o, HN + o, Hs + o, dxw + d, dhw + d, dhNextOut, B, H);
    [dhNext, dhNextOut] = [dhNextOut, dhNext];
    s.gemm({ a: dhw + d, aRow: 4 * GH, aCol: 4, b: wp, c: dh, cRow: 4 * H, m: B, n: H, k: GH });
  }
  s.gemmPlain(dhw, Hs, dW, GH, H, T * B, true);
  if (grads.bhh) columnSums(s, ones, dhw, db, T * B, GH);
  const v = s.f32();
  (grads.xw as Float32Array).set(view(v, dxw, T * B * GH));
  (grads.whh as Float32Array).set(view(v, dW, GH * H));
  // h0's gradient: through the last product and through the z mix
  const dh0 = view(v, dh, BH);
  const mix = view(v, dhNext, BH);
  const h0 = grads.h0 as Float32Array;
  for (let i = 0; i < BH; i++) h0[i] = dh0[i]! + mix[i]!;
  if (grads.bhh) (grads.bhh as Float32Array).set(view(v, db, GH));
  return true;
}
