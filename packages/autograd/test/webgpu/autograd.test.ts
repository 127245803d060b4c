// WebGPU end to end: gradients of a small MLP equal the CPU's, a 1,000-step training loop inside
// tidy keeps memory flat with a bounded buffer pool, and the backend's documented errors.
import { describe, expect, it } from 'vitest';
import { activeBackend } from '../../src/backends/backend.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';
import { BackendError, memory, type Tensor, tensor, tidy, valueAndGrad, zeros } from '../../src/index.js';
import { compare, input, reportParity, useWebGPU, webgpuAvailable } from './harness.js';

const available = await webgpuAvailable();

/** Cross-entropy of a two-layer tanh MLP plus an L2 term: matmul, broadcasting, reductions, gather, logSoftmax. */
function mlpLoss(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, x: Tensor, labels: Tensor<'int32'>): Tensor {
  const h = x.matmul(w1).add(b1).tanh();
  const logits = h.matmul(w2).add(b2);
  const nll = logits
    .logSoftmax(-1)
    .gather(1, labels.reshape([-1, 1]))
    .mean()
    .neg();
  return nll.add(w1.square().sum().mul(1e-3)).add(h.sigmoid().gelu().mean().mul(0.1));
}

describe.skipIf(!available)('webgpu autograd and memory', () => {
  useWebGPU();
  reportParity('autograd');

  it('backward of a small MLP loss equals the CPU result', async () => {
    await compare(
      'MLP loss and gradients',
      () => {
        const params = [
          input([6, 16], 1, { lo: -0.5, hi: 0.5 }),
          input([16], 2, { lo: -0.1, hi: 0.1 }),
          input([16, 4], 3, { lo: -0.5, hi: 0.5 }),
          input([4], 4),
        ];
        const x = input([10, 6], 5);
        const labels = input([10], 6, { dtype: 'int32', lo: 0, hi: 4 });
        const f = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => mlpLoss(w1, b1, w2, b2, x, labels);
        const [loss, grads] = valueAndGrad(f, { argnums: [0, 1, 2, 3] })(...(params as [Tensor, Tensor, Tensor, Tensor]));
        return [loss, ...grads];
      },
      { atol: 2e-6, rtol: 1e-4 },
    );
  });

  it('Tensor.backward() accumulates leaf gradients on WebGPU as on the CPU', async () => {
    await compare('backward() leaves', () => {
      const w = input([4, 3], 7).detach();
      w.requiresGrad = true;
      const x = input([5, 4], 8);
      x.matmul(w).relu().pow(2).sum().backward();
      x.matmul(w).softmax(-1).max(-1).sum().backward(); // accumulates
      return [w.grad!.clone()]; // w (and with it w.grad) is disposed by the tidy around build
    });
  });

  it('1,000 training steps inside tidy keep memory flat and the buffer pool bounded', async () => {
    const gpu = activeBackend() as WebGPUBackend;
    const [w, x, y] = tidy(() => {
      const x = input([32, 8], 10);
      return [input([8, 1], 9, { lo: -0.1, hi: 0.1 }), x, x.matmul(input([8, 1], 11))];
    });
    const step = () =>
      tidy(() => {
        const [l, g] = valueAndGrad((v: Tensor<'float32'>) => x.matmul(v).sub(y).square().mean())(w);
        w.assign(w.sub(g.mul(0.05)));
        return l;
      });
    const first = step();
    const firstLoss = (await first.data())[0]!;
    first.dispose();
    for (let i = 0; i < 10; i++) step().dispose(); // warm-up: the pool fills to its working set
    await gpu.sync();
    const before = memory();
    const poolBefore = gpu.stats().buffers;
    let last = 0;
    for (let i = 0; i < 1000; i++) {
      const l = step();
      if (i === 999) last = (await l.data())[0]!;
      l.dispose();
    }
    await gpu.sync();
    const after = memory();
    const poolAfter = gpu.stats().buffers;
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBuffers).toBe(before.numBuffers);
    expect(after.bytesByBackend.webgpu).toBe(before.bytesByBackend.webgpu);
    expect(poolAfter.liveBuffers).toBe(poolBefore.liveBuffers);
    expect(poolAfter.created).toBe(poolBefore.created); // every step reused pooled buffers
    expect(poolAfter.pooledBuffers).toBe(poolBefore.pooledBuffers);
    expect(poolAfter.reused - poolBefore.reused).toBeGreaterThan(10_000);
    expect(last).toBeLessThan(firstLoss * 0.01); // and it trained
    w.dispose();
    x.dispose();
    y.dispose();
  }, 60_000);

  it('dataSync/item throw a BackendError pointing to await t.data()', async () => {
    const t = tensor([1, 2, 3]);
    expect(t.backend).toBe('webgpu');
    expect(() => t.dataSync()).toThrow(BackendError);
    expect(() => t.dataSync()).toThrow(/await t\.data\(\)/);
    expect(() => t.sum().item()).toThrow(/await t\.data\(\)/);
    expect([...(await t.data())]).toEqual([1, 2, 3]);
    t.dispose();
  });

  it('float64 tensors are refused with a BackendError naming float32 and the cpu backend', () => {
    expect(() => zeros([2], { dtype: 'float64' })).toThrow(BackendError);
    expect(() => zeros([2], { dtype: 'float64' })).toThrow(/float32.*'cpu' backend/);
  });

  it('memory() reports WebGPU bytes, and dispose returns buffers to the pool', async () => {
    const gpu = activeBackend() as WebGPUBackend;
    const bytes0 = memory().bytesByBackend.webgpu ?? 0;
    const live0 = gpu.stats().buffers.liveBuffers;
    const t = zeros([1000]);
    expect(memory().bytesByBackend.webgpu).toBe(bytes0 + gpu.bytes(t.storage.buf));
    expect(gpu.bytes(t.storage.buf)).toBeGreaterThanOrEqual(4000);
    expect(gpu.stats().buffers.liveBuffers).toBe(live0 + 1);
    t.dispose();
    expect(memory().bytesByBackend.webgpu).toBe(bytes0);
    expect(gpu.stats().buffers.liveBuffers).toBe(live0);
    const again = zeros([999]); // same size class: served from the pool
    const reused = gpu.stats().buffers.reused;
    again.dispose();
    expect(reused).toBeGreaterThan(0);
  });

  it('a read started before dispose still returns the data', async () => {
    const t = tensor([4, 5, 6]).mul(2);
    const pending = t.data();
    t.dispose();
    const u = tensor([7, 7, 7]); // likely reuses the freed buffer
    expect([...(await pending)]).toEqual([8, 10, 12]);
    u.dispose();
  });
});
