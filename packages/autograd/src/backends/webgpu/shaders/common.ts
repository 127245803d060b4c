import type { DType } from '../../../dtype.js';
import { BackendError } from '../../../errors.js';
import { binaryOps, unaryOps } from '../../../ops/elementwise.js';
import { H16_WGSL } from '../half.js';

/** Invocations per workgroup of the 1-D kernels (the WebGPU default limit). */
export const WG = 64;

/** The WGSL type kernels compute a dtype in (and store it as, but for f16 storage): bool is u32 0/1. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  if (dtype === 'bool') return 'u32';
  throw new BackendError(`${dtype} has no WGSL type; WebGPU tensors are float32, int32 or bool`, 'webgpu');
}

/**
 * How a buffer's elements are stored: its dtype's 32-bit WGSL type, or `f16` for float32 data on
 * an f16 backend. Kernels take the storage of every binding they read or write: they load into the
 * 32-bit compute type ({@link load}) and convert back on store ({@link store}), so one source serves
 * both precisions, and f32 work buffers mix with f16 tensors where a kernel wants the precision.
 */
export type Storage = 'f32' | 'f16' | 'i32' | 'u32';

/** The storage of `dtype` on a backend whose float32 tensors are stored as `float`. */
export const storageOf = (dtype: DType, float: 'f32' | 'f16'): Storage => (dtype === 'float32' ? float : wgslType(dtype));

/** Bytes per element of a storage. */
export const storageBytes = (s: Storage): number => (s === 'f16' ? 2 : 4);

/** WGSL reading `expr`, an element of a binding stored as `s`, as a value of the compute type. */
export const load = (s: Storage, expr: string): string => (s === 'f16' ? `f32(${expr})` : expr);

/** WGSL of the compute-type value `expr` as an element of a binding stored as `s`. */
export const store = (s: Storage, expr: string): string => (s === 'f16' ? `h16_(${expr})` : expr);

/** The element type that moves a storage's bits unchanged: u32 for the 32-bit ones, f16 itself. */
export const bitsType = (s: Storage): 'u32' | 'f16' => (s === 'f16' ? 'f16' : 'u32');

/**
 * The kernel-key suffix of the bindings' storages, empty when none is f16 (so every key of an f32
 * backend reads as before): `:hf` for an f16 input and an f32 output.
 */
export const storageKey = (...s: Storage[]): string => (s.includes('f16') ? `:${s.map((x) => (x === 'f16' ? 'h' : x[0])).join('')}` : '');

/**
 * Helper functions, each added to a module only when its body names it: NaN and infinity tests on
 * the bits (compilers may fold `x != x` away), and the CPU's float→int32 conversion (truncate, wrap
 * modulo 2³², NaN/±Inf → 0). The op table's rows bring their own functions (`wgslFns`: sin/cos, tanh,
 * NaN-propagating max/min, JS `**`, erf), registered here too so every kernel can call them.
 */
const HELPERS: Record<string, string> = {
  isnan_: 'fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }',
  isinf_: 'fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }',
  inf_: 'fn inf_() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }',
  // through a var: a constant NaN is a shader-creation error
  nan_: 'fn nan_() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }',
  h16_: H16_WGSL,
  f2i_: `fn f2i_(x: f32) -> i32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return 0; }
  if (abs(x) < 2147483648.0) { return i32(x); }
  let t = trunc(x);
  return bitcast<i32>(u32(t - 4294967296.0 * floor(t / 4294967296.0)));
}`,
};
for (const def of [...Object.values(unaryOps), ...Object.values(binaryOps)]) {
  for (const [name, fn] of Object.entries(def.wgslFns ?? {})) {
    if (HELPERS[name] !== undefined && HELPERS[name] !== fn) throw new Error(`two different WGSL functions are named ${name}`);
    HELPERS[name] = fn;
  }
}

/** `body` preceded by the helpers it uses (and the helpers those use). */
export function withHelpers(body: string): string {
  const used = new Set<string>();
  const visit = (code: string) => {
    for (const [name, fn] of Object.entries(HELPERS)) {
      if (!used.has(name) && new RegExp(`\\b${name}\\(`).test(code)) {
        used.add(name);
        visit(fn);
      }
    }
  };
  visit(body);
  // (WGSL module-scope declarations may come in any order)
  return [...[...used].map((n) => HELPERS[n]), body].join('\n');
}

/** Storage bindings: `[name, type, access]` in binding order; the i32 parameter block `P` comes last. */
export function bindings(list: readonly [name: string, type: string, access: 'read' | 'read_write'][]): string {
  const lines = list.map(([name, type, access], i) => `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<${type}>;`);
  lines.push(`@group(0) @binding(${list.length}) var<storage, read> P: array<i32>;`);
  return lines.join('\n');
}

/** A 1-D kernel over `P[0]` elements: `body` sees `i` (i32), the element index. */
export function elementwiseMain(body: string): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = i32((wid.y * nwg.x + wid.x) * ${WG}u + lid);
  if (i >= P[0]) { return; }
${body}
}`;
}

/** Workgroups covering `n` invocations of `WG`, folded into two dimensions past `maxPerDim`. */
export function groups1d(n: number, maxPerDim: number, perGroup = WG): [number, number, number] {
  const total = Math.ceil(n / perGroup);
  if (total <= maxPerDim) return [total, 1, 1];
  const y = Math.ceil(total / maxPerDim);
  if (y > maxPerDim) throw new BackendError(`${n} elements exceed the dispatch limits of this device`, 'webgpu');
  return [Math.ceil(total / y), y, 1];
}
