// The custom-cell guide (docs/custom-cell.md) as a program: check the MGU's gradients, train it
// on a toy memory task with Adam, save it to safetensors and load it back.
//
//   pnpm start            the full run (about a minute)
//   pnpm start --quick    a few seconds (also: QUICK=1)
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randn, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { gradcheck } from '@carousel/autograd/testing';
import { Adam, bceWithLogits, Linear, loadSafetensors, Module, Recurrent, saveSafetensors } from '@carousel/nn';
import { MGUCell, mguStep } from './mgu.js';

const quick = process.argv.includes('--quick') || process.env.QUICK === '1';
const T = quick ? 10 : 20; // sequence length
const steps = quick ? 150 : 600; // Adam steps
const batch = 32;
const hidden = 16;

// ---- 1. gradcheck: the step function against central differences, in float64 ------------------
setSeed(0);
const f64 = (shape: number[]) => randn(shape, { dtype: 'float64' });
const [I, H, B] = [2, 3, 4];
const args = [f64([B, I]), f64([B, H]), f64([2 * H, I]), f64([2 * H, H]), f64([2 * H])];
gradcheck(mguStep, args); // ∂/∂x, ∂/∂h, ∂/∂W_ih, ∂/∂W_hh, ∂/∂b
gradcheck(mguStep, args, { order: 2 }); // and gradients of gradients
// through the sequence layer, with respect to the whole input sequence
const layer = new Recurrent(I, H, (i, h) => new MGUCell(i, h, { dtype: 'float64' })); // nn's sequence layer
gradcheck((x) => layer.forward(x).output, [f64([5, B, I])]);
console.log('gradcheck: the MGU step (orders 1 and 2) and a 5-step sequence agree with finite differences');

// ---- 2. a toy task: report the sign shown at a marked step, at the end of the sequence ---------
// input [T, B, 2]: channel 0 is a random ±1 at every step, channel 1 marks one step in the first
// half; the target is channel 0 at the marked step. Noise after the mark must be ignored, so the
// cell has to learn to close its gate.
let seed = 1;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
function makeBatch(): { x: Tensor<'float32'>; y: Tensor<'float32'> } {
  const x = new Float32Array(T * batch * 2);
  const y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const mark = Math.floor(random() * (T / 2));
    for (let t = 0; t < T; t++) {
      const v = random() < 0.5 ? -1 : 1;
      x[(t * batch + b) * 2] = v;
      if (t === mark) {
        x[(t * batch + b) * 2 + 1] = 1;
        y[b] = v > 0 ? 1 : 0;
      }
    }
  }
  return { x: tensor(x, { shape: [T, batch, 2] }), y: tensor(y, { shape: [batch, 1] }) };
}

class Recaller extends Module {
  rnn: Recurrent<MGUCell>;
  head: Linear;
  constructor(hiddenSize: number) {
    super();
    this.rnn = new Recurrent(2, hiddenSize, (i, h) => new MGUCell(i, h));
    this.head = new Linear(hiddenSize, 1);
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.rnn.forward(x).state.squeeze(0)); // the final h, [1, B, H] → [B, H]: one logit per sequence
  }
}

setSeed(1);
const model = new Recaller(hidden);
const opt = new Adam(model.parameters(), { lr: 0.01 });
const accuracy = (logits: Tensor, y: Tensor<'float32'>) => logits.gt(0).cast('float32').eq(y).cast('float32').mean().item();
const started = performance.now();
for (let step = 1; step <= steps; step++) {
  const { loss, acc } = tidy(() => {
    const { x, y } = makeBatch();
    const logits = model.forward(x);
    const loss = bceWithLogits(logits, y);
    loss.backward();
    return { loss: loss.item() as number, acc: accuracy(logits, y) };
  });
  opt.step();
  opt.zeroGrad();
  if (step % (steps / 5) === 0)
    console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}  batch accuracy ${(100 * acc).toFixed(0)}%`);
}
console.log(`trained ${model.numParameters()} parameters for ${steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// ---- 3. save to safetensors, load into a fresh model, check it computes the same function -------
const file = join(tmpdir(), 'carousel-mgu-recaller.safetensors');
writeFileSync(file, saveSafetensors(model.stateDict(), { cell: 'MGU', hiddenSize: String(hidden) }));
const { tensors, metadata } = loadSafetensors(readFileSync(file));
const restored = new Recaller(Number(metadata.hiddenSize)).loadStateDict(tensors);
const same = tidy(() => {
  const { x, y } = makeBatch();
  const a = model.forward(x);
  const b = restored.forward(x);
  console.log(`held-out batch accuracy ${(100 * accuracy(b, y)).toFixed(0)}%`);
  return a.sub(b).abs().max().item() as number;
});
console.log(`saved ${Object.keys(tensors).join(', ')} to ${file}; reloaded model differs by ${same}`);
