// IEEE 754 binary16 ("half", f16) conversions for the f16 storage mode: the host side of uploads
// and reads (Node 20 has no Float16Array), and the same rounding in WGSL for kernel stores.
//
// Rounding is to nearest, ties to even, from the float32 value (a float32 tensor's value is what
// gets stored): subnormals are kept (down to 2⁻²⁴), values from 65520 up overflow to ±Inf, NaN
// stays NaN (quiet, sign kept). Kernels do not use WGSL's f32→f16 conversion, which may round
// either way and leaves overflow and NaN open: they store through `h16_`, the same algorithm on the
// same bits, so a value stored by a kernel and one uploaded from the host round alike.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest finite half, 65504; anything from 65520 up rounds to Infinity. */
export const HALF_MAX = 65504;

/** Binary16 bits of the float32 with bits `x` (round to nearest even). */
function halfOfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf, or a quiet NaN
  const e = exp - 112; // the exponent re-biased for binary16 (bias 15 instead of 127)
  if (e >= 31) return sign | 0x7c00;
  let h: number;
  let rest: number;
  let half: number;
  if (e <= 0) {
    // subnormal: the implicit bit joins the mantissa, shifted by one more place per exponent step
    if (e < -10) return sign; // below 2⁻²⁵: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    h = m >>> shift;
    rest = m & ((1 << shift) - 1);
    half = 1 << (shift - 1);
  } else {
    h = (e << 10) | (mant >>> 13);
    rest = mant & 0x1fff;
    half = 0x1000;
  }
  // a carry out of the mantissa steps the exponent up (to Inf from 65504 + ½ulp), as it should
  if (rest > half || (rest === half && h & 1)) h++;
  return sign | h;
}

/** The binary16 bits nearest to `x` (first rounded to float32, as a float32 tensor holds it). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  return halfOfBits(u32[0]!);
}

/** The value of binary16 bits `h` (exact: every half is a float32). */
export function fromHalfBits(h: number): number {
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1024 + m) * 2 ** (e - 25);
}

/** `x` rounded to the nearest half (as a number). */
export const roundHalf = (x: number): number => fromHalfBits(toHalfBits(x));

/**
 * Encodes the first `n` values of `data` as halves, padded to an even count so the upload is a
 * whole number of 4-byte words (WebGPU copies are).
 */
export function encodeHalves(data: ArrayLike<number>, n: number): Uint16Array {
  const out = new Uint16Array(n + (n & 1));
  const chunk = new Float32Array(Math.min(n, 4096));
  const bits = new Uint32Array(chunk.buffer);
  for (let start = 0; start < n; start += chunk.length) {
    const len = Math.min(chunk.length, n - start);
    for (let i = 0; i < len; i++) chunk[i] = data[start + i]!;
    for (let i = 0; i < len; i++) out[start + i] = halfOfBits(bits[i]!);
  }
  return out;
}

let table: Float32Array | undefined;

/** The first `n` halves of `bits` as float32 values (a 256 KiB table, built on first use). */
export function decodeHalves(bits: Uint16Array, n: number): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalfBits(h);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[bits[i]!]!;
  return out;
}

/**
 * WGSL of `h16_(v: f32) -> f16`, {@link toHalfBits} on the GPU: integer operations on the bits, so
 * no driver's conversion mode, flush of subnormals or fast-math assumption can change the result.
 * (`bitcast<vec2<f16>>` of a u32 yields the half in its low 16 bits as `.x`.)
 */
export const H16_WGSL = `fn h16_(v: f32) -> f16 {
  let x = bitcast<u32>(v);
  let sign = (x >> 16u) & 0x8000u;
  let exp = (x >> 23u) & 0xffu;
  let mant = x & 0x7fffffu;
  let e = i32(exp) - 112;
  var h = 0u;
  if (exp == 0xffu) {
    h = 0x7c00u | select(0u, 0x200u | (mant >> 13u), mant != 0u);
  } else if (e >= 31) {
    h = 0x7c00u;
  } else if (e >= -10) {
    var rest = 0u;
    var half = 0x1000u;
    if (e <= 0) {
      let m = mant | 0x800000u;
      let shift = u32(14 - e);
      h = m >> shift;
      rest = m & ((1u << shift) - 1u);
      half = 1u << (shift - 1u);
    } else {
      h = (u32(e) << 10u) | (mant >> 13u);
      rest = mant & 0x1fffu;
    }
    if (rest > half || (rest == half && (h & 1u) != 0u)) { h += 1u; }
  }
  return bitcast<vec2<f16>>(sign | h).x;
}`;
