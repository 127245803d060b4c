// The embedded Reber training loop (reber-training.ts) on WebGPU with f16 storage: weights,
// gradients, optimizer state and activations are all halves, with no f32 master weights.
//  - SGD follows the CPU's float32 loss curve to f16 precision (same seed, same data);
//  - Adam learns, with eps = 1e-4: its default 1e-8 rounds to 0 in half, and a parameter whose
//    gradient is exactly 0 (here the input weights of the end symbol, never an input) would get
//    0/0 = NaN on the first step — so the optimizers refuse such an eps on this backend. Its second moment also underflows for |g| ≲ 8e-3 (g²·(1 − β₂)
//    is below the smallest half), so its steps are larger than in float32;
//  - memory stays flat over the loop, at fewer bytes than the float32-stored run;
//  - an update below half a unit in the last place of a weight is lost (what stalls f16 training
//    at small learning rates).
import '../../autograd/test/webgpu/f16.js';
import { setBackend, type Tensor, tensor } from '@carousel/autograd';
import { afterAll, describe, expect, it } from 'vitest';
import { roundHalf } from '../../autograd/src/backends/webgpu/half.js';
import { f16Available } from '../../autograd/test/webgpu/f16.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD } from '../src/index.js';
import { train } from './reber-training.js';

const available = await f16Available();
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe.skipIf(!available)('training an LSTM on embedded Reber with f16 storage', () => {
  afterAll(() => setBackend('cpu'));

  it('SGD: the f16 loss curve follows the CPU float32 one', async () => {
    const sgd = (p: Tensor[]) => new SGD(p, { lr: 1 });
    const cpu = await train('cpu', {}, sgd);
    const half = await train('webgpu', { f16: true }, sgd);
    expect(half.backend).toBe('webgpu-f16');
    const worst = Math.max(...cpu.losses.map((c, i) => Math.abs(c - half.losses[i]!) / c));
    console.log(
      `[webgpu-f16 training] SGD: loss ${cpu.losses[0]!.toFixed(4)} → ${cpu.losses.at(-1)!.toFixed(4)} (cpu), ` +
        `${half.losses[0]!.toFixed(4)} → ${half.losses.at(-1)!.toFixed(4)} (webgpu-f16); worst relative gap ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(5e-3);
  }, 60_000);

  it('Adam (eps 1e-4) learns, with flat memory at fewer bytes than float32 storage', async () => {
    const adam = (p: Tensor[]) => new Adam(p, { lr: 0.03, eps: 1e-4 });
    const single = await train('webgpu', {}, adam);
    const half = await train('webgpu', { f16: true }, adam);
    expect(half.losses.every(Number.isFinite), `losses ${half.losses}`).toBe(true);
    expect(mean(half.losses.slice(-5))).toBeLessThan(0.75 * mean(half.losses.slice(0, 5)));
    expect(new Set(half.tensors.slice(1)).size, `undisposed tensors ${half.tensors}`).toBe(1);
    expect(Math.max(...half.bytes.slice(1))).toBeLessThanOrEqual(half.bytes[1]!);
    // float32 tensors take half the bytes; the int32 targets and the pool's size classes do not halve
    expect(half.bytes[1]!).toBeLessThan(0.75 * single.bytes[1]!);
    console.log(
      `[webgpu-f16 training] Adam: loss ${single.losses[0]!.toFixed(4)} → ${single.losses.at(-1)!.toFixed(4)} (webgpu), ` +
        `${half.losses[0]!.toFixed(4)} → ${half.losses.at(-1)!.toFixed(4)} (webgpu-f16); live bytes ${single.bytes[1]} vs ${half.bytes[1]}`,
    );
  }, 60_000);

  it('an eps that rounds to 0 in half is refused, naming the backend and the fix', async () => {
    await setBackend('webgpu', { f16: true });
    const w = tensor([1, 2], { requiresGrad: true });
    for (const make of [
      (p: Tensor[]) => new Adam(p),
      (p: Tensor[]) => new AdamW(p),
      (p: Tensor[]) => new RMSprop(p),
      (p: Tensor[]) => new Adagrad(p),
    ])
      expect(() => make([w])).toThrow(/eps 1e-(8|10) rounds to 0 on backend 'webgpu-f16'.*use eps: 1e-4/);
    expect(() => new Adam([{ params: [w], eps: 3e-8 }])).toThrow('rounds to 0');
    new Adam([w], { eps: 1e-4 }).dispose();
    w.dispose();
    // the same defaults are fine where float32 is stored as f32
    await setBackend('webgpu');
    const v = tensor([1, 2], { requiresGrad: true });
    new Adam([v]).dispose();
    v.dispose();
  });

  it('an SGD update below half an ulp of a weight is lost in f16, and kept in float32', async () => {
    const step = async (options: { f16?: boolean }) => {
      await setBackend('webgpu', options);
      const w = tensor([1, 1000, 0.001], { requiresGrad: true });
      const opt = new SGD([w], { lr: 1e-4 });
      w.grad = tensor([1, 1, 1]);
      opt.step();
      const after = Array.from(await w.data());
      opt.dispose();
      w.dispose();
      return after;
    };
    // a half's ulp is 2⁻¹⁰ just above 1 (2⁻¹¹ below) and 0.5 at 1000: 1e-4 is lost on both; not on 0.001
    const [one, thousand, small] = await step({ f16: true });
    expect([one, thousand]).toEqual([1, 1000]);
    expect(small).toBeLessThan(roundHalf(0.001));
    const single = await step({});
    expect(single.map((v, i) => v < [1, 1000, Math.fround(0.001)][i]!)).toEqual([true, true, true]);
  });
});
