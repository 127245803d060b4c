import type { Shape } from '../../shape.js';

/**
 * Walks every row (innermost axis) of `shape`, calling `row(offsets, n)` with each operand's
 * offset at the row's start. One callback per row, never per element; hot loops live in `row`.
 */
export function forEachRow(
  shape: Shape,
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  row: (offsets: number[], n: number) => void,
): void {
  const rank = shape.length;
  const cur = offsets.slice();
  if (rank === 0) {
    row(cur, 1);
    return;
  }
  const n = shape[rank - 1]!;
  if (n === 0 || shape.some((d) => d === 0)) return;
  const idx = new Array<number>(rank - 1).fill(0);
  for (;;) {
    row(cur, n);
    let axis = rank - 2;
    for (; axis >= 0; axis--) {
      idx[axis]!++;
      for (let k = 0; k < cur.length; k++) cur[k]! += strides[k]![axis]!;
      if (idx[axis]! < shape[axis]!) break;
      for (let k = 0; k < cur.length; k++) cur[k]! -= strides[k]![axis]! * shape[axis]!;
      idx[axis] = 0;
    }
    if (axis < 0) return;
  }
}

/** Merges adjacent axes that are contiguous in every operand, so rows are as long as possible. */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[i]! * d)) {
      outShape[last]! *= d;
      strides.forEach((s, k) => {
        outStrides[k]![last] = s[i]!;
      });
    } else {
      outShape.push(d);
      strides.forEach((s, k) => {
        outStrides[k]!.push(s[i]!);
      });
    }
  }
  return { shape: outShape, strides: outStrides };
}
