// brain.js 1.6.1 (npm latest; pure JS): recurrent.LSTMTimeStep / GRUTimeStep, as
// shared/bench/brainjs_bench.js. It has no batching (a B>1 step is B sequences, each its own
// trainPattern = fwd+bwd+update), predicts the next vector at every step (head at every step),
// updates with RMSprop + clipping and ties O to I. MM uses its internal recurrent matrix multiply.
import { createRequire } from 'node:module';
import { type Framework, type Runner, timeSync } from './runner.js';
import { isMatmul, randomArray, type Workload } from './workloads.js';

const require = createRequire(import.meta.url);

interface BrainNet {
  train(data: number[][][], opts: object): unknown;
  formatData(data: number[][][]): unknown[];
  trainPattern(input: unknown, logErrorRate?: boolean): number;
  run(input: unknown): unknown;
}
interface BrainMatrix {
  weights: Float32Array;
}
type MatrixCtor = new (rows: number, cols: number) => BrainMatrix;

export const brainVersion = (): string => (require('brain.js/package.json') as { version: string }).version;

export const brainjs: Framework = {
  name: 'brain.js',
  lossFalls: false,
  detail: `brain.js ${brainVersion()} LSTMTimeStep/GRUTimeStep (no batching: B sequences per step, RMSprop, head every step)`,
  async setup(w: Workload): Promise<Runner> {
    if (isMatmul(w)) {
      const Matrix = (require('brain.js/dist/recurrent/matrix') as { default: MatrixCtor }).default;
      const multiply = (
        require('brain.js/dist/recurrent/matrix/multiply') as { default: (o: BrainMatrix, a: BrainMatrix, b: BrainMatrix) => void }
      ).default;
      const mk = (r: number, c: number, seed: number) => {
        const m = new Matrix(r, c);
        m.weights.set(randomArray(r * c, seed));
        return m;
      };
      const a = mk(w.M, w.K, 1);
      const b = mk(w.K, w.N, 2);
      const out = new Matrix(w.M, w.N);
      const step = () => multiply(out, a, b);
      return {
        run: async (iters) => timeSync(step, iters),
        lossStep: async () => {
          step();
          return Number.NaN;
        },
        dispose: () => {},
      };
    }
    const brain = require('brain.js') as { recurrent: Record<string, new (opts: object) => BrainNet> };
    const Net = w.cell === 'gru' ? brain.recurrent.GRUTimeStep! : brain.recurrent.LSTMTimeStep!;
    const net = new Net({ inputSize: w.I, hiddenLayers: [w.H], outputSize: w.I });
    const seqs: number[][][] = [];
    for (let b = 0; b < w.B; b++) {
      const flat = randomArray((w.T + 1) * w.I, 100 + b);
      const seq: number[][] = [];
      for (let t = 0; t <= w.T; t++) seq.push(Array.from(flat.subarray(t * w.I, (t + 1) * w.I)));
      seqs.push(seq);
    }
    net.train([seqs[0]!], { iterations: 1, log: false, learningRate: 0.01 }); // builds the model
    const data = net.formatData(seqs) as unknown[][];
    const train = (log: boolean) => {
      let err = 0;
      for (let b = 0; b < w.B; b++) err += net.trainPattern(data[b], log);
      return err / w.B;
    };
    const infer = () => {
      for (let b = 0; b < w.B; b++) net.run(data[b]!.slice(0, w.T));
    };
    const step = w.mode === 'train' ? () => train(false) : infer;
    return {
      run: async (iters) => timeSync(step, iters),
      lossStep: async () => {
        if (w.mode === 'train') return train(true);
        infer();
        return Number.NaN;
      },
      dispose: () => {},
    };
  },
};
