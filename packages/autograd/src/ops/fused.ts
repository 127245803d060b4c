// Whole-sequence recurrent ops backed by a backend's optional fused kernels (`Backend.fused`). Each
// is ONE node on the tape whose rule runs the kernel's BPTT; the caller keeps its composite cell
// for backends without the kernel and passes it here as `composite`, which also serves
// higher-order gradients: when the rule itself must be recorded (createGraph, grad of grad), it
// differentiates the composite instead, so the derivative of the gradient is still exact.
import type { FusedKernels, FusedSaved, LSTMCellSpec } from '../backends/backend.js';
import { BackendError, checkFunction, checkOptions, DTypeError, describeValue, fmt, GradError, ShapeError, ValueError } from '../errors.js';
import { tidy } from '../memory.js';
import { isGradEnabled, noGrad, record, vjp, willRecord } from '../tape.js';
import { emptyTensor, isTensor, type Tensor } from '../tensor.js';
import { ones } from './creation.js';
import { backendOf, checkTensor } from './util.js';

export type { FusedKernels, GRUGradBufs, LSTMCellSpec, LSTMGradBufs, SequenceDims } from '../backends/backend.js';

/** Inputs of {@link lstmSequence}, with the input projection of every step given as `xw`. */
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

/**
 * The layer's input and its weights instead of `xw`: the op projects `x` itself, so the whole
 * layer is one node on the tape, and its backward computes the projection's gradients directly
 * (x's only when x requires grad).
 */
export interface InputProjection {
  /** `[T, B, I]`. */
  x: Tensor;
  /** `[G·H, I]`. */
  wih: Tensor;
  /** `[G·H]`, optional. */
  bih?: Tensor | undefined;
}

/** Inputs of {@link lstmSequence} with the projection done inside the op. */
export type LSTMLayerInputs = Omit<LSTMSequenceInputs, 'xw'> & InputProjection;

/** Inputs of {@link gruSequence} (`xw` `[T, B, 3·H]`, gate order r, z, n). */
export interface GRUSequenceInputs {
  xw: Tensor;
  whh: Tensor;
  bhh?: Tensor | undefined;
  h0: Tensor;
}

/** Inputs of {@link gruSequence} with the projection done inside the op. */
export type GRULayerInputs = Omit<GRUSequenceInputs, 'xw'> & InputProjection;

/** Either form of the input side, as the op layer reads it (exactly one form must be given). */
interface AnyProjection {
  xw?: Tensor | undefined;
  x?: Tensor | undefined;
  wih?: Tensor | undefined;
  bih?: Tensor | undefined;
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
  if (kind !== 'lstm' && kind !== 'gru') throw new ValueError(`kind must be 'lstm' or 'gru', got ${describeValue(kind)}`, 'hasFusedKernel');
  checkTensor(like, 'hasFusedKernel', 'like');
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

function checkFloat(op: string, name: string, t: Tensor): 'float32' | 'float64' {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`${name} is ${t.dtype}, expected float32 or float64`, op);
  return t.dtype;
}

/**
 * Checks the inputs object: `required` fields are Tensors, `optional` ones Tensors or absent (the
 * projection's alternatives, xw or x and W_ih, are checked by {@link project}).
 */
function checkInputs(op: string, inputs: unknown, required: string[], optional: string[]): void {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs) || isTensor(inputs))
    throw new ValueError(`inputs must be an object of Tensors { ${required.join(', ')}, … }, got ${describeValue(inputs)}`, op);
  const fields = inputs as Record<string, unknown>;
  for (const name of required) checkTensor(fields[name], op, `inputs.${name}`);
  for (const name of optional) if (fields[name] !== undefined) checkTensor(fields[name], op, `inputs.${name}`);
}

/** Checks the options object: a plain one, whose `composite` is a function when given. */
function checkSequenceOptions(op: string, opts: unknown): void {
  checkOptions(opts, op, '{ composite? }');
  if (opts.composite !== undefined) checkFunction(opts.composite, op, 'options.composite');
}

/**
 * Checks a cell spec: the present gates' column blocks are 0…G−1 in some order (each once), the
 * peephole rows likewise 0…P−1 and on present gates, the flags booleans, and a coupled cell has no
 * forget gate of its own — specs the kernels would otherwise read silently wrong.
 */
function checkCell(op: string, cell: unknown): asserts cell is LSTMCellSpec {
  const fields = '{ i, f, g, o, peepI, peepF, peepO, coupled, identityG, identityH }';
  if (typeof cell !== 'object' || cell === null)
    throw new ValueError(`cell must be an LSTMCellSpec ${fields}, got ${describeValue(cell)}`, op);
  const c = cell as Record<string, unknown>;
  const blocks = (names: string[], what: string) => {
    const used: number[] = [];
    for (const k of names) {
      const v = c[k];
      if (!Number.isInteger(v) || (v as number) < -1)
        throw new ValueError(`cell.${k} must be ${what} (an integer ≥ 0) or −1 when absent, got ${describeValue(v)}`, op);
      if ((v as number) >= 0) used.push(v as number);
    }
    const sorted = [...used].sort((a, b) => a - b);
    if (sorted.some((v, i) => v !== i))
      throw new ValueError(
        `cell's ${what}s must be 0…${used.length - 1}, each once; got ${names.map((k) => `${k} ${c[k]}`).join(', ')}`,
        op,
      );
  };
  blocks(['i', 'f', 'g', 'o'], "the gate's column block");
  if (c.g === -1) throw new ValueError('cell.g must be a column block: every cell has its input activation g', op);
  blocks(['peepI', 'peepF', 'peepO'], "the peephole's row");
  for (const k of ['coupled', 'identityG', 'identityH'])
    if (typeof c[k] !== 'boolean') throw new ValueError(`cell.${k} must be a boolean, got ${describeValue(c[k])}`, op);
  if (c.coupled && c.f !== -1) throw new ValueError('a coupled cell (f = 1 − i) has no forget gate of its own: set f to −1', op);
  if ((c.peepI !== -1 && c.i === -1) || (c.peepF !== -1 && c.f === -1) || (c.peepO !== -1 && c.o === -1))
    throw new ValueError('cell has a peephole on a gate it does not have', op);
}

/** Number of gates of a cell spec. */
function gateCount(cell: LSTMCellSpec): number {
  return (cell.i >= 0 ? 1 : 0) + (cell.f >= 0 ? 1 : 0) + 1 + (cell.o >= 0 ? 1 : 0);
}

/** A validated input side: the `[T, B, G·H]` input of the kernel and the projection's part of the tape node. */
interface Projection {
  T: number;
  B: number;
  GH: number;
  dtype: 'float32' | 'float64';
  /** The kernel's input (made here from x and W_ih, or as given). */
  xw: Tensor;
  /** The node's inputs from the projection, by name. */
  named: [string, Tensor][];
  /** Their gradients from the gradient of xw and (when there is a bias) of the pre-activation's bias. */
  grads(dxw: Tensor, dBias: Tensor | undefined): (Tensor | null)[];
}

/**
 * Validates the projection inputs; with `x` and `wih`, computes xw = x·W_ihᵀ + b_ih (untracked),
 * or only x·W_ihᵀ with `foldBias`, when the caller adds b_ih to the kernel's own bias instead (the
 * LSTM: both biases add to the same pre-activation, so T·B rows need no bias pass).
 */
function project(op: string, p: AnyProjection, G: number, foldBias = false): Projection {
  const { xw, x, wih, bih } = p;
  if (xw) {
    if (x || wih || bih) throw new ValueError('give either xw or x and wih (and bih), not both', op);
    if (xw.rank !== 3) throw new ShapeError(`xw must be [T, B, ${G}·H], got ${fmt(xw.shape)}`, op);
    const [T, B, GH] = xw.shape as [number, number, number];
    return { T, B, GH, dtype: checkFloat(op, 'xw', xw), xw, named: [['xw', xw]], grads: (dxw) => [dxw] };
  }
  if (!x || !wih) throw new ValueError(`give xw, or x and wih (got ${x ? 'x' : 'no x'} and ${wih ? 'wih' : 'no wih'})`, op);
  if (x.rank !== 3) throw new ShapeError(`x must be [T, B, I], got ${fmt(x.shape)}`, op);
  const [T, B, I] = x.shape as [number, number, number];
  const dtype = checkFloat(op, 'x', x);
  if (wih.rank !== 2) throw new ShapeError(`wih must be [${G}·H, ${I}], got ${fmt(wih.shape)}`, op);
  const GH = wih.shape[0]!;
  checkShape(op, 'wih', wih, [GH, I], dtype);
  if (bih) checkShape(op, 'bih', bih, [GH], dtype);
  const projected = noGrad(() =>
    tidy(() => {
      const m = x.reshape([T * B, I]).matmul(wih.transpose());
      return (bih && !foldBias ? m.add(bih) : m).reshape([T, B, GH]);
    }),
  );
  const named: [string, Tensor][] = [
    ['x', x],
    ['wih', wih],
  ];
  if (bih) named.push(['bih', bih]);
  return {
    T,
    B,
    GH,
    dtype,
    xw: projected,
    named,
    grads: (dxw, dBias) => {
      const d = dxw.reshape([T * B, GH]);
      const dx = x.requiresGrad ? d.matmul(wih).reshape([T, B, I]) : null;
      // (xᵀ·dxw)ᵀ: transposes of x and of the small result, not of dxw
      const dwih = x
        .reshape([T * B, I])
        .transpose()
        .matmul(d)
        .transpose();
      if (!bih) return [dx, dwih];
      // b_ih adds to the same pre-activation as b_hh: the kernel's bias gradient is its gradient
      // too; else (the GRU) it is the column sums of dxw, taken as a product with a row of ones
      // (d.sum(0) would first copy the [T·B, G·H] gradient into [G·H, T·B] order: 7% of a W4 step)
      if (dBias) return [dx, dwih, dBias.clone()];
      const row = ones([1, T * B], { dtype }) as Tensor;
      return [dx, dwih, row.matmul(d).reshape([GH])];
    },
  };
}

/** The rule shared by both ops: the kernel's BPTT at first order, the composite's gradient when recorded. */
function fusedRule<I>(
  op: string,
  named: [string, Tensor][],
  composite: ((inputs: I) => Tensor) | undefined,
  firstOrder: (g: Tensor) => (Tensor | null)[],
): (g: Tensor) => (Tensor | null)[] {
  return (g) => {
    // grad mode is on inside a rule only when the gradient is itself being recorded (createGraph)
    if (isGradEnabled()) {
      if (!composite) throw new GradError('the fused kernel is differentiable once; pass `composite` to differentiate its gradient', op);
      const rebuild = (args: readonly Tensor[]) => Object.fromEntries(named.map(([name], i) => [name, args[i]])) as I;
      const [, back] = vjp((...args: Tensor[]) => composite(rebuild(args)), ...named.map(([, t]) => t));
      return back(g);
    }
    return firstOrder(g);
  };
}

/**
 * A whole LSTM sequence in one op (a backend's fused kernel): returns `[T + 1, B, H]`, the hidden
 * state of every step followed by the final cell state. One node on the tape; its rule runs BPTT
 * over the gates the forward kept and returns the gradients of every input: xw (or x, W_ih,
 * b_ih), W_hh, b_hh, h0, c0 and the peepholes.
 *
 * @throws {BackendError} when the backend has no fused kernels (check {@link hasFusedKernel}).
 * @throws {ShapeError} / {DTypeError} / {ValueError} for inputs that do not fit together, naming them.
 * @throws {ValueError} for an input that is not a Tensor, or a cell spec whose gate blocks or
 *   peephole rows are not 0…G−1 and 0…P−1 (each once), or whose flags contradict its gates.
 * @example
 * const [T, B, I, H] = [5, 2, 3, 4];
 * const cell = { i: 0, f: 1, g: 2, o: 3, peepI: -1, peepF: -1, peepO: -1, coupled: false, identityG: false, identityH: false };
 * const [whh, h0, c0] = [randn([4 * H, H]), zeros([B, H]), zeros([B, H])];
 * // from the input projection of every step …
 * const out = lstmSequence({ xw: randn([T, B, 4 * H]), whh, h0, c0 }, cell);
 * // … or from the inputs and W_ih, the whole layer as one node
 * const out2 = lstmSequence({ x: randn([T, B, I]), wih: randn([4 * H, I]), bih: zeros([4 * H]), whh, bhh: zeros([4 * H]), h0, c0 }, cell);
 * const hs = out2.slice([[0, T]]); const cT = out2.slice([T]);
 */
export function lstmSequence<I extends LSTMSequenceInputs | LSTMLayerInputs>(
  inputs: I,
  cell: LSTMCellSpec,
  opts: FusedSequenceOptions<I> = {},
): Tensor {
  const op = 'lstmSequence';
  checkInputs(op, inputs, ['whh', 'h0', 'c0'], ['xw', 'x', 'wih', 'bih', 'bhh', 'peep']);
  checkCell(op, cell);
  checkSequenceOptions(op, opts);
  const { whh, bhh, h0, c0, peep } = inputs;
  const given: AnyProjection = inputs;
  const first = given.xw ?? given.x;
  if (!first) throw new ValueError('give xw, or x and wih', op);
  const K = kernels(op, first);
  const ins = [first, whh, h0, c0, given.wih, given.bih, bhh, peep].filter((t): t is Tensor => t !== undefined);
  const backend = backendOf(op, ...ins);
  const G = gateCount(cell);
  const proj = project(op, given, G, true);
  const { T, B, GH, dtype } = proj;
  const H = GH / G;
  if (!Number.isInteger(H)) throw new ShapeError(`the projection's ${GH} columns are not ${G}·H for a cell with ${G} gates`, op);
  checkShape(op, 'whh', whh, [GH, H], dtype);
  if (bhh) checkShape(op, 'bhh', bhh, [GH], dtype);
  checkShape(op, 'h0', h0, [B, H], dtype);
  checkShape(op, 'c0', c0, [B, H], dtype);
  const P = (cell.peepI >= 0 ? 1 : 0) + (cell.peepF >= 0 ? 1 : 0) + (cell.peepO >= 0 ? 1 : 0);
  if (P > 0 && !peep) throw new ValueError('the cell has peepholes but no peep weights were given', op);
  if (peep) checkShape(op, 'peep', peep, [P, H], dtype);
  const out = emptyTensor([T + 1, B, H], dtype, backend);
  // b_ih (when projected here) joins b_hh in the kernel's bias
  const bih = given.x ? given.bih : undefined;
  const bias = bih ? (bhh ? noGrad(() => bhh.add(bih)) : bih) : bhh;
  const named: [string, Tensor][] = [...proj.named, ['whh', whh], ['h0', h0], ['c0', c0]];
  if (bhh) named.push(['bhh', bhh]);
  if (peep) named.push(['peep', peep]);
  const saved: FusedSaved = K.lstmForward(
    proj.xw.buf(op),
    whh.buf(op),
    bias ? bias.buf(op) : null,
    h0.buf(op),
    c0.buf(op),
    peep ? peep.buf(op) : null,
    out.buf(op),
    dtype,
    { T, B, H },
    cell,
    willRecord(named.map(([, t]) => t)),
  );
  const hasBias = Boolean(bhh || given.bih);
  const rule = fusedRule(op, named, opts.composite, (g) => {
    const dxw = emptyTensor([T, B, GH], dtype, backend);
    const dwhh = emptyTensor([GH, H], dtype, backend);
    const dh0 = emptyTensor([B, H], dtype, backend);
    const dc0 = emptyTensor([B, H], dtype, backend);
    const dBias = hasBias ? emptyTensor([GH], dtype, backend) : undefined;
    const dpeep = peep ? emptyTensor([P, H], dtype, backend) : undefined;
    K.lstmBackward(saved, g.buf(op), {
      xw: dxw.buf(op),
      whh: dwhh.buf(op),
      bhh: dBias ? dBias.buf(op) : null,
      h0: dh0.buf(op),
      c0: dc0.buf(op),
      peep: dpeep ? dpeep.buf(op) : null,
    });
    return [...proj.grads(dxw, dBias), dwhh, dh0, dc0, ...(bhh ? [dBias!] : []), ...(dpeep ? [dpeep] : [])];
  });
  return record(
    op,
    out,
    named.map(([, t]) => t),
    rule,
  );
}

/**
 * A whole GRU sequence in one op (PyTorch's cell, reset after the recurrent matmul): returns the
 * hidden state of every step, `[T, B, H]`. One node on the tape; its rule runs BPTT and returns
 * the gradients of xw (or x, W_ih, b_ih), W_hh, b_hh and h0.
 *
 * @throws {BackendError} when the backend has no fused kernels (check {@link hasFusedKernel}).
 * @throws {ShapeError} / {DTypeError} / {ValueError} for inputs that do not fit together, naming them.
 * @example
 * const [T, B, I, H] = [5, 2, 3, 4];
 * const hs = gruSequence({ x: randn([T, B, I]), wih: randn([3 * H, I]), whh: randn([3 * H, H]), h0: zeros([B, H]) });
 */
export function gruSequence<I extends GRUSequenceInputs | GRULayerInputs>(inputs: I, opts: FusedSequenceOptions<I> = {}): Tensor {
  const op = 'gruSequence';
  checkInputs(op, inputs, ['whh', 'h0'], ['xw', 'x', 'wih', 'bih', 'bhh']);
  checkSequenceOptions(op, opts);
  const { whh, bhh, h0 } = inputs;
  const given: AnyProjection = inputs;
  const first = given.xw ?? given.x;
  if (!first) throw new ValueError('give xw, or x and wih', op);
  const K = kernels(op, first);
  const ins = [first, whh, h0, given.wih, given.bih, bhh].filter((t): t is Tensor => t !== undefined);
  const backend = backendOf(op, ...ins);
  const proj = project(op, given, 3);
  const { T, B, GH, dtype } = proj;
  const H = GH / 3;
  if (!Number.isInteger(H)) throw new ShapeError(`the projection's ${GH} columns are not 3·H`, op);
  checkShape(op, 'whh', whh, [GH, H], dtype);
  if (bhh) checkShape(op, 'bhh', bhh, [GH], dtype);
  checkShape(op, 'h0', h0, [B, H], dtype);
  const out = emptyTensor([T, B, H], dtype, backend);
  const named: [string, Tensor][] = [...proj.named, ['whh', whh], ['h0', h0]];
  if (bhh) named.push(['bhh', bhh]);
  const keep = willRecord(named.map(([, t]) => t));
  const saved = K.gruForward(proj.xw.buf(op), whh.buf(op), bhh ? bhh.buf(op) : null, h0.buf(op), out.buf(op), dtype, { T, B, H }, keep);
  const rule = fusedRule(op, named, opts.composite, (g) => {
    const dxw = emptyTensor([T, B, GH], dtype, backend);
    const dwhh = emptyTensor([GH, H], dtype, backend);
    const dh0 = emptyTensor([B, H], dtype, backend);
    const dbhh = bhh ? emptyTensor([GH], dtype, backend) : undefined;
    K.gruBackward(saved, g.buf(op), { xw: dxw.buf(op), whh: dwhh.buf(op), bhh: dbhh ? dbhh.buf(op) : null, h0: dh0.buf(op) });
    // GRU's b_ih and b_hh differ in the n gate (r multiplies b_hn), so b_ih's gradient is xw's column sum
    return [...proj.grads(dxw, undefined), dwhh, dh0, ...(dbhh ? [dbhh] : [])];
  });
  return record(
    op,
    out,
    named.map(([, t]) => t),
    rule,
  );
}
