// An LSTM learning next-symbol prediction on embedded Reber strings, trained with Adam from a fixed
// seed on any backend: shared by webgpu-training.test.ts (CPU vs WebGPU) and
// webgpu-training-f16.test.ts (WebGPU with f16 storage).
import { getBackend, memory, setBackend, setSeed, type Tensor, tensor, tidy, type WebGPUOptions } from '@carousel/autograd';
// @carousel/tasks depends on this package, so its generators are imported by path, not by name.
import { embeddedReberString, SYMBOLS } from '../../tasks/src/experiments/reber.js';
import { Rng } from '../../tasks/src/rng.js';
import { Adam, crossEntropy, Linear, LSTM, type Optimizer } from '../src/index.js';

export const SEED = 7;
const HIDDEN = 8;
const BATCH = 8;
export const STEPS = 30;
const IGNORE = -100;

interface Batch {
  /** One-hot inputs, `[T, B, 7]` (zeros after a string's end). */
  x: Float32Array;
  /** Next-symbol class indices, `[T, B]` (IGNORE after a string's end). */
  y: Int32Array;
  T: number;
}

/** A batch of embedded Reber strings, padded to the longest; the data stream is backend-independent. */
function makeBatch(rng: Rng): Batch {
  const strings = Array.from({ length: BATCH }, () => embeddedReberString(rng));
  const T = Math.max(...strings.map((s) => s.length)) - 1;
  const x = new Float32Array(T * BATCH * SYMBOLS.length);
  const y = new Int32Array(T * BATCH).fill(IGNORE);
  strings.forEach((s, b) => {
    for (let t = 0; t < s.length - 1; t++) {
      x[(t * BATCH + b) * SYMBOLS.length + SYMBOLS.indexOf(s[t] as (typeof SYMBOLS)[number])] = 1;
      y[t * BATCH + b] = SYMBOLS.indexOf(s[t + 1] as (typeof SYMBOLS)[number]);
    }
  });
  return { x, y, T };
}

export interface Run {
  /** The backend it trained on (`getBackend()`). */
  backend: string;
  losses: number[];
  /**
   * `memory()` after each step: tensors ever made and not disposed (live + collected by the GC
   * safety net, so a leak shows even when the GC reclaims it, and leftovers of earlier code that
   * the GC happens to collect now do not count), and bytes on the backend.
   */
  tensors: number[];
  bytes: number[];
}

/** The optimizer of the original test: Adam at lr 0.03. */
export const adam = (params: Tensor[]): Optimizer => new Adam(params, { lr: 0.03 });

/**
 * Builds the model from SEED on `backend` (with `options`, e.g. `{ f16: true }`) and trains it for
 * STEPS steps of the optimizer `makeOptimizer` makes.
 */
export async function train(backend: 'cpu' | 'webgpu', options: WebGPUOptions = {}, makeOptimizer = adam): Promise<Run> {
  await setBackend(backend, backend === 'webgpu' ? options : undefined);
  const name = getBackend();
  setSeed(SEED);
  const lstm = new LSTM(SYMBOLS.length, HIDDEN);
  const head = new Linear(HIDDEN, SYMBOLS.length);
  const params = [...lstm.parameters(), ...head.parameters()];
  const opt = makeOptimizer(params);
  const rng = new Rng(SEED);
  const run: Run = { backend: name, losses: [], tensors: [], bytes: [] };
  for (let step = 0; step < STEPS; step++) {
    const { x, y, T } = makeBatch(rng);
    const loss = tidy(() => {
      const input = tensor(x, { shape: [T, BATCH, SYMBOLS.length] });
      const target = tensor(y, { shape: [T, BATCH], dtype: 'int32' });
      const logits = head.forward(lstm.forward(input).output);
      const l: Tensor = crossEntropy(logits, target, { axis: -1, ignoreIndex: IGNORE });
      l.backward();
      opt.step();
      return l.detach();
    });
    opt.zeroGrad();
    run.losses.push((await loss.data())[0]!);
    loss.dispose();
    const m = memory();
    run.tensors.push(m.numTensors + m.numFinalized);
    run.bytes.push(m.bytesByBackend[name] ?? 0);
  }
  opt.dispose();
  for (const p of params) p.dispose();
  await setBackend('cpu');
  return run;
}
