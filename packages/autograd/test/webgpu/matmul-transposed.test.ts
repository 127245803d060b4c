// WebGPU matmul reading operands stored transposed (transA/transB), both kernels (direct for thin
// outputs, tiled for m, n ≥ 16), batched and broadcast, forward and backward, against the CPU
// (structural-cases.ts, shared with the f16 suite); and proof that neither a transposed operand
// nor the backward copies anything on the device.
import { describe, expect, it, vi } from 'vitest';
import { activeBackend } from '../../src/backends/backend.js';
import { reportParity, useWebGPU, webgpuAvailable } from './harness.js';
import { product, transposedMatmulCases } from './structural-cases.js';

const available = await webgpuAvailable();

describe.skipIf(!available)('webgpu matmul with transposed operands', () => {
  useWebGPU();
  reportParity('matmul transposed');

  transposedMatmulCases();

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
