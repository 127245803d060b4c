import {
  checkTensor,
  concat,
  describeValue,
  formatShape as fmt,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@carousel/autograd';
import { uniform } from '../init.js';
import { Module, parameter } from '../module.js';
import { checkPositiveInt } from '../validate.js';

/**
 * The squashing functions of the 1997 paper and the usual alternatives. `'sigmoid2'` is
 * 4σ(x) − 2 ∈ [−2, 2] and `'sigmoid1'` is 2σ(x) − 1 ∈ [−1, 1]. `'paper'` is the appendix's choice
 * (eqs. 4–5): g = sigmoid2, h = sigmoid1. Table 10's caption names the opposite ranges (h in
 * [−2, 2], g in [−1, 1]); `docs/reproduction.md` reports how much that matters in Experiment 1.
 */
export type Squash = 'paper' | 'sigmoid1' | 'sigmoid2' | 'logistic' | 'tanh' | 'identity';

/** Which unit types carry a bias (Table 10 varies this per experiment). */
export interface Bias1997 {
  /** Memory cells' net input (default false). */
  cell?: boolean;
  /** Input and output gates (default true). */
  gate?: boolean;
  /** Output units (default false). */
  output?: boolean;
}

/** Options of {@link LSTM1997}. */
export interface LSTM1997Options {
  inputSize: number;
  outputSize: number;
  /** Number of memory-cell blocks C. */
  blocks: number;
  /** Cells per block S (they share the block's input and output gate). */
  cellsPerBlock: number;
  /** Cell input squash g: 'paper' is 'sigmoid2', 4σ(x) − 2 ∈ [−2, 2] (Exp. 2a/2b use 'logistic'). */
  g?: Squash;
  /** Cell output squash h: 'paper' is 'sigmoid1', 2σ(x) − 1 ∈ [−1, 1] (Exp. 2a/2b use 'identity'). */
  h?: Squash;
  /**
   * Connectivity (Table 10's "c"). 'F' (default): cells and gates see x(t) and every cell and
   * gate of t−1; output units see the cells only. 'B' (Exp. 2a/2b): cells and gates see only
   * x(t) (no recurrence besides the CEC), and output units see x(t) and the cells
   * (`weight_input_output`), e.g. 101·102 + 101 + 101 = 10504 weights in Exp. 2a.
   */
  connectivity?: 'F' | 'B';
  /** Whether each block has an output gate (default true). Without (Exp. 2a/2b): y^c = h(s). */
  outputGate?: boolean;
  /** Output units' activation (default logistic σ, as in the paper). */
  outputActivation?: 'logistic' | 'identity';
  /** Which units have biases, or `true`/`false` for all/none. */
  bias?: boolean | Bias1997;
  /** Weights are drawn from U(±initRange): 0.2 in Exp. 1–2, 0.1 elsewhere (default 0.1). */
  initRange?: number;
  /** Initial input-gate bias of each block (e.g. Exp. 4: [−3, −6]); a number applies to all. */
  inputGateBias?: number | readonly number[];
  /** Initial output-gate bias of each block (e.g. Exp. 1: [−1, −2, −3]). */
  outputGateBias?: number | readonly number[];
  /**
   * The paper's truncated gradient (default true): error does not flow back in time through
   * the recurrent inputs of cells and gates, only through the constant error carousel.
   */
  truncated?: boolean;
  dtype?: 'float32' | 'float64';
}

/** The state carried between steps: the cells' internal states and last step's hidden activations. */
export interface State1997 {
  /** Internal states s of all cells, `[B, C·S]`. */
  s: Tensor;
  /** Hidden activations of t−1: cell outputs, input gates, output gates — `[B, H]`, H = C·S + 2C (C·S + C without output gates). */
  r: Tensor;
}

/** Output of {@link LSTM1997.forward}. */
export interface Output1997 {
  /** Output units at every step, `[T, B, K]`. */
  output: Tensor;
  /** Cell outputs y^c at every step, `[T, B, C·S]`. */
  cells: Tensor;
  /** Final state. */
  state: State1997;
}

/** @internal The scalar squashes, shared by the Tensor forward and the RTRL trainer. */
export const squash = {
  sigmoid2: { f: (x: Tensor) => x.sigmoid().mul(4).sub(2), range: [-2, 2] },
  sigmoid1: { f: (x: Tensor) => x.sigmoid().mul(2).sub(1), range: [-1, 1] },
  logistic: { f: (x: Tensor) => x.sigmoid(), range: [0, 1] },
  tanh: { f: (x: Tensor) => x.tanh(), range: [-1, 1] },
  identity: { f: (x: Tensor) => x, range: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] },
};
/** @internal 'paper' is the appendix's g = 4σ − 2 and h = 2σ − 1. */
export const resolveSquash = (name: Squash, which: 'g' | 'h'): Exclude<Squash, 'paper'> =>
  name !== 'paper' ? name : which === 'g' ? 'sigmoid2' : 'sigmoid1';
const squashOf = (name: Squash, which: 'g' | 'h') => squash[resolveSquash(name, which)].f;
const SQUASHES: readonly Squash[] = ['paper', 'sigmoid1', 'sigmoid2', 'logistic', 'tanh', 'identity'];

const perBlock = (v: number | readonly number[] | undefined, C: number, name: string): number[] | undefined => {
  if (v === undefined) return undefined;
  const list = typeof v === 'number' ? Array(C).fill(v) : [...v];
  if (list.length !== C || list.some((b) => !Number.isFinite(b)))
    throw new ValueError(`${name} needs ${C} finite values (one per block), got ${JSON.stringify(v)}`, 'LSTM1997');
  return list;
};

/**
 * The original LSTM of Hochreiter & Schmidhuber (1997): C memory-cell blocks of S cells that
 * share an input gate and an output gate, no forget gate (the CEC's self-connection is fixed
 * at 1), cells and gates fed by x(t) and by all cells and gates of t−1, output units fed by
 * the cells of the same step. For cell $v$ of block $j$ and output unit $k$:
 *
 * $$
 * \begin{aligned}
 * u(t) &= [x(t),\ y^c(t-1),\ y^{\mathrm{in}}(t-1),\ y^{\mathrm{out}}(t-1)] && \text{(detached when truncated)} \\
 * y^{\mathrm{in}_j}(t) &= \sigma(W_{\mathrm{in}_j} u(t)) \qquad y^{\mathrm{out}_j}(t) = \sigma(W_{\mathrm{out}_j} u(t)) \\
 * s_{c_j^v}(t) &= s_{c_j^v}(t-1) + y^{\mathrm{in}_j}(t)\, g(W_{c_j^v} u(t)) && \text{(the constant error carousel)} \\
 * y^{c_j^v}(t) &= y^{\mathrm{out}_j}(t)\, h(s_{c_j^v}(t)) \\
 * y^k(t) &= \sigma(W_k\, y^c(t))
 * \end{aligned}
 * $$
 *
 * with, by default, the paper's squashes $g(z) = 4\sigma(z) - 2 \in [-2, 2]$ and
 * $h(z) = 2\sigma(z) - 1 \in [-1, 1]$. `numParameters()` reproduces the paper's
 * weight counts (264, 276, 102, 93, 156, 308 in Table 10). Train it by BPTT through
 * `forward` (with the truncation, the gradient equals the paper's) or with the paper's own
 * per-step truncated RTRL ({@link RTRL1997}).
 *
 * Parameters: `weight_cell [C·S, I+H]`, `weight_in_gate [C, I+H]`, `weight_out_gate [C, I+H]`,
 * `weight_output [K, C·S]`, and the enabled biases, with H = C·S + 2C. Connectivity 'B' drops
 * the H recurrent columns and adds `weight_input_output [K, I]`; `outputGate: false` drops
 * `weight_out_gate` (and H becomes C·S + C).
 *
 * @example
 * // Experiment 1's 3 blocks × 2 cells net: 276 weights
 * const net = new LSTM1997({ inputSize: 7, outputSize: 7, blocks: 3, cellsPerBlock: 2,
 *   bias: { gate: true }, initRange: 0.2, outputGateBias: [-1, -2, -3] });
 * net.numParameters(); // 276
 */
export class LSTM1997 extends Module {
  weight_cell: Tensor;
  bias_cell: Tensor | null;
  weight_in_gate: Tensor;
  bias_in_gate: Tensor | null;
  weight_out_gate: Tensor | null;
  bias_out_gate: Tensor | null;
  weight_output: Tensor;
  bias_output: Tensor | null;
  /** Input→output shortcut weights (connectivity 'B' only). */
  weight_input_output: Tensor | null;
  readonly config: Readonly<Required<Omit<LSTM1997Options, 'bias' | 'inputGateBias' | 'outputGateBias'>> & { bias: Required<Bias1997> }>;

  constructor(opts: LSTM1997Options) {
    super();
    if (typeof opts !== 'object' || opts === null)
      throw new ValueError(
        `expected an options object ({ inputSize, outputSize, blocks, cellsPerBlock, … }), got ${describeValue(opts)}`,
        'LSTM1997',
      );
    const { inputSize: I, outputSize: K, blocks: C, cellsPerBlock: S } = opts;
    checkPositiveInt('LSTM1997', { inputSize: I, outputSize: K, blocks: C, cellsPerBlock: S });
    for (const [name, v] of [
      ['g', opts.g],
      ['h', opts.h],
    ] as const) {
      if (v !== undefined && !SQUASHES.includes(v))
        throw new ValueError(`${name} must be one of ${SQUASHES.map((q) => `'${q}'`).join(', ')}, got '${v}'`, 'LSTM1997');
    }
    const connectivity = opts.connectivity ?? 'F';
    if (connectivity !== 'F' && connectivity !== 'B')
      throw new ValueError(`connectivity must be 'F' or 'B', got '${connectivity}'`, 'LSTM1997');
    const outputGate = opts.outputGate ?? true;
    const bias =
      typeof opts.bias === 'boolean'
        ? { cell: opts.bias, gate: opts.bias, output: opts.bias }
        : { cell: false, gate: true, output: false, ...opts.bias };
    const initRange = opts.initRange ?? 0.1;
    if (!(initRange >= 0)) throw new ValueError(`initRange must be ≥ 0, got ${initRange}`, 'LSTM1997');
    const dtype = opts.dtype ?? 'float32';
    this.config = {
      inputSize: I,
      outputSize: K,
      blocks: C,
      cellsPerBlock: S,
      g: opts.g ?? 'paper',
      h: opts.h ?? 'paper',
      connectivity,
      outputGate,
      outputActivation: opts.outputActivation ?? 'logistic',
      bias,
      initRange,
      truncated: opts.truncated ?? true,
      dtype,
    };
    const fanIn = I + (connectivity === 'F' ? this.hiddenUnits : 0);
    const init = uniform(initRange);
    const p = (shape: number[]) => init(parameter(zeros(shape, { dtype })));
    this.weight_cell = p([C * S, fanIn]);
    this.bias_cell = bias.cell ? p([C * S]) : null;
    this.weight_in_gate = p([C, fanIn]);
    this.bias_in_gate = bias.gate ? p([C]) : null;
    this.weight_out_gate = outputGate ? p([C, fanIn]) : null;
    this.bias_out_gate = bias.gate && outputGate ? p([C]) : null;
    this.weight_output = p([K, C * S]);
    this.bias_output = bias.output ? p([K]) : null;
    this.weight_input_output = connectivity === 'B' ? p([K, I]) : null;
    for (const [b, values, name] of [
      [this.bias_in_gate, perBlock(opts.inputGateBias, C, 'inputGateBias'), 'inputGateBias'],
      [this.bias_out_gate, perBlock(opts.outputGateBias, C, 'outputGateBias'), 'outputGateBias'],
    ] as const) {
      if (!values) continue;
      if (!b) throw new ValueError(`${name} needs gate biases (bias.gate = true) and the gate`, 'LSTM1997');
      b.assign(tensor(values, { dtype }));
    }
  }

  /** Number of hidden units H = C·S + 2C (cells plus gates; C·S + C without output gates). */
  get hiddenUnits(): number {
    return this.config.blocks * (this.config.cellsPerBlock + (this.config.outputGate ? 2 : 1));
  }

  /** A zero state for a batch of `batch` sequences (the paper resets activations per sequence). */
  initialState(batch: number): State1997 {
    const { blocks: C, cellsPerBlock: S, dtype } = this.config;
    return { s: zeros([batch, C * S], { dtype }), r: zeros([batch, this.hiddenUnits], { dtype }) };
  }

  /** Runs a sequence `[T, B, I]` (or unbatched `[T, I]`) from `state` (zeros by default). */
  forward(x: Tensor, state?: State1997): Output1997 {
    const op = 'LSTM1997.forward';
    checkTensor(x, op, 'input');
    const { inputSize: I, blocks: C, cellsPerBlock: S, truncated, outputGate } = this.config;
    const recurrent = this.config.connectivity === 'F';
    if ((x.rank !== 3 && x.rank !== 2) || x.shape[x.rank - 1] !== I)
      throw new ShapeError(`input must be [T, B, ${I}] or [T, ${I}], got ${fmt(x.shape)}`, op);
    if (x.dtype !== this.config.dtype) throw new ValueError(`input is ${x.dtype}, the parameters are ${this.config.dtype}`, op);
    const unbatched = x.rank === 2;
    const seq = unbatched ? x.unsqueeze(1) : x;
    const [T, B] = seq.shape as [number, number];
    let { s, r } = state ?? this.initialState(B);
    if (s.shape[0] !== B || s.shape[1] !== C * S || r.shape[0] !== B || r.shape[1] !== this.hiddenUnits) {
      throw new ShapeError(
        `state must be { s: [${B}, ${C * S}], r: [${B}, ${this.hiddenUnits}] }, got s ${fmt(s.shape)}, r ${fmt(r.shape)}`,
        op,
      );
    }
    const g = squashOf(this.config.g, 'g');
    const h = squashOf(this.config.h, 'h');
    // one matmul for all three unit types: rows [cells | input gates | output gates]
    const w = concat([this.weight_cell, this.weight_in_gate, ...(this.weight_out_gate ? [this.weight_out_gate] : [])]).transpose();
    const biases = [
      this.bias_cell ?? zeros([C * S], { dtype: this.config.dtype }),
      this.bias_in_gate ?? zeros([C], { dtype: this.config.dtype }),
      ...(outputGate ? [this.bias_out_gate ?? zeros([C], { dtype: this.config.dtype })] : []),
    ];
    const b = this.bias_cell || this.bias_in_gate ? concat(biases) : null;
    const wOut = this.weight_output.transpose();
    const wIO = this.weight_input_output?.transpose();
    const xs = seq.split(1, 0);
    const outputs: Tensor[] = [];
    const cells: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const xt = xs[t]!.reshape([B, I]);
      const u = recurrent ? concat([xt, truncated ? r.detach() : r], 1) : xt;
      let net = u.matmul(w);
      if (b) net = net.add(b);
      const [netC, netIn, netOut] = net.split(outputGate ? [C * S, C, C] : [C * S, C], 1) as [Tensor, Tensor, Tensor?];
      const yIn = netIn.sigmoid();
      const yOut = netOut?.sigmoid();
      // gates are shared by the S cells of a block: [B, C] → [B, C, 1] broadcasts over [B, C, S]
      s = s.add(
        yIn
          .reshape([B, C, 1])
          .mul(g(netC).reshape([B, C, S]))
          .reshape([B, C * S]),
      );
      const yc = yOut
        ? yOut
            .reshape([B, C, 1])
            .mul(h(s).reshape([B, C, S]))
            .reshape([B, C * S])
        : h(s);
      let y = yc.matmul(wOut);
      if (wIO) y = y.add(xt.matmul(wIO));
      if (this.bias_output) y = y.add(this.bias_output);
      outputs.push(this.config.outputActivation === 'logistic' ? y.sigmoid() : y);
      cells.push(yc);
      r = concat(yOut ? [yc, yIn, yOut] : [yc, yIn], 1);
    }
    const squeeze = (t: Tensor) => (unbatched ? t.squeeze(1) : t);
    return { output: squeeze(concatSteps(outputs)), cells: squeeze(concatSteps(cells)), state: { s, r } };
  }
}

const concatSteps = (ts: Tensor[]) => concat(ts.map((t) => t.unsqueeze(0)));
