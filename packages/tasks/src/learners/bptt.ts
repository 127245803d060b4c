import { BackendError, getBackend, noGrad, setSeed, type Tensor, tensor, tidy, ValueError } from '@carousel/autograd';
import { GRU, Linear, LSTM, Module, RNN } from '@carousel/nn';
import type { LearnerSpec, SequenceLearner } from './learner.js';

/** The zoo models that train by full BPTT, by CLI name. */
export const BPTT_MODELS = ['elman', 'lstm', 'peephole', 'coupled', 'gru'] as const;
/** A zoo model trained by BPTT. */
export type BpttModel = (typeof BPTT_MODELS)[number];

/**
 * The float type a baseline trains in on the active backend: float64 on the CPU (as the paper's
 * learner), float32 on the others (WebGPU's WGSL has no f64).
 *
 * @example
 * baselineDType(); // 'float64' on the CPU backend
 */
export const baselineDType = (): 'float32' | 'float64' => (getBackend() === 'cpu' ? 'float64' : 'float32');

/**
 * The zoo layer of a BPTT model, configured as every experiment's baseline (forget-gate LSTMs
 * start with forget bias 1).
 *
 * @param dtype float64 by default; {@link baselineDType} gives the active backend's.
 * @example
 * const layer = makeLayer('gru', 2, 8);
 */
export function makeLayer(
  model: BpttModel,
  inputSize: number,
  hidden: number,
  dtype: 'float32' | 'float64' = 'float64',
): Module & { forward(x: Tensor): { output: Tensor } } {
  switch (model) {
    case 'elman':
      return new RNN(inputSize, hidden, { dtype });
    case 'lstm':
      return forgetBiased(inputSize, hidden, dtype, false);
    case 'peephole':
      return forgetBiased(inputSize, hidden, dtype, true);
    case 'coupled':
      return new LSTM(inputSize, hidden, { dtype, coupled: true });
    case 'gru':
      return new GRU(inputSize, hidden, { dtype });
  }
}

/**
 * A forget-gate LSTM with forget bias 1 (bias_ih's f block 1, bias_hh's 0). nn's `forgetBias`
 * option writes it through a synchronous read, which WebGPU cannot do, so there the f block —
 * rows H…2H in PyTorch's gate order i, f, g, o — is set here with tensor ops instead.
 */
function forgetBiased(inputSize: number, hidden: number, dtype: 'float32' | 'float64', peephole: boolean): LSTM {
  if (getBackend() === 'cpu') return new LSTM(inputSize, hidden, { dtype, peephole, forgetBias: 1 });
  const layer = new LSTM(inputSize, hidden, { dtype, peephole });
  const inF = Float64Array.from({ length: 4 * hidden }, (_, i) => (i >= hidden && i < 2 * hidden ? 1 : 0));
  const biases = layer as unknown as Record<'bias_ih_l0' | 'bias_hh_l0', Tensor>;
  noGrad(() =>
    tidy(() => {
      const keep = tensor(
        inF.map((f) => 1 - f),
        { dtype },
      );
      biases.bias_ih_l0.assign(biases.bias_ih_l0.mul(keep).add(tensor(inF, { dtype })));
      biases.bias_hh_l0.assign(biases.bias_hh_l0.mul(keep));
    }),
  );
  return layer;
}

/** Options of {@link BaselineNet}. */
export interface BaselineNetOptions {
  inputSize: number;
  outputSize: number;
  /** Hidden units of the recurrent layer. */
  hidden: number;
  /** Output units: logistic (the paper's, default) or linear. */
  outputActivation?: 'logistic' | 'identity';
  /** float64 by default; {@link baselineDType} gives the active backend's. */
  dtype?: 'float32' | 'float64';
}

/**
 * A baseline of the paper's tables: a zoo recurrent layer (Elman RNN, forget-gate LSTM,
 * peephole, coupled, GRU), a linear head and the paper's output squash — the net
 * {@link bpttLearner} trains and `presets.<id>.<model>()` builds.
 *
 * @throws ValueError for an unknown model or a size that is not a positive integer.
 * @example
 * const net = new BaselineNet('gru', { inputSize: 2, outputSize: 1, hidden: 8 });
 * net.forward(randn([100, 4, 2], { dtype: 'float64' })).shape; // [100, 4, 1]
 */
export class BaselineNet extends Module {
  /** The zoo recurrent layer (Elman RNN, LSTM variant or GRU, float64 or float32). */
  layer: Module & {
    /** Runs `[T, B, inputSize]`; `output` is `[T, B, hidden]`. */
    forward(x: Tensor): { output: Tensor };
  };
  head: Linear;
  readonly model: BpttModel;
  readonly config: Readonly<Required<BaselineNetOptions>>;

  constructor(model: BpttModel, opts: BaselineNetOptions) {
    super();
    if (!(BPTT_MODELS as readonly string[]).includes(model))
      throw new ValueError(`unknown baseline '${model}'; available: ${BPTT_MODELS.join(', ')}`, 'BaselineNet');
    for (const name of ['inputSize', 'outputSize', 'hidden'] as const) {
      const v = opts[name];
      if (!Number.isSafeInteger(v) || v < 1) throw new ValueError(`${name} must be a positive integer, got ${v}`, 'BaselineNet');
    }
    this.model = model;
    this.config = { outputActivation: 'logistic', dtype: 'float64', ...opts };
    this.layer = makeLayer(model, opts.inputSize, opts.hidden, this.config.dtype);
    this.head = new Linear(opts.hidden, opts.outputSize, { dtype: this.config.dtype });
  }

  /** `[T, B, inputSize]` (or unbatched `[T, inputSize]`) → the squashed outputs at every step, `[T, B, outputSize]` (`[T, outputSize]`). */
  forward(x: Tensor): Tensor {
    const y = this.head.forward(this.layer.forward(x).output);
    return this.config.outputActivation === 'identity' ? y : y.sigmoid();
  }
}

/** A {@link bpttLearner}: the synchronous learner plus the asynchronous reads WebGPU needs. */
export interface BpttLearner extends SequenceLearner {
  /** The net being trained. */
  readonly net: BaselineNet;
  /** `train` on any backend: the loss is read with `await t.data()`. */
  trainAsync(xs: readonly Float64Array[], targets: readonly (Float64Array | null)[]): Promise<number>;
  /** `predict` on any backend. */
  predictAsync(xs: readonly Float64Array[]): Promise<Float64Array[]>;
}

/**
 * A zoo model (Elman RNN, forget-gate LSTM, peephole, coupled, GRU) with a linear head and the
 * paper's output squash, trained by full BPTT with one SGD update per sequence on the paper's
 * loss ½·Σ(t − y)². The baseline side of every table. It trains in the active backend's float
 * type ({@link baselineDType}): float64 on the CPU, float32 on WebGPU, where results can only be
 * read asynchronously — use `trainAsync` / `predictAsync` there.
 *
 * @param dtype the float type to train in (default {@link baselineDType}: the backend's).
 * @throws BackendError for float64 on WebGPU, and from `train` / `predict` on WebGPU (synchronous reads).
 * @example
 * const elman = bpttLearner('elman', { inputSize: 2, outputSize: 1, lr: 0.1, seed: 1 }, 8);
 * const xs = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
 * elman.train(xs, [null, Float64Array.of(1)]);
 */
export function bpttLearner(model: BpttModel, spec: LearnerSpec, hidden: number, dtype = baselineDType()): BpttLearner {
  const backend = getBackend();
  if (backend !== 'cpu' && dtype === 'float64')
    throw new BackendError(
      `the ${model} baseline cannot train in float64 on ${backend} (only the CPU has float64): use float32`,
      'bpttLearner',
    );
  setSeed(spec.seed);
  const net = new BaselineNet(model, { ...spec, hidden, outputActivation: spec.outputActivation ?? 'logistic', dtype });
  const params = net.parameters();
  const K = spec.outputSize;
  const input = (xs: readonly Float64Array[]) => tensor(concatRows(xs), { shape: [xs.length, 1, spec.inputSize], dtype });
  const sync = (op: string) => {
    if (getBackend() !== 'cpu')
      throw new BackendError(
        `the ${model} baseline trains on '${getBackend()}', where results can only be read asynchronously: use ${op}Async()`,
        `bpttLearner.${op}`,
      );
  };
  /** One SGD step on ½·Σ over the target steps; returns the loss (detached, alive). */
  const step = (xs: readonly Float64Array[], targets: readonly (Float64Array | null)[]) => {
    if (getBackend() !== backend)
      throw new BackendError(`the ${model} baseline was built on '${backend}', the active backend is '${getBackend()}'`, 'bpttLearner');
    return tidy(() => {
      const y = net.forward(input(xs)).reshape([xs.length, K]);
      const mask = new Float64Array(xs.length * K);
      const target = new Float64Array(xs.length * K);
      targets.forEach((t, i) => {
        if (!t) return;
        target.set(t, i * K);
        mask.fill(1, i * K, (i + 1) * K);
      });
      const shape = [xs.length, K];
      const diff = y.sub(tensor(target, { shape, dtype })).mul(tensor(mask, { shape, dtype }));
      const loss = diff.square().sum().mul(0.5);
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          p.assign(p.sub(p.grad!.mul(spec.lr)));
          p.grad!.dispose();
          p.grad = null;
        }
      });
      return loss.detach();
    });
  };
  const outputs = (xs: readonly Float64Array[]) => noGrad(() => tidy(() => net.forward(input(xs))));
  const rows = (y: ArrayLike<number>, T: number) =>
    Array.from({ length: T }, (_, t) => Float64Array.from({ length: K }, (__, k) => y[t * K + k]!));
  return {
    name: model,
    net,
    numWeights: net.numParameters(),
    train(xs, targets) {
      sync('train');
      const loss = step(xs, targets);
      const v = loss.item() as number;
      loss.dispose();
      return v;
    },
    async trainAsync(xs, targets) {
      const loss = step(xs, targets);
      const v = (await loss.data())[0]!;
      loss.dispose();
      return v;
    },
    predict(xs) {
      sync('predict');
      const y = outputs(xs);
      const out = rows(y.dataSync(), xs.length);
      y.dispose();
      return out;
    },
    async predictAsync(xs) {
      const y = outputs(xs);
      const out = rows(await y.data(), xs.length);
      y.dispose();
      return out;
    },
  };
}

function concatRows(rows: readonly Float64Array[]): Float64Array {
  const n = rows[0]?.length ?? 0;
  const out = new Float64Array(rows.length * n);
  rows.forEach((r, i) => {
    out.set(r, i * n);
  });
  return out;
}
