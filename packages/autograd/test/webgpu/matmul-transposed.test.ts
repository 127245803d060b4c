// WebGPU matmul reading operands stored transposed (transA/transB), both kernels (direct for thin
// outputs, tiled for m, n ≥ 16), batched and broadcast, forward and backward, against the CPU; and
// proof that neither a transposed operand nor the backward copies anything on the device.
import { describe, expect, it, vi } from 'vitest';
import { activeBackend } from '../../src/backends/backend.js';
import { type MatmulOptions, matmul, type Tensor } from '../../src/index.js';
import { compare, input, reportParity, useWebGPU, webgpuAvailable } from './harness.js';

const available = await webgpuAvailable();
const tol = { atol: 1e-4, rtol: 1e-4 };

/** op(A) `[...ba, m, k]` · op(B) `[...bb, k, n]`, operands stored transposed per `o`. */
function product(ba: number[], bb: number[], m: number, k: number, n: number, o: MatmulOptions, seed: number): Tensor[] {
  const a = input(o.transposeA ? [...ba, k, m] : [...ba, m, k], seed);
  const b = input(o.transposeB ? [...bb, n, k] : [...bb, k, n], seed + 1);
  a.requiresGrad = true;
  b.requiresGrad = true;
  const out = matmul(a, b, o);
  out.backward(input(out.shape, seed + 2));
  // take the gradients off the leaves: the harness's tidy disposes a leaf's .grad with it
  const grads = [a.grad!, b.grad!];
  a.grad = null;
  b.grad = null;
  return [out, ...grads];
}

const layouts: MatmulOptions[] = [{ transposeA: true }, { transposeB: true }, { transposeA: true, transposeB: true }];

describe.skipIf(!available)('webgpu matmul with transposed operands', () => {
  useWebGPU();
  reportParity('matmul transposed');

  for (const o of layouts) {
    const name = `${o.transposeA ? 'Aᵀ' : 'A'}·${o.transposeB ? 'Bᵀ' : 'B'}`;
    it(`${name}: direct and tiled kernels, batched and broadcast, with gradients`, async () => {
      await compare(`matmul ${name} direct`, () => [...product([], [], 5, 7, 3, o, 1), ...product([2, 1], [3], 4, 6, 2, o, 4)], tol);
      await compare(`matmul ${name} tiled`, () => [...product([], [], 20, 19, 17, o, 7), ...product([2], [], 16, 9, 33, o, 10)], tol);
    });
  }

  it('reads transposed operands in place and copies nothing in the backward', () => {
    const backend = activeBackend();
    expect(backend.transposedMatmul).toBe(true);
    const copy = vi.spyOn(backend, 'copy');
    try {
      product([3], [3], 17, 8, 18, { transposeA: true, transposeB: true }, 13);
      product([], [], 32, 24, 20, { transposeB: true }, 16); // a linear layer's x·Wᵀ
      expect(copy).not.toHaveBeenCalled();
    } finally {
      copy.mockRestore();
    }
  });
});
