import {
  bernoulli,
  checkTensor,
  concat,
  formatShape as fmt,
  type InputProjection,
  noGrad,
  ShapeError,
  stack,
  type Tensor,
  ValueError,
  zeros,
} from '@carousel/autograd';
import { Module } from '../module.js';
import { checkPositiveInt, checkProbability } from '../validate.js';

/** The recurrent state: `h` for every layer type, plus the cell state `c` for LSTMs. */
export interface RecurrentState {
  /** Hidden state, `[numLayers·numDirections, batch, hiddenOut]`. */
  h: Tensor;
  /** Cell state (LSTMs), `[numLayers·numDirections, batch, hiddenSize]`. */
  c?: Tensor;
}

/** What a sequence layer's `forward` returns. */
export interface SequenceOutput<S extends RecurrentState = RecurrentState> {
  /** Top layer's hidden state at every step: `[T, B, D·hiddenOut]` (`[B, T, …]` with batchFirst). */
  output: Tensor;
  /** Final state of every layer and direction. */
  state: S;
}

/** Options shared by RNN, LSTM and GRU (PyTorch names). */
export interface SequenceOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are `[batch, time, features]` instead of `[time, batch, features]`. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last (training mode only). */
  dropout?: number;
  bidirectional?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** One direction of one layer: runs a whole `[T, B, I]` sequence from an initial state. */
export type DirectionRunner = (x: Tensor, h0: Tensor, c0: Tensor | undefined) => { output: Tensor; h: Tensor; c?: Tensor };

/**
 * @internal Checks a recurrent layer's input and returns it time-major `[T, B, I]`: `[T, B, I]`,
 * `[B, T, I]` with batchFirst, or unbatched `[T, I]` (then B = 1 and `unbatched`). The errors of
 * every sequence layer, so they read the same everywhere.
 */
export function timeMajor(
  x: Tensor,
  layer: { readonly inputSize: number; readonly batchFirst: boolean; readonly dtype: string },
  op: string,
): { seq: Tensor; unbatched: boolean; T: number; B: number } {
  checkTensor(x, op, 'input');
  if (x.rank !== 2 && x.rank !== 3)
    throw new ShapeError(
      `input must be [T, B, ${layer.inputSize}]${layer.batchFirst ? ' (batchFirst: [B, T, …])' : ''} or unbatched [T, ${layer.inputSize}], got ${fmt(x.shape)}`,
      op,
    );
  if (x.dtype !== layer.dtype) throw new ValueError(`input is ${x.dtype}, the layer's parameters are ${layer.dtype}; cast the input`, op);
  const unbatched = x.rank === 2;
  const seq = unbatched ? x.unsqueeze(1) : layer.batchFirst ? x.transpose(0, 1) : x;
  const [T, B, I] = seq.shape as [number, number, number];
  if (I !== layer.inputSize)
    throw new ShapeError(`input feature size is ${I}, expected inputSize ${layer.inputSize} (input shape ${fmt(x.shape)})`, op);
  if (T === 0) throw new ShapeError(`input has no time steps (shape ${fmt(x.shape)})`, op);
  return { seq, unbatched, T, B };
}

/**
 * The machinery every stacked recurrent layer shares: input validation, batchFirst, unbatched
 * input, stacking, bidirectional passes, inter-layer dropout and the state layout. Subclasses
 * provide one {@link DirectionRunner} per layer and direction.
 *
 * @example
 * const layer: SequenceLayer<{ h: Tensor }> = new GRU(4, 8, { numLayers: 2, bidirectional: true });
 * layer.forward(randn([10, 3, 4])).state.h.shape; // [4, 3, 8]
 */
export abstract class SequenceLayer<S extends RecurrentState> extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly dtype: 'float32' | 'float64';

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: SequenceOptions,
    protected readonly layerName: string,
  ) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    this.dtype = opts.dtype ?? 'float32';
    checkPositiveInt(layerName, { inputSize, hiddenSize, numLayers: this.numLayers });
    checkProbability(layerName, 'dropout', this.dropout);
  }

  /** Number of directions (2 when bidirectional). */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }
  /** Size of `h` (hiddenSize, or projSize for projected LSTMs). */
  get outputSize(): number {
    return this.hiddenSize;
  }
  /** Whether the state carries a cell state `c`. */
  protected abstract readonly hasCell: boolean;
  /** The runner of layer `layer`, direction `direction` (0 forward, 1 reverse). */
  protected abstract runner(layer: number, direction: number): DirectionRunner;

  /** Parameter name suffix of PyTorch: `_l{k}` and `_reverse` for the second direction. */
  protected suffix(layer: number, direction: number): string {
    return `_l${layer}${direction === 1 ? '_reverse' : ''}`;
  }

  /**
   * Runs the sequence. `x` is `[T, B, I]` (`[B, T, I]` with batchFirst, or unbatched `[T, I]`);
   * `state` defaults to zeros.
   */
  forward(x: Tensor, state?: Partial<S>): SequenceOutput<S> {
    const op = `${this.layerName}.forward`;
    let { seq, unbatched, B } = timeMajor(x, this, op);
    const L = this.numLayers;
    const D = this.numDirections;
    const h0 = this.initialState(state?.h, [L * D, B, this.outputSize], 'h', unbatched, op);
    const c0 = this.hasCell ? this.initialState(state?.c, [L * D, B, this.hiddenSize], 'c', unbatched, op) : undefined;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let layer = 0; layer < L; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = layer * D + d;
        const input = d === 1 ? seq.flip(0) : seq;
        const r = this.runner(layer, d)(input, h0(k), c0?.(k));
        outs.push(d === 1 ? r.output.flip(0) : r.output);
        hs.push(r.h);
        if (r.c) cs.push(r.c);
      }
      seq = D === 1 ? outs[0]! : concat(outs, 2);
      if (layer < L - 1 && this.dropout > 0 && this.training) seq = dropoutMask(seq, this.dropout);
    }
    let output = this.batchFirst && !unbatched ? seq.transpose(0, 1) : seq;
    let h = stackStates(hs);
    let c = this.hasCell ? stackStates(cs) : undefined;
    if (unbatched) {
      output = output.squeeze(1);
      h = h.squeeze(1);
      c = c?.squeeze(1);
    }
    return { output, state: (c ? { h, c } : { h }) as S };
  }

  #checkState(t: Tensor, expected: number[], name: string, op: string): Tensor {
    if (t.rank !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new ShapeError(
        `initial state ${name} has shape ${fmt(t.shape)}, expected ${fmt(expected)} ([numLayers·numDirections, batch, size])`,
        op,
      );
    }
    if (t.dtype !== this.dtype) throw new ValueError(`initial state ${name} is ${t.dtype}, expected ${this.dtype}`, op);
    return t;
  }

  /** The initial state of layer·direction k, `[B, size]`: zeros, or a view/slice of the given state. */
  private initialState(given: Tensor | undefined, shape: number[], name: string, unbatched: boolean, op: string): (k: number) => Tensor {
    const [LD, B, size] = shape as [number, number, number];
    if (!given) return () => zeros([B, size], { dtype: this.dtype });
    const state = unbatched ? this.#checkState(given, [LD, size], name, op).unsqueeze(1) : this.#checkState(given, shape, name, op);
    // one layer and direction: the whole state, as a view instead of a copy
    return LD === 1 ? () => state.reshape([B, size]) : (k) => state.slice([k]);
  }
}

/** The final states of every layer·direction, `[L·D, B, size]` (a view for a single one). */
function stackStates(states: Tensor[]): Tensor {
  return states.length === 1 ? states[0]!.unsqueeze(0) : stack(states);
}

/**
 * The input projection of every step at once — one `[T·B, I] · W_ihᵀ` GEMM instead of T small
 * ones — then `post` (bias, layer norm) and a split back into per-step `[B, G]` tensors.
 */
export function projectSteps(x: Tensor, wih: Tensor, post: (xw: Tensor) => Tensor = (xw) => xw): Tensor[] {
  const [T, B, I] = x.shape as [number, number, number];
  const xw = post(x.reshape([T * B, I]).matmul(wih.transpose()));
  return xw
    .reshape([T, B, -1])
    .split(1, 0)
    .map((step) => step.reshape([B, -1]));
}

/**
 * The `[T, B, G]` step inputs x·W_ihᵀ (+ b_ih) of an {@link InputProjection}, in differentiable
 * ops: what the composites behind the fused layer ops start from.
 *
 * @example
 * projectedInputs({ x: randn([5, 2, 3]), wih: randn([8, 3]) }).shape; // [5, 2, 8]
 */
export function projectedInputs({ x, wih, bih }: InputProjection): Tensor {
  const [T, B, I] = x.shape as [number, number, number];
  const xw = x.reshape([T * B, I]).matmul(wih.transpose());
  return (bih ? xw.add(bih) : xw).reshape([T, B, -1]);
}

/**
 * Inverted dropout: zero with probability p, scale survivors by 1/(1 − p).
 *
 * @example
 * dropoutMask(ones([1000]), 0.5).mean(); // ≈ 1
 */
export function dropoutMask(x: Tensor, p: number): Tensor {
  checkTensor(x, 'dropoutMask', 'x');
  const keep = noGrad(() =>
    bernoulli(1 - p, x.shape)
      .cast(x.dtype)
      .mul(1 / (1 - p)),
  );
  return x.mul(keep as Tensor<typeof x.dtype>);
}
