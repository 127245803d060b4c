import { allocArray, type DType, type TypedArray } from '../../dtype.js';
import { binaryOps, unaryOps } from '../../ops/elementwise.js';
import { uniform24, uniform53 } from '../../random.js';
import { stridesOf } from '../../shape.js';
import type { Backend } from '../backend.js';
import { matmul } from './matmul.js';
import { argReduce, cumsum, reduce } from './reduce.js';
import { coalesce, forEachRow } from './strided.js';

type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;
const arr = (b: unknown) => b as Arr;

/** Converts a value on the way into an integer or bool buffer (floats are stored as they are). */
function castLoop(x: Arr, out: Arr, to: DType, n: number): void {
  if (to === 'bool') for (let i = 0; i < n; i++) out[i] = x[i] ? 1 : 0;
  else if (to === 'int32') for (let i = 0; i < n; i++) out[i] = Math.trunc(x[i]!);
  else for (let i = 0; i < n; i++) out[i] = x[i]!;
}

/** The CPU backend: synchronous kernels on typed arrays; the only one with float64. */
export const cpuBackend: Backend = {
  name: 'cpu',
  alloc: (dtype, size) => allocArray(dtype, size),
  free: () => {},
  write: (buf, data) => arr(buf).set(data),
  read: async (buf) => (buf as TypedArray).slice(),
  readSync: (buf) => (buf as TypedArray).slice(),
  bytes: (buf) => arr(buf).byteLength,

  fill: (out, _dtype, size, value) => arr(out).fill(value, 0, size),

  unary: (op, x, out, _dtype, size) => unaryOps[op].cpu(arr(x), arr(out), size),

  binary(op, a, b, out, _dtype, shape) {
    const loop = binaryOps[op].cpu;
    const A = arr(a.buf);
    const B = arr(b.buf);
    const O = arr(out);
    const { shape: s, strides } = coalesce(shape, [a.strides, b.strides, stridesOf(shape)]);
    forEachRow(s, strides, [a.offset, b.offset, 0], (o, n) => {
      const last = s.length - 1;
      loop(A, o[0]!, last < 0 ? 0 : strides[0]![last]!, B, o[1]!, last < 0 ? 0 : strides[1]![last]!, O, o[2]!, n);
    });
  },

  where(cond, a, b, out, _dtype, shape) {
    const C = arr(cond.buf);
    const A = arr(a.buf);
    const B = arr(b.buf);
    const O = arr(out);
    const { shape: s, strides } = coalesce(shape, [cond.strides, a.strides, b.strides, stridesOf(shape)]);
    const last = s.length - 1;
    const st = (k: number) => (last < 0 ? 0 : strides[k]![last]!);
    const [cs, as, bs] = [st(0), st(1), st(2)];
    forEachRow(s, strides, [cond.offset, a.offset, b.offset, 0], (o, n) => {
      const [ci, ai, bi, oi] = o as [number, number, number, number];
      for (let i = 0; i < n; i++) O[oi + i] = C[ci + i * cs] ? A[ai + i * as]! : B[bi + i * bs]!;
    });
  },

  cast: (x, _from, out, to, size) => castLoop(arr(x), arr(out), to, size),

  copy(src, dst) {
    const S = arr(src.buf);
    const D = arr(dst.buf);
    const { shape: s, strides } = coalesce(dst.shape, [src.strides, dst.strides]);
    const last = s.length - 1;
    const ss = last < 0 ? 0 : strides[0]![last]!;
    const ds = last < 0 ? 0 : strides[1]![last]!;
    forEachRow(s, strides, [src.offset, dst.offset], (o, n) => {
      const si = o[0]!;
      const di = o[1]!;
      if (ss === 1 && ds === 1) D.set(S.subarray(si, si + n), di);
      else for (let i = 0; i < n; i++) D[di + i * ds] = S[si + i * ss]!;
    });
  },

  reduce: (op, x, out, _dtype, outer, inner) => reduce(op, arr(x), arr(out), outer, inner),
  argReduce: (op, x, out, _dtype, dims) => argReduce(op, arr(x), out as Int32Array, dims),
  cumsum: (x, out, _dtype, dims, reverse) => cumsum(arr(x), arr(out), dims, reverse),
  matmul: (a, b, out, _dtype, dims) => matmul(a as Float32Array, b as Float32Array, out as Float32Array, dims),

  gather(x, index, out, _dtype, { outer, axisSize, inner }, indexSize) {
    const X = arr(x);
    const I = index as Int32Array;
    const O = arr(out);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indexSize; j++) {
        const row = (o * indexSize + j) * inner;
        for (let i = 0; i < inner; i++) O[row + i] = X[(o * axisSize + I[row + i]!) * inner + i]!;
      }
    }
  },

  scatterAdd(out, index, src, _dtype, { outer, axisSize, inner }, indexSize) {
    const O = arr(out);
    const I = index as Int32Array;
    const S = arr(src);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indexSize; j++) {
        const row = (o * indexSize + j) * inner;
        for (let i = 0; i < inner; i++) O[(o * axisSize + I[row + i]!) * inner + i]! += S[row + i]!;
      }
    }
  },

  random(dist, key, counter, out, dtype, size) {
    const O = arr(out);
    const wide = dtype === 'float64';
    const u = wide ? uniform53 : uniform24;
    const step = wide ? 2 : 1;
    if (dist === 'uniform') {
      for (let i = 0; i < size; i++) O[i] = u(key, counter + i * step);
      return;
    }
    // Box–Muller with one value per pair of uniforms, so element i depends on i alone.
    for (let i = 0; i < size; i++) {
      const c = counter + 2 * i * step;
      const u1 = u(key, c);
      const u2 = u(key, c + step);
      O[i] = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
  },
};
