import type { FusedKernels } from '../../backend.js';
import { gruBackward, gruForward } from './gru.js';
import { lstmBackward, lstmForward } from './lstm.js';

/** The CPU's fused recurrent kernels (whole-sequence LSTM and GRU, forward and BPTT). */
export const cpuFused: FusedKernels = { lstmForward, lstmBackward, gruForward, gruBackward };
