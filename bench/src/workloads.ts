// The shared workload definitions (a verbatim copy of shared/bench/workloads.json, the file the
// peer scripts in shared/bench read) and the FLOP model of shared/bench/harness.js.
import { readFileSync } from 'node:fs';

export interface RnnWorkload {
  cell: 'lstm' | 'gru';
  I: number;
  H: number;
  B: number;
  T: number;
  O: number;
  mode: 'train' | 'infer';
  name: string;
}
export interface MatmulWorkload {
  op: 'matmul';
  M: number;
  K: number;
  N: number;
  name: string;
}
export type Workload = RnnWorkload | MatmulWorkload;
export type WorkloadName = 'W1' | 'W2' | 'W3' | 'W4' | 'MM';
export const WORKLOAD_NAMES: WorkloadName[] = ['W1', 'W2', 'W3', 'W4', 'MM'];

export const WORKLOADS = JSON.parse(readFileSync(new URL('../workloads.json', import.meta.url), 'utf8')) as Record<WorkloadName, Workload>;

export const isMatmul = (w: Workload): w is MatmulWorkload => 'op' in w;

/** fwd = 2·gates·H·(I+H)·B·T (head ignored), train = 3·fwd; matmul = 2·M·N·K. */
export function flops(w: Workload): number {
  if (isMatmul(w)) return 2 * w.M * w.N * w.K;
  const gates = w.cell === 'gru' ? 3 : 4;
  const fwd = 2 * gates * w.H * (w.I + w.H) * w.B * w.T;
  return w.mode === 'train' ? 3 * fwd : fwd;
}

/** `--quick`: the same workloads, shrunk so the whole smoke run takes seconds. */
export function quickWorkload(w: Workload): Workload {
  if (isMatmul(w)) return { ...w, M: 128, K: 128, N: 128 };
  if (w.B === 1) return { ...w, T: 20 };
  return { ...w, H: 32, B: 4, T: 10 };
}

export function describe(w: Workload): string {
  if (isMatmul(w)) return `${w.M}×${w.K}×${w.N} f32 matmul`;
  return `${w.cell.toUpperCase()} ${w.mode} I=${w.I} H=${w.H} B=${w.B} T=${w.T} O=${w.O}`;
}

/** Deterministic PRNG (mulberry32), as shared/bench/harness.js. */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
