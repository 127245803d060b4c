import type { FusedKernels } from '../../backend.js';
import { gruBackward, gruForward } from './gru.js';
import { lstmBackward, lstmForward } from './lstm.js';
import type { FusedHost } from './sequence.js';

export type { FusedHost } from './sequence.js';

/**
 * The WebGPU backend's fused recurrent kernels (whole-sequence LSTM and GRU, forward and BPTT, in
 * WGSL): what `lstmSequence`/`gruSequence`, and through them nn's LSTM and GRU, run on WebGPU.
 * Every step is recorded on the backend's queue; nothing is read back between steps.
 */
export function webgpuFused(host: FusedHost): FusedKernels {
  return {
    lstmForward: (...args) => lstmForward(host, ...args),
    lstmBackward: (...args) => lstmBackward(host, ...args),
    gruForward: (...args) => gruForward(host, ...args),
    gruBackward: (...args) => gruBackward(host, ...args),
  };
}
