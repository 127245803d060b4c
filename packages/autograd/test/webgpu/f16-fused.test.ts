// The fused LSTM and GRU kernels on the f16 backend (fused-cases.ts) against composite cells in
// float64 on the CPU, from the same inputs rounded to half: h, c and their gradients stay f32
// inside the kernels, so outputs and gradients are within a few half roundings (harness's F16).
import './f16.js';
import { describe } from 'vitest';
import { f16Available } from './f16.js';
import { fusedCases } from './fused-cases.js';
import { reportParity, useWebGPU } from './harness.js';

const available = await f16Available();

/** Generous: lavapipe compiles each tile shape's pipelines in about a second (more on a loaded machine). */
describe.skipIf(!available)('fused recurrent kernels on webgpu-f16 = composite cells (float64 CPU reference)', { timeout: 120_000 }, () => {
  useWebGPU({ f16: true });
  reportParity('f16 fused LSTM/GRU vs float64 composite');
  fusedCases();
});
