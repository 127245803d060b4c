import type { DType } from '../../../dtype.js';
import { BackendError } from '../../../errors.js';

/** Invocations per workgroup of the 1-D kernels (the WebGPU default limit). */
export const WG = 64;

/** The WGSL type a dtype is stored as: every element is 4 bytes, bool is u32 0/1. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  if (dtype === 'bool') return 'u32';
  throw new BackendError(`${dtype} has no WGSL type; WebGPU tensors are float32, int32 or bool`, 'webgpu');
}

/**
 * Helper functions, each added to a module only when its body names it. They make the WGSL match
 * the CPU kernels where WGSL leaves behaviour open or the drivers differ: NaN tests on the bits
 * (compilers may fold `x != x` away), NaN-propagating max/min, JS `**` semantics, a tanh that does
 * not overflow (SwiftShader's returns NaN past |x| ≈ 89), erf (no WGSL builtin), and the CPU's
 * float→int32 conversion (truncate, wrap modulo 2³², NaN/±Inf → 0).
 */
const HELPERS: Record<string, string> = {
  isnan_: 'fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }',
  isinf_: 'fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }',
  inf_: 'fn inf_() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }',
  // through a var: a constant NaN is a shader-creation error
  nan_: 'fn nan_() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }',
  // sin/cos to ~1 ulp for |x| up to ~1e4: WGSL only promises 2⁻¹¹ absolute error (SwiftShader's
  // builtins are off by ~1e-4). Cody–Waite reduction by π/2 in three parts, cephes minimax polynomials.
  sincos_: `fn sincos_(x: f32) -> vec2f {
  let j = floor(x * 0.63661977236758134 + 0.5);
  let y = ((x - j * 1.5703125) - j * 4.8375129699707031e-4) - j * 7.5497899548918821e-8;
  let z = y * y;
  let s = y + y * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(j - 4.0 * floor(j * 0.25));
  if (q == 0) { return vec2f(s, c); }
  if (q == 1) { return vec2f(c, -s); }
  if (q == 2) { return vec2f(-s, -c); }
  return vec2f(-c, s);
}`,
  sin_: 'fn sin_(x: f32) -> f32 { return sincos_(x).x; }',
  cos_: 'fn cos_(x: f32) -> f32 { return sincos_(x).y; }',
  tanh_: 'fn tanh_(x: f32) -> f32 { return select(tanh(clamp(x, -15.0, 15.0)), x, isnan_(x)); }',
  max_: 'fn max_(a: f32, b: f32) -> f32 { return select(select(max(a, b), b, isnan_(b)), a, isnan_(a)); }',
  min_: 'fn min_(a: f32, b: f32) -> f32 { return select(select(min(a, b), b, isnan_(b)), a, isnan_(a)); }',
  // JS `**`: x⁰ = 1 (even NaN⁰), NaN otherwise propagates, 0 to a negative power is ±∞, a negative
  // base needs an integer exponent (odd keeps the sign), −0 and −∞ keep their signs.
  pow_: `fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  let integer = floor(b) == b;
  let odd = integer && abs(b) < 16777216.0 && (i32(b) & 1) != 0;
  var m = 0.0;
  if (a == 0.0) { m = select(0.0, inf_(), b < 0.0); } else { m = pow(abs(a), b); }
  if ((bitcast<u32>(a) & 0x80000000u) == 0u) { return m; }
  if (a != 0.0 && !isinf_(a) && !integer) { return nan_(); }
  return select(m, -m, odd);
}`,
  // |x| < 0.5: Maclaurin series (no cancellation); beyond: erfc by Numerical Recipes' Chebyshev fit
  // (fractional error < 1.2e-7), so the absolute error stays near float32 rounding everywhere.
  erf: `fn erf(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.5) {
    let q = x * x;
    return x * 1.1283791671 * (1.0 + q * (-0.3333333333 + q * (0.1 + q * (-0.0238095238 + q * (0.0046296296 + q * -0.0007575758)))));
  }
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}`,
  f2i_: `fn f2i_(x: f32) -> i32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return 0; }
  if (abs(x) < 2147483648.0) { return i32(x); }
  let t = trunc(x);
  return bitcast<i32>(u32(t - 4294967296.0 * floor(t / 4294967296.0)));
}`,
};

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
  // dependencies first: isnan_/nan_ are used by the others
  const order = Object.keys(HELPERS).filter((n) => used.has(n));
  return [...order.map((n) => HELPERS[n]), body].join('\n');
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
