// Whole-sequence recurrent ops backed by a backend's optional fused kernels (`Backend.fused`). Each
// is ONE node on the tape whose rule runs the kernel's BPTT; the caller keeps its composite cell
// for backends without the kernel and passes it here as `composite`, which also serves
// higher-order gradients: when the rule itself must be recorded (createGraph, grad of grad), it
// differentiates the composite instead, so the derivative of the gradient is still exact.
import type { FusedKernels, FusedSaved, LSTMCellSpec } from '../backends/backend.js';
import { BackendError, DTypeError, fmt, GradError, ShapeError, ValueError } from '../errors.js';
import { isGradEnabled, record, vjp } from '../tape.js';
import { emptyTensor, type Tensor } from '../tensor.js';
import { backendOf } from './util.js';

export type { FusedKernels, GRUGradBufs, LSTMCellSpec, LSTMGradBufs, SequenceDims } from '../backends/backend.js';

/** Inputs of {@link lstmSequence}. */
export interface LSTMSequenceInputs {
  /** Input projection of every step, `[T, B, G·H]` (x·W_ihᵀ + b_ih). */
  xw: Tensor;
  /** `[G·H, H]`. */
  whh: Tensor;
  /** `[G·H]`, optional. */
  bhh?: Tensor | undefined;
  /** `[B, H]`. */
  h0: Tensor;
  /** `[B, H]`. */
  c0: Tensor;
  /** Peephole weights `[P, H]` (rows as in `cell.peepI/peepF/peepO`), optional. */
  peep?: Tensor | undefined;
}

/** Inputs of {@link gruSequence}. */
export interface GRUSequenceInputs {
  /** `[T, B, 3·H]` (x·W_ihᵀ + b_ih, gate order r, z, n). */
  xw: Tensor;
  whh: Tensor;
  bhh?: Tensor | undefined;
  h0: Tensor;
}

/** Options of the fused sequence ops. */
export interface FusedSequenceOptions<I> {
  /**
   * The same computation in differentiable Tensor ops, returning the same tensor. Used for
   * higher-order gradients (the kernel's backward is not itself differentiable); without it,
   * differentiating the gradient throws a GradError.
   */
  composite?: (inputs: I) => Tensor;
}

/**
 * True when the backend `like` lives on offers the fused kernel `kind` for its dtype (float32 or
 * float64): callers then use {@link lstmSequence}/{@link gruSequence}, else their composite.
 */
export function hasFusedKernel(kind: 'lstm' | 'gru', like: Tensor): boolean {
  const f = like.storage.backend.fused;
  if (!f || (like.dtype !== 'float32' && like.dtype !== 'float64')) return false;
  return kind === 'lstm' ? Boolean(f.lstmForward && f.lstmBackward) : Boolean(f.gruForward && f.gruBackward);
}

function kernels(op: string, t: Tensor): FusedKernels {
  const f = t.storage.backend.fused;
  if (!f?.lstmForward || !f.lstmBackward || !f.gruForward || !f.gruBackward)
    throw new BackendError(`backend '${t.storage.backend.name}' has no fused recurrent kernels; use the composite cell`, op);
  return f as FusedKernels;
}

function checkShape(op: string, name: string, t: Tensor, expected: number[], dtype: string): void {
  if (t.rank !== expected.length || t.shape.some((d, i) => d !== expected[i]))
    throw new ShapeError(`${name} has shape ${fmt(t.shape)}, expected ${fmt(expected)}`, op);
  if (t.dtype !== dtype) throw new DTypeError(`${name} is ${t.dtype}, expected ${dtype}`, op);
}

/** Number of gates of a cell spec. */
function gateCount(cell: LSTMCellSpec): number {
  return (cell.i >= 0 ? 1 : 0) + (cell.f >= 0 ? 1 : 0) + 1 + (cell.o >= 0 ? 1 : 0);
}

/** The rule shared by both ops: the kernel's BPTT at first order, the composite's gradient when recorded. */
function fusedRule<I>(
  op: string,
  list: Tensor[],
  rebuild: (args: readonly Tensor[]) => I,
  composite: ((inputs: I) => Tensor) | undefined,
  firstOrder: (g: Tensor) => Tensor[],
): (g: Tensor) => (Tensor | null)[] {
  return (g) => {
    // grad mode is on inside a rule only when the gradient is itself being recorded (createGraph)
    if (isGradEnabled()) {
      if (!composite) throw new GradError('the fused kernel is differentiable once; pass `composite` to differentiate its gradient', op);
      const [, back] = vjp((...args: Tensor[]) => composite(rebuild(args)), ...list);
      return back(g);
    }
    return firstOrder(g);
  };
}

/**
 * A whole LSTM sequence in one op (a backend's fused kernel): returns `[T + 1, B, H]`, the hidden
 * state of every step followed by the final cell state. One node on the tape; its rule runs BPTT
 * over the gates the forward kept and returns the gradients of xw, W_hh, b_hh, h0, c0 and the
 * peepholes.
 *
 * @example
 * const [T, B, H] = [5, 2, 3];
 * const [xw, whh, bhh, h0, c0] = [randn([T, B, 4 * H]), randn([4 * H, H]), zeros([4 * H]), zeros([B, H]), zeros([B, H])];
 * const out = lstmSequence({ xw, whh, bhh, h0, c0 }, { i: 0, f: 1, g: 2, o: 3, peepI: -1, peepF: -1, peepO: -1,
 *   coupled: false, identityG: false, identityH: false });
 * const hs = out.slice([[0, T]]); const cT = out.slice([T]);
 */
export function lstmSequence(inputs: LSTMSequenceInputs, cell: LSTMCellSpec, opts: FusedSequenceOptions<LSTMSequenceInputs> = {}): Tensor {
  const op = 'lstmSequence';
  const { xw, whh, bhh, h0, c0, peep } = inputs;
  const K = kernels(op, xw);
  const backend = backendOf(op, ...[xw, whh, h0, c0, ...(bhh ? [bhh] : []), ...(peep ? [peep] : [])]);
  if (xw.rank !== 3) throw new ShapeError(`xw must be [T, B, G·H], got ${fmt(xw.shape)}`, op);
  const [T, B, GH] = xw.shape as [number, number, number];
  const G = gateCount(cell);
  const H = GH / G;
  if (!Number.isInteger(H)) throw new ShapeError(`xw's last axis ${GH} is not ${G}·H for a cell with ${G} gates`, op);
  const dtype = xw.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`expected float32 or float64, got ${dtype}`, op);
  checkShape(op, 'whh', whh, [GH, H], dtype);
  if (bhh) checkShape(op, 'bhh', bhh, [GH], dtype);
  checkShape(op, 'h0', h0, [B, H], dtype);
  checkShape(op, 'c0', c0, [B, H], dtype);
  const P = (cell.peepI >= 0 ? 1 : 0) + (cell.peepF >= 0 ? 1 : 0) + (cell.peepO >= 0 ? 1 : 0);
  if (P > 0 && !peep) throw new ValueError('the cell has peepholes but no peep weights were given', op);
  if (peep) checkShape(op, 'peep', peep, [P, H], dtype);
  const out = emptyTensor([T + 1, B, H], dtype, backend);
  const saved: FusedSaved = K.lstmForward(
    xw.buf(op),
    whh.buf(op),
    bhh ? bhh.buf(op) : null,
    h0.buf(op),
    c0.buf(op),
    peep ? peep.buf(op) : null,
    out.buf(op),
    dtype,
    { T, B, H },
    cell,
  );
  const list = [xw, whh, h0, c0, ...(bhh ? [bhh] : []), ...(peep ? [peep] : [])];
  const rebuild = (a: readonly Tensor[]): LSTMSequenceInputs => {
    let k = 4;
    return { xw: a[0]!, whh: a[1]!, h0: a[2]!, c0: a[3]!, bhh: bhh ? a[k++] : undefined, peep: peep ? a[k++] : undefined };
  };
  const rule = fusedRule(op, list, rebuild, opts.composite, (g) => {
    const dxw = emptyTensor([T, B, GH], dtype, backend);
    const dwhh = emptyTensor([GH, H], dtype, backend);
    const dh0 = emptyTensor([B, H], dtype, backend);
    const dc0 = emptyTensor([B, H], dtype, backend);
    const dbhh = bhh ? emptyTensor([GH], dtype, backend) : undefined;
    const dpeep = peep ? emptyTensor([P, H], dtype, backend) : undefined;
    K.lstmBackward(saved, g.buf(op), {
      xw: dxw.buf(op),
      whh: dwhh.buf(op),
      bhh: dbhh ? dbhh.buf(op) : null,
      h0: dh0.buf(op),
      c0: dc0.buf(op),
      peep: dpeep ? dpeep.buf(op) : null,
    });
    return [dxw, dwhh, dh0, dc0, ...(dbhh ? [dbhh] : []), ...(dpeep ? [dpeep] : [])];
  });
  return record(op, out, list, rule);
}

/**
 * A whole GRU sequence in one op (PyTorch's cell, reset after the recurrent matmul): returns the
 * hidden state of every step, `[T, B, H]`. One node on the tape; its rule runs BPTT and returns
 * the gradients of xw, W_hh, b_hh and h0.
 */
export function gruSequence(inputs: GRUSequenceInputs, opts: FusedSequenceOptions<GRUSequenceInputs> = {}): Tensor {
  const op = 'gruSequence';
  const { xw, whh, bhh, h0 } = inputs;
  const K = kernels(op, xw);
  const backend = backendOf(op, ...[xw, whh, h0, ...(bhh ? [bhh] : [])]);
  if (xw.rank !== 3) throw new ShapeError(`xw must be [T, B, 3·H], got ${fmt(xw.shape)}`, op);
  const [T, B, GH] = xw.shape as [number, number, number];
  const H = GH / 3;
  if (!Number.isInteger(H)) throw new ShapeError(`xw's last axis ${GH} is not 3·H`, op);
  const dtype = xw.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`expected float32 or float64, got ${dtype}`, op);
  checkShape(op, 'whh', whh, [GH, H], dtype);
  if (bhh) checkShape(op, 'bhh', bhh, [GH], dtype);
  checkShape(op, 'h0', h0, [B, H], dtype);
  const out = emptyTensor([T, B, H], dtype, backend);
  const saved = K.gruForward(xw.buf(op), whh.buf(op), bhh ? bhh.buf(op) : null, h0.buf(op), out.buf(op), dtype, { T, B, H });
  const list = [xw, whh, h0, ...(bhh ? [bhh] : [])];
  const rebuild = (a: readonly Tensor[]): GRUSequenceInputs => ({ xw: a[0]!, whh: a[1]!, h0: a[2]!, bhh: bhh ? a[3] : undefined });
  const rule = fusedRule(op, list, rebuild, opts.composite, (g) => {
    const dxw = emptyTensor([T, B, GH], dtype, backend);
    const dwhh = emptyTensor([GH, H], dtype, backend);
    const dh0 = emptyTensor([B, H], dtype, backend);
    const dbhh = bhh ? emptyTensor([GH], dtype, backend) : undefined;
    K.gruBackward(saved, g.buf(op), { xw: dxw.buf(op), whh: dwhh.buf(op), bhh: dbhh ? dbhh.buf(op) : null, h0: dh0.buf(op) });
    return [dxw, dwhh, dh0, ...(dbhh ? [dbhh] : [])];
  });
  return record(op, out, list, rule);
}
