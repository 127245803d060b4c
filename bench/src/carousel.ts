// Carousel: @carousel/nn LSTM/GRU (float32, the fused CPU kernels they use by default) + Linear
// head on the last step + mseLoss + SGD(lr 0.01), inside tidy; MM through autograd's matmul.
import { dispose, matmul, memory, noGrad, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { GRU, Linear, LSTM, mseLoss, SGD } from '@carousel/nn';
import { type Framework, type Runner, timeSync } from './runner.js';
import { isMatmul, randomArray, type Workload } from './workloads.js';

const f32 = (shape: number[], seed: number): Tensor =>
  tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    { shape, dtype: 'float32' },
  );

export const carousel: Framework = {
  name: 'Carousel',
  detail: 'nn.LSTM / nn.GRU (fused CPU kernels) + Linear + mseLoss + SGD, float32; autograd matmul',
  async setup(w: Workload): Promise<Runner> {
    setSeed(1234);
    if (isMatmul(w)) {
      const a = f32([w.M, w.K], 1);
      const b = f32([w.K, w.N], 2);
      const step = () => matmul(a, b).dispose();
      return {
        run: async (iters) => timeSync(step, iters),
        lossStep: async () => {
          step();
          return Number.NaN;
        },
        tensorBytes: () => {
          const c = matmul(a, b);
          const bytes = memory().numBytes;
          c.dispose();
          return bytes;
        },
        dispose: () => dispose([a, b]),
      };
    }
    const { I, H, B, T, O } = w;
    const rnn = w.cell === 'gru' ? new GRU(I, H) : new LSTM(I, H);
    const head = new Linear(H, O);
    const params = [...rnn.parameters(), ...head.parameters()];
    const opt = new SGD(params, { lr: 0.01 });
    const x = f32([T, B, I], 7);
    const target = f32([B, O], 11);
    const forward = () => head.forward(rnn.forward(x).state.h.reshape([B, H]));
    // `probe` reads the framework's live tensor bytes where a step holds the most: after the
    // backward (graph, activations and gradients alive) or, for inference, after the forward.
    let peak = 0;
    const probe = (at: boolean) => {
      if (at) peak = Math.max(peak, memory().numBytes);
    };
    const trainStep = (measure: boolean): number =>
      tidy(() => {
        const loss = mseLoss(forward(), target);
        loss.backward();
        probe(measure);
        opt.step();
        opt.zeroGrad();
        return loss.item() as number;
      });
    const inferStep = (measure: boolean): number =>
      noGrad(() =>
        tidy(() => {
          const y = forward();
          probe(measure);
          return y.dataSync()[0] ?? Number.NaN;
        }),
      );
    const step = w.mode === 'train' ? () => trainStep(false) : () => inferStep(false);
    return {
      run: async (iters) => timeSync(step, iters),
      lossStep: async () => {
        if (w.mode === 'train') return trainStep(false);
        inferStep(false);
        return Number.NaN;
      },
      tensorBytes: () => {
        peak = 0;
        if (w.mode === 'train') trainStep(true);
        else inferStep(true);
        return peak;
      },
      dispose: () => dispose([x, target, ...params]),
    };
  },
};
