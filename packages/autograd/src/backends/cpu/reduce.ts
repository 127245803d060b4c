import type { ArgReduceOp, AxisDims, ReduceOp } from '../backend.js';

type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Reduces contiguous rows: `[outer, inner] → [outer]`. NaN propagates through max/min. */
export function reduce(op: ReduceOp, x: Arr, out: Arr, outer: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let acc: number;
    if (op === 'sum') {
      acc = 0;
      for (let i = 0; i < inner; i++) acc += x[base + i]!;
    } else if (op === 'prod') {
      acc = 1;
      for (let i = 0; i < inner; i++) acc *= x[base + i]!;
    } else if (op === 'max') {
      acc = -Infinity;
      for (let i = 0; i < inner; i++) {
        const v = x[base + i]!;
        if (v > acc || Number.isNaN(v)) acc = v;
        if (Number.isNaN(acc)) break;
      }
    } else {
      acc = Infinity;
      for (let i = 0; i < inner; i++) {
        const v = x[base + i]!;
        if (v < acc || Number.isNaN(v)) acc = v;
        if (Number.isNaN(acc)) break;
      }
    }
    out[o] = acc;
  }
}

/** First index of the max/min along the middle axis (NaN counts as the extreme, like NumPy). */
export function argReduce(op: ArgReduceOp, x: Arr, out: Int32Array, { outer, axisSize, inner }: AxisDims): void {
  const sign = op === 'argmax' ? 1 : -1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axisSize * inner + i;
      let best = 0;
      let bestV = x[base]!;
      for (let j = 1; j < axisSize && !Number.isNaN(bestV); j++) {
        const v = x[base + j * inner]!;
        if (sign * v > sign * bestV || Number.isNaN(v)) {
          best = j;
          bestV = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
}

export function cumsum(x: Arr, out: Arr, { outer, axisSize, inner }: AxisDims, reverse: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axisSize * inner + i;
      let acc = 0;
      for (let s = 0; s < axisSize; s++) {
        const j = base + (reverse ? axisSize - 1 - s : s) * inner;
        acc += x[j]!;
        out[j] = acc;
      }
    }
  }
}
