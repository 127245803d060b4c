import {
  concat,
  type FloatDType,
  formatShape as fmt,
  isTensor,
  type NestedArray,
  noGrad,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
  ValueError,
  zeros,
} from '@carousel/autograd';
import type { StateDict } from '../module.js';

/**
 * A weight as a Tensor or as nested number arrays (e.g. `ndarray.tolist()` read from JSON).
 *
 * @example
 * const w: WeightLike = [[0.1, -0.2], [0.3, 0.4]];
 */
export type WeightLike = Tensor | NestedArray<number>;

/**
 * Options shared by the importers.
 *
 * @example
 * const stateDict = new LSTM(8, 16).stateDict();
 * fromPyTorch(stateDict, { dtype: 'float64' });
 */
export interface ImportOptions {
  /**
   * Cast every weight to this dtype. By default a tensor keeps its float dtype and nested arrays
   * become float64 (exact for JS numbers); `loadStateDict` casts to the layer's dtype anyway.
   */
  dtype?: FloatDType;
}

/**
 * Options of {@link fromPyTorch}.
 *
 * @example
 * const stateDict = { 'encoder.lstm.weight_ih_l0': randn([64, 8]), 'decoder.weight': randn([4, 16]) };
 * fromPyTorch(stateDict, { prefix: 'encoder.lstm' }); // { weight_ih_l0 }
 */
export interface PyTorchImportOptions extends ImportOptions {
  /**
   * Keep only the keys under this module path and strip it, e.g. `'encoder.lstm'` turns
   * `'encoder.lstm.weight_ih_l0'` into `'weight_ih_l0'` (a trailing `.` is optional).
   */
  prefix?: string;
}

/**
 * Which cell the weights are for and where they go: the PyTorch name suffix `_l{layer}`.
 *
 * @example
 * const [W, R, B] = [randn([1, 48, 8]), randn([1, 48, 16]), zeros([1, 96])]; // H = 16, I = 8
 * fromOnnx({ W, R, B }, { cell: 'gru', layer: 1 }); // weight_ih_l1, …
 */
export interface TargetOptions extends ImportOptions {
  /** The recurrent cell the weights belong to. */
  cell: 'lstm' | 'gru';
  /** The layer index of the target (default 0): names end in `_l{layer}`. */
  layer?: number;
}

/**
 * Options of {@link fromKeras}.
 *
 * @example
 * const backwardWeights = [randn([8, 64]), randn([16, 64]), zeros([64])]; // kernel, recurrent_kernel, bias
 * fromKeras(backwardWeights, { cell: 'lstm', layer: 0, reverse: true }); // weight_ih_l0_reverse, …
 */
export interface KerasImportOptions extends TargetOptions {
  /** The backward layer of a `Bidirectional` wrapper: names end in `_l{layer}_reverse`. */
  reverse?: boolean;
  /** Override the name suffix entirely, e.g. `''` for an {@link LSTMCell} or {@link GRUCell}. */
  suffix?: string;
}

/**
 * Keras recurrent weights: `layer.get_weights()` (`[kernel, recurrent_kernel, bias?]`) or a
 * record whose keys end in `kernel`, `recurrent_kernel` and `bias` (e.g. the variable paths
 * `'lstm/lstm_cell/kernel:0'` of an HDF5 or `.keras` file).
 *
 * @example
 * const [kernel, rk, b] = [randn([8, 64]), randn([16, 64]), zeros([64])];
 * const weights: KerasWeights = { 'lstm/lstm_cell/kernel:0': kernel, 'lstm/lstm_cell/recurrent_kernel:0': rk, 'lstm/lstm_cell/bias:0': b };
 */
export type KerasWeights = readonly WeightLike[] | Readonly<Record<string, WeightLike>>;

/**
 * The initializers of an ONNX `LSTM` or `GRU` node, by input name.
 *
 * @example
 * // python: {i.name: numpy_helper.to_array(i).tolist() for i in model.graph.initializer}
 * const inits = JSON.parse(readFileSync('lstm.onnx.json', 'utf8')) as Record<'W' | 'R' | 'B', number[][][]>;
 * const weights: OnnxWeights = { W: inits.W, R: inits.R, B: inits.B };
 */
export interface OnnxWeights {
  /** Input weights `[D, G·H, I]` (G = 4 for LSTM, 3 for GRU; D = 2 when bidirectional). */
  W: WeightLike;
  /** Recurrence weights `[D, G·H, H]`. */
  R: WeightLike;
  /** Biases `[D, 2·G·H]`: the input biases `Wb` then the recurrence biases `Rb`. */
  B?: WeightLike;
  /** LSTM peepholes `[D, 3H]` in gate order i, o, f. */
  P?: WeightLike;
}

// Block orders: entry k is the foreign block that becomes block k of this package (PyTorch) layout.
/** Keras LSTM i,f,c,o → i,f,g,o (the same order). */
const KERAS_LSTM = [0, 1, 2, 3];
/** Keras and ONNX GRU z,r,h → r,z,n. */
const ZRH_TO_RZN = [1, 0, 2];
/** ONNX LSTM i,o,f,c → i,f,g,o. */
const ONNX_LSTM = [0, 2, 3, 1];
/** ONNX peepholes i,o,f → this package's weight_peephole rows i,f,o. */
const ONNX_PEEPHOLE = [0, 2, 1];

/**
 * Imports a PyTorch `nn.LSTM` / `nn.GRU` / `nn.RNN` (or cell) state dict. The layouts are
 * identical — same names (`weight_ih_l0`, `bias_hh_l1_reverse`, …), gate order i,f,g,o for LSTM
 * and r,z,n for GRU — so this only converts nested arrays to tensors, casts, and selects and
 * strips a module `prefix`. Tensors passed in are shared, not copied (`loadStateDict` copies).
 *
 * @example
 * // torch: json.dump({k: v.tolist() for k, v in model.state_dict().items()}, f)
 * const text = readFileSync('model.json', 'utf8');
 * const sd = fromPyTorch(JSON.parse(text), { prefix: 'lstm' });
 * new LSTM(8, 16).loadStateDict(sd);
 */
export function fromPyTorch(stateDict: Readonly<Record<string, WeightLike>>, opts: PyTorchImportOptions = {}): StateDict {
  const op = 'fromPyTorch';
  checkRecord(stateDict, op);
  const prefix = opts.prefix ? (opts.prefix.endsWith('.') ? opts.prefix : `${opts.prefix}.`) : '';
  const keys = Object.keys(stateDict).filter((k) => k.startsWith(prefix) && k.length > prefix.length);
  if (prefix && keys.length === 0) {
    const some = Object.keys(stateDict).slice(0, 5).join(', ');
    throw new ValueError(`no key starts with '${prefix}' (keys: ${some}${Object.keys(stateDict).length > 5 ? ', …' : ''})`, op);
  }
  return tidy(() => Object.fromEntries(keys.map((k) => [k.slice(prefix.length), toTensor(stateDict[k]!, k, op, opts.dtype)])));
}

/**
 * Imports the weights of a Keras `LSTM` or `GRU` layer into this package's (PyTorch's) names and
 * layout. Keras stores `kernel [I, G·H]` and `recurrent_kernel [H, G·H]` (transposed) and one
 * bias: for LSTM the gate order is i,f,c,o (the same as i,f,g,o) and the bias `[4H]` becomes
 * `bias_ih` with zeros for `bias_hh`; for GRU the order is z,r,h (reordered to r,z,n). A GRU
 * with `reset_after=True` (the TF2 default) has a bias `(2, 3H)` — input then recurrent — and
 * matches `new GRU(I, H)`; one with `reset_after=False` has a bias `[3H]` and needs
 * `new GRU(I, H, { reset: 'before' })`. Without a bias (`use_bias=False`) use `bias: false`.
 * A stacked model is imported one layer at a time (`layer: k`), a `Bidirectional` one direction
 * at a time (`reverse: true` for the backward layer); merge the results. Only Keras's default
 * activations (`tanh`, recurrent `sigmoid`) are equivalent.
 *
 * @example
 * // python: np.savez / json of layer.get_weights()
 * const [kernel, recurrentKernel, bias] = [randn([8, 64]), randn([16, 64]), zeros([64])]; // I = 8, H = 16
 * const sd = fromKeras([kernel, recurrentKernel, bias], { cell: 'lstm' });
 * new LSTM(8, 16).loadStateDict(sd);
 */
export function fromKeras(weights: KerasWeights, opts: KerasImportOptions): StateDict {
  const op = 'fromKeras';
  const cell = checkCell(opts, op);
  const G = cell === 'lstm' ? 4 : 3;
  const suffix = opts.suffix ?? `_l${layerOf(opts, op)}${opts.reverse ? '_reverse' : ''}`;
  const [kernelIn, recurrentIn, biasIn] = kerasParts(weights, op);
  return tidy(() =>
    noGrad(() => {
      const kernel = toTensor(kernelIn, 'kernel', op, opts.dtype);
      const recurrent = toTensor(recurrentIn, 'recurrent_kernel', op, opts.dtype);
      if (recurrent.rank !== 2 || recurrent.shape[1] !== G * recurrent.shape[0]!)
        throw new ShapeError(`recurrent_kernel must be [H, ${G}·H], got ${fmt(recurrent.shape)}`, op);
      const H = recurrent.shape[0]!;
      if (kernel.rank !== 2 || kernel.shape[1] !== G * H)
        throw new ShapeError(`kernel must be [I, ${G * H}] (H = ${H}), got ${fmt(kernel.shape)}`, op);
      if (kernel.dtype !== recurrent.dtype)
        throw new ValueError(`kernel is ${kernel.dtype} but recurrent_kernel is ${recurrent.dtype}; pass dtype`, op);
      const order = cell === 'lstm' ? KERAS_LSTM : ZRH_TO_RZN;
      const out: StateDict = {
        [`weight_ih${suffix}`]: reorder(kernel, 1, H, order).transpose(),
        [`weight_hh${suffix}`]: reorder(recurrent, 1, H, order).transpose(),
      };
      if (biasIn !== undefined) {
        const bias = toTensor(biasIn, 'bias', op, kernel.dtype as FloatDType);
        const zero = () => zeros([G * H], { dtype: kernel.dtype as FloatDType });
        if (bias.rank === 1 && bias.shape[0] === G * H) {
          out[`bias_ih${suffix}`] = reorder(bias, 0, H, order);
          out[`bias_hh${suffix}`] = zero();
        } else if (cell === 'gru' && bias.rank === 2 && bias.shape[0] === 2 && bias.shape[1] === G * H) {
          out[`bias_ih${suffix}`] = reorder(bias.slice([0]), 0, H, order);
          out[`bias_hh${suffix}`] = reorder(bias.slice([1]), 0, H, order);
        } else {
          const expected = cell === 'gru' ? `[${G * H}] or [2, ${G * H}] (reset_after)` : `[${G * H}]`;
          throw new ShapeError(`bias must be ${expected}, got ${fmt(bias.shape)}`, op);
        }
      }
      return out;
    }),
  );
}

/**
 * Imports the initializers of an ONNX `LSTM` or `GRU` node into this package's (PyTorch's)
 * names and layout, both directions when `D = 2` (`_l{layer}` and `_l{layer}_reverse`). ONNX
 * stacks gates along axis 1 in the order i,o,f,c for LSTM (reordered to i,f,g,o) and z,r,h for
 * GRU (reordered to r,z,n); `B` is `[Wb, Rb]` and becomes `bias_ih`, `bias_hh`; LSTM peepholes
 * `P` (order i,o,f) become `weight_peephole` (rows i,f,o): build `new LSTM(I, H, { peephole: true })`.
 * An ONNX GRU with `linear_before_reset=1` (what PyTorch exports) matches `new GRU(I, H)`; the
 * ONNX default `linear_before_reset=0` matches `new GRU(I, H, { reset: 'before' })`. Without
 * `B`, build the layer with `bias: false`. Only the default activations and no `clip` are
 * equivalent; a stacked model has one node per layer (`layer: k`).
 *
 * @example
 * const [W, R, B] = [randn([1, 64, 8]), randn([1, 64, 16]), zeros([1, 128])]; // [D, 4H, I], [D, 4H, H], [D, 8H]
 * const sd = fromOnnx({ W, R, B }, { cell: 'lstm' });
 * new LSTM(8, 16).loadStateDict(sd);
 */
export function fromOnnx(weights: OnnxWeights, opts: TargetOptions): StateDict {
  const op = 'fromOnnx';
  const cell = checkCell(opts, op);
  const layer = layerOf(opts, op);
  if (typeof weights !== 'object' || weights === null) throw new ValueError('weights must be an object { W, R, B?, P? }', op);
  for (const k of ['W', 'R'] as const) if (weights[k] === undefined) throw new ValueError(`missing the ${k} initializer`, op);
  if (cell === 'gru' && weights.P !== undefined) throw new ValueError('a GRU has no peepholes (P)', op);
  const G = cell === 'lstm' ? 4 : 3;
  const order = cell === 'lstm' ? ONNX_LSTM : ZRH_TO_RZN;
  return tidy(() =>
    noGrad(() => {
      const W = toTensor(weights.W, 'W', op, opts.dtype);
      const R = toTensor(weights.R, 'R', op, opts.dtype ?? (W.dtype as FloatDType));
      if (R.rank !== 3 || R.shape[1] !== G * R.shape[2]!) throw new ShapeError(`R must be [D, ${G}·H, H], got ${fmt(R.shape)}`, op);
      const [D, , H] = R.shape as [number, number, number];
      if (D !== 1 && D !== 2) throw new ShapeError(`the number of directions (R's first axis) must be 1 or 2, got ${D}`, op);
      if (W.rank !== 3 || W.shape[0] !== D || W.shape[1] !== G * H)
        throw new ShapeError(`W must be [${D}, ${G * H}, I] (D = ${D}, H = ${H}), got ${fmt(W.shape)}`, op);
      const B = weights.B === undefined ? undefined : toTensor(weights.B, 'B', op, W.dtype as FloatDType);
      if (B && (B.rank !== 2 || B.shape[0] !== D || B.shape[1] !== 2 * G * H))
        throw new ShapeError(`B must be [${D}, ${2 * G * H}], got ${fmt(B.shape)}`, op);
      const P = weights.P === undefined ? undefined : toTensor(weights.P, 'P', op, W.dtype as FloatDType);
      if (P && (P.rank !== 2 || P.shape[0] !== D || P.shape[1] !== 3 * H))
        throw new ShapeError(`P must be [${D}, ${3 * H}], got ${fmt(P.shape)}`, op);
      const out: StateDict = {};
      for (let d = 0; d < D; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        out[`weight_ih${suffix}`] = reorder(W.slice([d]), 0, H, order);
        out[`weight_hh${suffix}`] = reorder(R.slice([d]), 0, H, order);
        if (B) {
          const [wb, rb] = B.slice([d]).split(G * H) as [Tensor, Tensor];
          out[`bias_ih${suffix}`] = reorder(wb, 0, H, order);
          out[`bias_hh${suffix}`] = reorder(rb, 0, H, order);
        }
        if (P) out[`weight_peephole${suffix}`] = reorder(P.slice([d]), 0, H, ONNX_PEEPHOLE).reshape([3, H]);
      }
      return out;
    }),
  );
}

/** Splits `t` into blocks of `size` along `axis` and concatenates them in `order`. */
function reorder(t: Tensor, axis: number, size: number, order: readonly number[]): Tensor {
  const blocks = t.split(size, axis);
  return concat(
    order.map((k) => blocks[k]!),
    axis,
  );
}

function toTensor(v: WeightLike, name: string, op: string, dtype: FloatDType | undefined): Tensor {
  let t: Tensor;
  if (isTensor(v)) t = v;
  else if (Array.isArray(v) || typeof v === 'number') t = tensor(v as NestedArray<number>, { dtype: dtype ?? 'float64' });
  else throw new ValueError(`'${name}' must be a Tensor or nested arrays of numbers, got ${v === null ? 'null' : typeof v}`, op);
  const target = dtype ?? (t.dtype === 'float64' ? 'float64' : 'float32');
  return t.dtype === target ? t : t.cast(target);
}

function checkRecord(x: unknown, op: string): void {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ValueError('expected an object mapping names to weights', op);
}

function checkCell(opts: TargetOptions, op: string): 'lstm' | 'gru' {
  if (typeof opts !== 'object' || opts === null || (opts.cell !== 'lstm' && opts.cell !== 'gru'))
    throw new ValueError(`options.cell must be 'lstm' or 'gru', got ${JSON.stringify(opts?.cell)}`, op);
  return opts.cell;
}

function layerOf(opts: TargetOptions, op: string): number {
  const layer = opts.layer ?? 0;
  if (!Number.isInteger(layer) || layer < 0) throw new ValueError(`layer must be a non-negative integer, got ${layer}`, op);
  return layer;
}

/** Finds kernel, recurrent kernel and bias in a get_weights() list or a record of variable paths. */
function kerasParts(weights: KerasWeights, op: string): [WeightLike, WeightLike, WeightLike | undefined] {
  if (Array.isArray(weights)) {
    if (weights.length !== 2 && weights.length !== 3)
      throw new ValueError(`expected [kernel, recurrent_kernel, bias?] (get_weights()), got ${weights.length} arrays`, op);
    return [weights[0], weights[1], weights[2]];
  }
  checkRecord(weights, op);
  const record = weights as Readonly<Record<string, WeightLike>>;
  const find = (name: string, required: boolean) => {
    const keys = Object.keys(record).filter((k) => {
      const last = k.replace(/:\d+$/, '').split(/[/.]/).at(-1);
      return last === name;
    });
    if (keys.length > 1) throw new ValueError(`several keys name the ${name}: ${keys.join(', ')}; pass one layer's weights`, op);
    if (keys.length === 0 && required)
      throw new ValueError(`no key names the ${name} (keys: ${Object.keys(record).join(', ') || 'none'})`, op);
    return keys[0] === undefined ? undefined : record[keys[0]];
  };
  return [find('kernel', true)!, find('recurrent_kernel', true)!, find('bias', false)];
}
