import {
  concat,
  customGrad,
  type FloatDType,
  formatShape as fmt,
  isGradEnabled,
  isTensor,
  ShapeError,
  stack,
  type Tensor,
  type TensorArgs,
  ValueError,
  vjp,
} from '@carousel/autograd';
import { Module } from '../module.js';
import { checkPositiveInt, checkProbability } from '../validate.js';
import { dropoutMask, type SequenceOptions, timeMajor } from './sequence.js';

/**
 * A cell's state: one tensor, or named tensors (`{ h, c }`), each `[B, …]`.
 *
 * @example
 * const gruState: CellState = zeros([4, 16]); // h
 * const lstmState: CellState = { h: zeros([4, 16]), c: zeros([4, 16]) };
 */
export type CellState = Tensor | { readonly [name: string]: Tensor };

/**
 * What {@link Recurrent} needs of a cell: a Module (so its parameters are found) with these
 * methods. The zoo's cells nearly fit: a `GRUCell` or `RNNCell` subclass only adds
 * `initialState`.
 *
 * @typeParam S - The state: a tensor (`h`), or named tensors such as `{ h, c }`.
 * @example
 * // the Elman cell h' = tanh(W x + U h), state = h
 * class Elman extends Module implements RecurrentCell<Tensor> {
 *   w = parameter(randn([8, 4]).mul(0.3));
 *   u = parameter(randn([8, 8]).mul(0.3));
 *   initialState(batch: number) { return zeros([batch, 8]); }
 *   forward(x: Tensor, h: Tensor) { return x.matmul(this.w.transpose()).add(h.matmul(this.u.transpose())).tanh(); }
 * }
 */
export interface RecurrentCell<S extends CellState = Tensor> {
  /** The state before the first step, for a batch of `batch` (usually zeros). */
  initialState(batch: number): S;
  /** One step: the input `x [B, inputSize]` and the state → the next state (same structure and shapes). */
  forward(x: Tensor, state: S): S;
  /**
   * The step's output `[B, hiddenSize]` from the new state. Default: the state itself when it is
   * one tensor, else its `h`.
   */
  output?(state: S): Tensor;
}

/**
 * Where a cell sits in a {@link Recurrent} layer: what its factory is told.
 *
 * @example
 * const where: CellPosition = { layer: 1, direction: 1 }; // the reverse cell of the second layer
 */
export interface CellPosition {
  /** Layer index, 0 at the bottom. */
  layer: number;
  /** 0 forward in time, 1 the reverse direction of a bidirectional layer. */
  direction: number;
}

/**
 * Builds the cell of one layer and direction; `inputSize` is the layer's input
 * (`numDirections·hiddenSize` above the first layer).
 *
 * @example
 * // the zoo's GRUCell, starting from zeros, in every layer and direction
 * class ZeroGRU extends GRUCell {
 *   initialState(batch: number) { return zeros([batch, this.hiddenSize]); }
 * }
 * const makeCell: CellFactory<ZeroGRU> = (inputSize, hiddenSize) => new ZeroGRU(inputSize, hiddenSize);
 * new Recurrent(4, 8, makeCell, { numLayers: 2 }).cell(1).inputSize; // 8
 */
export type CellFactory<C extends AnyCell = AnyCell> = (inputSize: number, hiddenSize: number, where: CellPosition) => C;

/**
 * Any cell {@link Recurrent} can run: a Module with the {@link RecurrentCell} methods, whatever
 * its state (the `never` accepts every `forward`, including one whose state is optional).
 *
 * @example
 * const cells: AnyCell[] = [new (class extends GRUCell { initialState = (b: number) => zeros([b, 8]) })(4, 8)];
 */
export type AnyCell = Module & {
  /** See {@link RecurrentCell.initialState}. */
  initialState(batch: number): CellState;
  /** See {@link RecurrentCell.forward}. */
  forward(x: Tensor, state: never): CellState;
  /** See {@link RecurrentCell.output}. */
  output?(state: never): Tensor;
};

/**
 * The state type of a cell: what its `initialState` returns.
 *
 * @example
 * class ZeroLSTM extends LSTMCell {
 *   initialState(batch: number) { return { h: zeros([batch, this.hiddenSize]), c: zeros([batch, this.hiddenSize]) }; }
 * }
 * const s: StateOf<ZeroLSTM> = new ZeroLSTM(4, 8).initialState(2); // { h: Tensor; c: Tensor }
 */
export type StateOf<C extends AnyCell> = ReturnType<C['initialState']>;

/**
 * A cell state stacked over layers·directions — each tensor `[L·D, B, …]` — as
 * {@link Recurrent.forward} takes and returns it: a tensor, or the same names as the cell's.
 *
 * @example
 * const state: LayerState<{ h: Tensor; c: Tensor }> = { h: zeros([2, 4, 8]), c: zeros([2, 4, 8]) };
 */
export type LayerState<S extends CellState> = S extends Tensor ? Tensor : { [K in keyof S]: Tensor };

/**
 * Options of {@link Recurrent}: those of the zoo's layers (`numLayers`, `batchFirst`, `dropout`
 * between layers, `bidirectional`) except `bias` and `dtype`, which belong to the cell.
 *
 * @example
 * const opts: RecurrentOptions = { numLayers: 2, bidirectional: true, dropout: 0.1 };
 */
export type RecurrentOptions = Omit<SequenceOptions, 'bias' | 'dtype'>;

/**
 * An initial state for {@link Recurrent.forward}: a {@link LayerState} (`[L·D, …]` tensors for
 * unbatched input) in which named entries may be left out; they start from the cell's
 * `initialState`.
 *
 * @example
 * const h0: InitialState<Tensor> = zeros([2, 4, 16]); // 2 layers, batch 4, 16 units
 * const c0: InitialState<{ h: Tensor; c: Tensor }> = { c: zeros([2, 4, 16]) }; // h from the cells
 */
export type InitialState<S extends CellState> = S extends Tensor ? Tensor : Partial<LayerState<S>>;

/**
 * What {@link Recurrent.forward} returns.
 *
 * @example
 * class ZeroGRU extends GRUCell {
 *   initialState(batch: number) { return zeros([batch, this.hiddenSize]); }
 * }
 * const layer = new Recurrent(4, 8, (i, h) => new ZeroGRU(i, h), { bidirectional: true });
 * const { output, state }: RecurrentOutput<Tensor> = layer.forward(randn([10, 3, 4]));
 * output.shape; // [10, 3, 16]
 * state.shape; // [2, 3, 8]
 */
export interface RecurrentOutput<S extends CellState> {
  /** Top layer's outputs at every step: `[T, B, D·hiddenSize]` (`[B, T, …]` with batchFirst). */
  output: Tensor;
  /** Final state of every layer and direction, each tensor `[L·D, B, …]` (index layer·D + direction). */
  state: LayerState<S>;
}

const STATE = 'state';
/** The state's tensors by name (`state` for a single tensor). */
const leaves = (s: CellState): [string, Tensor][] => (isTensor(s) ? [[STATE, s]] : Object.entries(s));
/** A state of the same structure as `like` from named tensors. */
const rebuild = <S = CellState>(like: CellState, byName: (name: string, t: Tensor) => Tensor): S =>
  (isTensor(like) ? byName(STATE, like) : Object.fromEntries(Object.entries(like).map(([k, t]) => [k, byName(k, t)]))) as S;
const label = (name: string) => (name === STATE ? 'state' : `state ${name}`);

/**
 * Runs any {@link RecurrentCell} over sequences, with the options and conventions of the zoo's
 * `LSTM`/`GRU`/`RNN` (like Keras' `RNN(cell)` or Flax's `nn.RNN(cell)`): input `[T, B, I]`
 * (`[B, T, I]` with batchFirst, or unbatched `[T, I]`), `numLayers` stacked cells, bidirectional
 * passes whose outputs are concatenated, dropout between layers in training mode, and an initial
 * state in / final state out. At each step $t$ of one direction of layer $l$:
 *
 * $$ s_t = \mathrm{cell}.\mathrm{forward}(x_t, s_{t-1}), \qquad y_t = \mathrm{cell}.\mathrm{output}(s_t) $$
 *
 * with $s_0$ from `cell.initialState(B)` or the given state; the reverse direction runs from
 * $t = T$ down to 1, and layer $l + 1$ reads the $y_t$ of layer $l$.
 *
 * **State-dict names**: the cell of layer `k` is the child `cell_l{k}`, its reverse-direction twin
 * `cell_l{k}_reverse`, so a parameter `weight_ih` of the cell is saved as `cell_l0.weight_ih`,
 * `cell_l0_reverse.weight_ih`, … — the zoo's `weight_ih_l0_reverse` with the suffix moved to
 * the cell. The parameters' dtype (all cells must agree) is the layer's {@link Recurrent.dtype}.
 *
 * @typeParam C - The cell's type; its state is {@link StateOf}`<C>`.
 * @throws {ValueError} for invalid sizes or dropout, for a factory that does not return a Module
 *   with `forward` and `initialState`, or for cells whose parameters have different dtypes.
 * @example
 * class Elman extends Module {
 *   weight_ih: Tensor; weight_hh: Tensor;
 *   constructor(readonly inputSize: number, readonly hiddenSize: number) {
 *     super();
 *     this.weight_ih = init.uniform(0.3)(parameter(zeros([hiddenSize, inputSize])));
 *     this.weight_hh = init.uniform(0.3)(parameter(zeros([hiddenSize, hiddenSize])));
 *   }
 *   initialState(batch: number) { return zeros([batch, this.hiddenSize]); }
 *   forward(x: Tensor, h: Tensor) {
 *     return x.matmul(this.weight_ih.transpose()).add(h.matmul(this.weight_hh.transpose())).tanh();
 *   }
 * }
 * const rnn = new Recurrent(4, 8, (i, h) => new Elman(i, h), { numLayers: 2, bidirectional: true });
 * const { output, state } = rnn.forward(randn([10, 3, 4])); // output [10, 3, 16], state [4, 3, 8]
 * Object.keys(rnn.stateDict())[2]; // 'cell_l0_reverse.weight_ih'
 */
export class Recurrent<C extends AnyCell = AnyCell> extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** The cells' parameter dtype (float32 when they have none): inputs must have it. */
  readonly dtype: FloatDType;
  /** The cells in state order (layer·D + direction); also fields `cell_l{k}[_reverse]`. */
  readonly #cells: C[] = [];

  /**
   * @param inputSize - Features of the input, `I`.
   * @param hiddenSize - Size of every cell's output (the layer outputs `D·hiddenSize`).
   * @param makeCell - Called once per layer and direction, bottom layer first.
   * @param opts - Layers, directions, batchFirst and inter-layer dropout.
   */
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    makeCell: CellFactory<C>,
    opts: RecurrentOptions = {},
  ) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    checkPositiveInt('Recurrent', { inputSize, hiddenSize, numLayers: this.numLayers });
    checkProbability('Recurrent', 'dropout', this.dropout);
    const fields = this as unknown as Record<string, Module>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let direction = 0; direction < this.numDirections; direction++) {
        const name = `cell_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const cell = makeCell(layer === 0 ? inputSize : this.numDirections * hiddenSize, hiddenSize, { layer, direction });
        const missing = ['forward', 'initialState'].filter((m) => typeof (cell as unknown as Record<string, unknown>)[m] !== 'function');
        if (!(cell instanceof Module) || missing.length)
          throw new ValueError(
            `the cell factory must return a Module with forward(x, state) and initialState(batch); ${name} ${cell instanceof Module ? `lacks ${missing.join(' and ')}` : 'is not a Module'}`,
            'Recurrent',
          );
        fields[name] = cell;
        this.#cells.push(cell);
      }
    }
    const params = this.namedParameters();
    const [firstName, first] = params[0] ?? ['', undefined];
    const odd = params.find(([, p]) => p.dtype !== first?.dtype);
    if (odd)
      throw new ValueError(
        `${odd[0]} is ${odd[1].dtype} but ${firstName} is ${first?.dtype}: every cell needs the same dtype`,
        'Recurrent',
      );
    this.dtype = (first?.dtype as FloatDType | undefined) ?? 'float32';
  }

  /** Number of directions (2 when bidirectional). */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /**
   * The cell of `layer` and `direction` (the child `cell_l{layer}[_reverse]`).
   *
   * @throws {ValueError} for a layer or direction the layer does not have.
   */
  cell(layer: number, direction = 0): C {
    const c = Number.isInteger(layer) && Number.isInteger(direction) ? this.#cells[layer * this.numDirections + direction] : undefined;
    if (!c || layer < 0 || direction < 0 || direction >= this.numDirections)
      throw new ValueError(
        `no cell at layer ${layer}, direction ${direction} (${this.numLayers} layers, ${this.numDirections} directions)`,
        'Recurrent.cell',
      );
    return c;
  }

  /**
   * Runs the sequence. `x` is `[T, B, I]` (`[B, T, I]` with batchFirst, or unbatched `[T, I]`);
   * `state` holds each state tensor stacked over layers·directions (see {@link InitialState}).
   *
   * @throws {ShapeError} for an input or initial state of the wrong shape, or a cell whose step
   *   changes the state's shapes or whose output is not `[B, hiddenSize]`.
   * @throws {ValueError} for an input or initial state whose dtype is not the layer's.
   */
  forward(x: Tensor, state?: InitialState<StateOf<C>>): RecurrentOutput<StateOf<C>> {
    const op = 'Recurrent.forward';
    let { seq, unbatched, T, B } = timeMajor(x, this, op);
    const D = this.numDirections;
    const finals: CellState[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const steps = Array.from({ length: T }, (_, t) => seq.slice([t]));
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = layer * D + d;
        const cell = this.#cells[k]! as unknown as RecurrentCell<CellState>;
        const run = runDirection(
          cell,
          steps,
          d === 1,
          this.#initial(cell, k, B, state as CellState | undefined, unbatched, op),
          this.hiddenSize,
          op,
        );
        outs.push(run.output);
        finals.push(run.state);
      }
      seq = D === 1 ? outs[0]! : concat(outs, 2);
      if (layer < this.numLayers - 1 && this.dropout > 0 && this.training) seq = dropoutMask(seq, this.dropout);
    }
    const output = unbatched ? seq.squeeze(1) : this.batchFirst ? seq.transpose(0, 1) : seq;
    const final = rebuild<LayerState<StateOf<C>>>(finals[0]!, (name) => {
      const all = finals.map((s) => (isTensor(s) ? s : s[name]!));
      // one layer and direction: a view instead of a copy
      const stacked = all.length === 1 ? all[0]!.unsqueeze(0) : stack(all);
      return unbatched ? stacked.squeeze(1) : stacked;
    });
    return { output, state: final };
  }

  /** The initial state of layer·direction k: the cell's, with the given tensors' slices in place. */
  #initial(cell: RecurrentCell<CellState>, k: number, B: number, given: CellState | undefined, unbatched: boolean, op: string): CellState {
    const own = cell.initialState(B);
    if (given === undefined) return own;
    if (isTensor(given) !== isTensor(own))
      throw new ValueError(
        isTensor(own)
          ? `the cell's state is one tensor; pass the initial state as a tensor, not an object`
          : `the cell's state has tensors ${Object.keys(own).join(', ')}; pass the initial state as an object of them`,
        op,
      );
    // a partial state may spell a missing entry as undefined
    const byName = new Map(leaves(given).filter(([, t]) => t !== undefined));
    const unknown = [...byName.keys()].filter((n) => !(isTensor(own) || n in own));
    if (unknown.length)
      throw new ValueError(`initial state has ${unknown.join(', ')}; the cell's state has ${Object.keys(own).join(', ')}`, op);
    const LD = this.numLayers * this.numDirections;
    return rebuild(own, (name, t) => {
      const g = byName.get(name);
      if (!g) return t;
      const expected = [LD, ...(unbatched ? t.shape.slice(1) : t.shape)];
      if (g.rank !== expected.length || g.shape.some((n, i) => n !== expected[i]))
        throw new ShapeError(
          `initial ${label(name)} has shape ${fmt(g.shape)}, expected ${fmt(expected)} ([numLayers·numDirections, ${unbatched ? '' : 'batch, '}…])`,
          op,
        );
      if (g.dtype !== t.dtype) throw new ValueError(`initial ${label(name)} is ${g.dtype}, expected ${t.dtype}`, op);
      const mine = LD === 1 ? g.squeeze(0) : g.slice([k]);
      return unbatched ? mine.unsqueeze(0) : mine;
    });
  }
}

/** One direction over the steps (backwards for `reverse`); checks the cell's first step. */
function runDirection<S extends CellState>(
  cell: RecurrentCell<S>,
  steps: Tensor[],
  reverse: boolean,
  s0: S,
  H: number,
  op: string,
): { output: Tensor; state: S } {
  const T = steps.length;
  const outputs = new Array<Tensor>(T);
  let s = s0;
  for (let i = 0; i < T; i++) {
    const t = reverse ? T - 1 - i : i;
    const next = cell.forward(steps[t]!, s);
    const y = outputOf(cell, next, op);
    if (i === 0) checkStep(s, next, y, [steps[t]!.shape[0]!, H], op);
    outputs[t] = y;
    s = next;
  }
  return { output: stack(outputs), state: s };
}

function outputOf<S extends CellState>(cell: RecurrentCell<S>, s: S, op: string): Tensor {
  if (cell.output) return cell.output(s);
  if (isTensor(s)) return s;
  const h = s.h;
  if (!h) throw new ValueError(`the cell's state (${Object.keys(s).join(', ')}) has no h: give the cell an output(state) method`, op);
  return h;
}

/** The first step must keep the state's structure and shapes and output `[B, H]`. */
function checkStep(before: CellState, after: CellState, y: Tensor, expected: [number, number], op: string): void {
  const was = new Map(leaves(before));
  const now = leaves(after);
  if (isTensor(before) !== isTensor(after) || now.length !== was.size || now.some(([n]) => !was.has(n)))
    throw new ValueError(
      `the cell's forward returned a state with ${now.map(([n]) => n).join(', ')}, it was given ${[...was.keys()].join(', ')}`,
      op,
    );
  for (const [name, t] of now) {
    const old = was.get(name)!;
    if (t.rank !== old.rank || t.shape.some((n, i) => n !== old.shape[i]))
      throw new ShapeError(`the cell's forward returned ${label(name)} of shape ${fmt(t.shape)} from one of shape ${fmt(old.shape)}`, op);
  }
  if (y.rank !== 2 || y.shape[0] !== expected[0] || y.shape[1] !== expected[1])
    throw new ShapeError(`the cell's output has shape ${fmt(y.shape)}, expected ${fmt(expected)} ([batch, hiddenSize])`, op);
}

/**
 * What a hand-written step kernel for {@link fusedStep} returns: the value, and the gradient of
 * every input.
 *
 * @example
 * // y = 2x, by hand
 * const double = (x: Tensor): StepKernelResult => ({ value: x.mul(2), vjp: (g) => [g.mul(2)] });
 */
export interface StepKernelResult {
  /** The step's result. */
  value: Tensor;
  /** Maps the result's gradient to one gradient per input (null for none), at first order. */
  vjp: (g: Tensor) => readonly (Tensor | null)[];
}

/**
 * Makes a cell step (or any function of tensors) ONE op on the tape with a hand-written kernel:
 * `kernel` computes the value and its gradients however it likes — typically on the raw typed
 * arrays of `dataSync()` — where the `composite`, written in Tensor ops, would record one node
 * per primitive. It is {@link customGrad} plus the two things a raw kernel cannot do itself:
 *
 * - **higher-order gradients**: when the gradient is itself being recorded (`grad` of `grad`,
 *   `backward({ createGraph: true })`), the rule differentiates `composite` instead of calling
 *   the kernel's vjp, whose raw arrays the tape cannot see (it would silently drop those terms);
 * - **other backends**: when an input is not on the CPU backend (`dataSync` would throw on
 *   WebGPU), the call runs `composite` instead.
 *
 * Check the kernel against the composite with `gradcheck` in float64: the first-order gradient
 * it checks is the kernel's.
 *
 * @param composite - The same function in differentiable Tensor ops: the reference.
 * @param kernel - The fused forward, returning the value and a first-order vjp.
 * @returns A function with the composite's signature and meaning.
 * @example
 * // y = tanh(x)·w, fused: the forward keeps tanh(x) for the backward
 * const composite = (x: Tensor, w: Tensor) => x.tanh().mul(w);
 * const fused = fusedStep(composite, (x: Tensor, w: Tensor) => {
 *   const [xs, ws] = [x.dataSync(), w.dataSync()];
 *   const th = xs.map(Math.tanh);
 *   const value = tensor(th.map((t, i) => t * ws[i]!), { shape: x.shape, dtype: x.dtype });
 *   const vjp = (g: Tensor) => {
 *     const gs = g.dataSync();
 *     return [
 *       tensor(gs.map((gi, i) => gi * ws[i]! * (1 - th[i]! ** 2)), { shape: x.shape, dtype: x.dtype }),
 *       tensor(gs.map((gi, i) => gi * th[i]!), { shape: w.shape, dtype: w.dtype }),
 *     ];
 *   };
 *   return { value, vjp };
 * });
 * const args = [randn([3], { dtype: 'float64' }), randn([3], { dtype: 'float64' })];
 * gradcheck(fused, args); // the kernel's gradient
 * gradcheck(fused, args, { order: 2 }); // second order: through the composite
 */
export function fusedStep<A extends TensorArgs>(
  composite: (...args: A) => Tensor,
  kernel: (...args: A) => StepKernelResult,
): (...args: A) => Tensor {
  const fused = customGrad((...args: A) => {
    const { value, vjp: rule } = kernel(...args);
    return {
      value,
      // grad mode is on inside a rule only when the gradient is itself being recorded
      vjp: (g: Tensor) => (isGradEnabled() ? vjp(composite, ...args)[1](g) : rule(g)),
    };
  });
  return (...args: A) => (args.every((a) => a.backend === 'cpu') ? fused(...args) : composite(...args));
}
