// WebGPU end to end: gradients of a small MLP equal the CPU's, a 10,000-step training loop inside
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

  it('10,000 training steps of a small MLP leak nothing: memory() and the buffer pool stay flat', async () => {
    const gpu = activeBackend() as WebGPUBackend;
    // tiny on purpose (a 2-4-1 tanh MLP, batch 4, no biases, plain SGD): 31 dispatches a step,
    // so the loop's time is the per-dispatch overhead, not arithmetic
    const [x, target, lr, ...params] = tidy((): Tensor<'float32'>[] => [
      input([4, 2], 21),
      input([4, 1], 22, { lo: -0.5, hi: 0.5 }),
      tensor([0.05]),
      input([2, 4], 23, { lo: -1, hi: 1 }),
      input([4, 1], 24, { lo: -1, hi: 1 }),
    ]);
    const loss = (w1: Tensor<'float32'>, w2: Tensor<'float32'>) => x!.matmul(w1).tanh().matmul(w2).sub(target!).square().sum();
    const step = () =>
      tidy(() => {
        const [l, g] = valueAndGrad(loss, { argnums: [0, 1] })(params[0]!, params[1]!);
        for (const [i, p] of params.entries()) p.assign(p.sub(lr!.mul(g[i] as Tensor<'float32'>)));
        return l;
      });
    const snapshot = () => {
      const m = memory();
      const pool = gpu.stats().buffers;
      return {
        tensors: m.numTensors,
        buffers: m.numBuffers,
        bytes: m.bytesByBackend.webgpu,
        live: pool.liveBuffers,
        created: pool.created,
      };
    };
    const first = step();
    const firstLoss = (await first.data())[0]!;
    first.dispose();
    for (let i = 0; i < 10; i++) step().dispose(); // warm-up: the pool fills to its working set
    await gpu.sync();
    const before = snapshot();
    const reusedBefore = gpu.stats().buffers.reused;
    const snapshots = [];
    let last = 0;
    for (let i = 1; i <= 10_000; i++) {
      const l = step();
      if (i % 1000 === 0) last = (await l.data())[0]!; // the queue drains, as in a loop that logs its loss
      l.dispose();
      if (i % 1000 === 0) snapshots.push(snapshot());
    }
    // every snapshot equals the first: no tensor, storage, byte or GPU buffer accumulates, and the
    // pool created no buffer after the warm-up (every step reused pooled ones)
    for (const s of snapshots) expect(s).toEqual(before);
    expect(gpu.stats().buffers.reused - reusedBefore).toBeGreaterThan(10 * 10_000);
    expect(last).toBeLessThan(firstLoss * 0.1); // and it trained
    for (const t of [x, target, lr, ...params]) t!.dispose();
  }, 120_000);

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
