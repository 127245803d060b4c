// Gradient-flow diagnostics: the 1997 paper's §3 (vanishing error in conventional recurrent
// nets) measured by autograd rather than derived.
import { setSeed, type Tensor, tensor, tidy, uniform, ValueError } from '@carousel/autograd';
import { Linear, LSTM, LSTM1997, RNN } from '@carousel/nn';
import type { LineChart } from './plot.js';

/** Options of {@link gradientFlow}. */
export interface FlowOptions {
  /** Largest lag q measured (default 40): the sequence has lags + 1 steps. */
  lags?: number;
  /** Hidden units of the Elman net and of the forget-gate LSTM; memory cells of LSTM 1997 (default 16). */
  hidden?: number;
  /** Input units (default 4). */
  inputSize?: number;
  /** Seeds the input sequence and the weights (default 1). */
  seed?: number;
}

/** The nets {@link gradientFlow} compares, in column order. */
export const FLOW_MODELS = [
  { id: 'elman', label: 'Elman RNN (tanh)' },
  { id: 'lstm1997', label: 'LSTM 1997 (CEC)' },
  { id: 'lstm', label: 'LSTM + forget gate' },
] as const;
/** The id of a net {@link gradientFlow} compares. */
export type FlowModel = (typeof FLOW_MODELS)[number]['id'];

/** ‖∂L/∂x(T−q)‖ for q = 0..lags, per model. */
export interface FlowResult {
  lags: number;
  hidden: number;
  inputSize: number;
  seed: number;
  /** `norms[model][q]` = ‖∂L/∂x(T−q)‖₂. */
  norms: Record<FlowModel, number[]>;
}

/**
 * Measures how much error reaches the input `q` steps back: every net reads the same random
 * input sequence x(1..T) (uniform in ±1), the loss is ½(y(T) − 1)² on the last output only,
 * and autograd gives ∂L/∂x(t) at every step (x requires grad). The nets, at their usual
 * initialisation, in float64:
 *
 * - `elman`: a tanh RNN (PyTorch's U(±1/√H) init) with a linear output; its error decays
 *   exponentially with q (§3.1: |f'·w| < 1 per step).
 * - `lstm1997`: the paper's LSTM (one cell per block, its truncated gradient): error reaches
 *   x(T−q) only through the constant error carousel, so it does not decay with q.
 * - `lstm`: today's LSTM with a forget gate (bias 1): the carousel leaks by the forget gate's
 *   activation each step, so its error decays too, slower than Elman's.
 *
 * @example
 * const { norms } = gradientFlow({ lags: 20 });
 * norms.elman[20]! / norms.elman[0]!; // ~1e-6
 */
export function gradientFlow(opts: FlowOptions = {}): FlowResult {
  const lags = opts.lags ?? 40;
  const hidden = opts.hidden ?? 16;
  const inputSize = opts.inputSize ?? 4;
  const seed = opts.seed ?? 1;
  for (const [name, v, min] of [
    ['lags', lags, 0],
    ['hidden', hidden, 1],
    ['inputSize', inputSize, 1],
    ['seed', seed, 0],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < min)
      throw new ValueError(`${name} must be a ${min ? 'positive' : 'non-negative'} integer, got ${v}`, 'gradientFlow');
  }
  const T = lags + 1;
  const dtype = 'float64';
  setSeed(seed);
  const xData = tidy(() => uniform([T, 1, inputSize], -1, 1, { dtype }).dataSync());
  const nets: Record<FlowModel, (x: Tensor) => Tensor> = {
    elman: (() => {
      const rnn = new RNN(inputSize, hidden, { dtype });
      const head = new Linear(hidden, 1, { dtype });
      return (x) =>
        head.forward(
          rnn
            .forward(x)
            .output.slice([[T - 1, T]])
            .reshape([1, hidden]),
        );
    })(),
    lstm1997: (() => {
      const net = new LSTM1997({ inputSize, outputSize: 1, blocks: hidden, cellsPerBlock: 1, dtype });
      return (x) =>
        net
          .forward(x)
          .output.slice([[T - 1, T]])
          .reshape([1, 1]);
    })(),
    lstm: (() => {
      const lstm = new LSTM(inputSize, hidden, { dtype, forgetBias: 1 });
      const head = new Linear(hidden, 1, { dtype });
      return (x) =>
        head.forward(
          lstm
            .forward(x)
            .output.slice([[T - 1, T]])
            .reshape([1, hidden]),
        );
    })(),
  };
  const norms = Object.fromEntries(
    FLOW_MODELS.map(({ id }) => [
      id,
      tidy(() => {
        const x = tensor(xData, { shape: [T, 1, inputSize], dtype, requiresGrad: true });
        const loss = nets[id](x).sub(1).square().sum().mul(0.5);
        loss.backward();
        const g = x.grad!.dataSync();
        return Array.from({ length: T }, (_, q) => {
          let s = 0;
          for (let i = 0; i < inputSize; i++) s += g[(T - 1 - q) * inputSize + i]! ** 2;
          return Math.sqrt(s);
        });
      }),
    ]),
  ) as Record<FlowModel, number[]>;
  return { lags, hidden, inputSize, seed, norms };
}

/** The plot of a {@link gradientFlow} measurement: norms against the lag, one line per net, log scale. */
export function flowChart(flow: FlowResult): LineChart {
  return {
    title: `Error reaching the input q steps back (hidden ${flow.hidden}, seed ${flow.seed})`,
    x: 'lag q',
    y: '‖∂L/∂x(T−q)‖',
    logY: true,
    series: FLOW_MODELS.map(({ id, label }) => ({ name: label, points: flow.norms[id].map((n, q) => [q, n] as const) })),
  };
}
