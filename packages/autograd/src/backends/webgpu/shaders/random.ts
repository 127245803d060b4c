import type { RandomDist } from '../../backend.js';
import { bindings, elementwiseMain, type Storage, store, withHelpers } from './common.js';

/** The largest half below 1: f16 storage rounds uniforms up to it, never to 1 (see randomSource). */
const BELOW_ONE_F16 = '0.99951171875';

/**
 * The counter-based stream of random.ts in WGSL: lowbias32 with u32 multiplies (= Math.imul), so
 * every u32 of the stream is bit-identical to the CPU's. `uniform` is `(bits >> 8)·2⁻²⁴`, exact in
 * float32, so uniform tensors match the CPU bit for bit; `normal` is the same Box–Muller in float32
 * (the CPU computes it in float64, then rounds). Parameters `[n, key, counter]` (u32 bits). Stored
 * as f16 (`s`), values are rounded to half, and uniforms in [1 − 2⁻¹², 1), which would round to 1,
 * go to the largest half below 1, so the range stays [0, 1).
 */
export function randomSource(dist: RandomDist, s: Storage): string {
  const uniform = (c: string) => `f32(bits(${c}) >> 8u) * 5.9604644775390625e-8`;
  const body =
    dist === 'uniform'
      ? `  O[i] = ${store(s, s === 'f16' ? `min(${uniform('c0 + u32(i)')}, ${BELOW_ONE_F16})` : uniform('c0 + u32(i)'))};`
      : `  let c = c0 + 2u * u32(i);
  let u1 = ${uniform('c')};
  let u2 = ${uniform('c + 1u')};
  O[i] = ${store(s, 'sqrt(-2.0 * log(1.0 - u1)) * cos_(6.283185307179586 * u2)')};`;
  return withHelpers(`fn hash32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}
${bindings([['O', s, 'read_write']])}
fn bits(counter: u32) -> u32 { return hash32((hash32(counter) ^ bitcast<u32>(P[1])) + 0x6a09e667u); }
${elementwiseMain(`  let c0 = bitcast<u32>(P[2]);\n${body}`)}`);
}
