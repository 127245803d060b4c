import type { Shape } from '../../shape.js';

/**
 * A strided loop nest, as the kernels walk it. After {@link coalesce}, the two innermost axes are
 * a plane of `rows` rows of `cols` elements, which the kernel loops over itself, stepping operand
 * `k` by `rowStrides[k]` per row and `colStrides[k]` per element; any axes before them are outer
 * axes, walked by {@link forEachPlane}. Same-shape, scalar and row/column broadcasts coalesce to
 * at most two axes, so they are a single plane: no callback per row, however short the rows.
 */
export interface LoopNest {
  outerShape: number[];
  /** `outerStrides[k]` are operand k's strides on the outer axes. */
  outerStrides: number[][];
  rows: number;
  cols: number;
  rowStrides: number[];
  colStrides: number[];
}

/**
 * The one stride that walks `strides` over `shape` in row-major order, when there is one: 1 for a
 * contiguous operand, 0 for a broadcast scalar (every element the same), else -1. Same-shape and
 * scalar operands, most of a small model's ops, then need one flat loop and no {@link loopNest}.
 */
export function flatStride(shape: Shape, strides: readonly number[]): number {
  let contiguous = true;
  let broadcast = true;
  for (let i = shape.length - 1, step = 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    contiguous &&= strides[i] === step;
    broadcast &&= strides[i] === 0;
    step *= d;
  }
  return contiguous ? 1 : broadcast ? 0 : -1;
}

/** Coalesces `shape` (see {@link coalesce}) and splits it into outer axes and a 2-D plane. */
export function loopNest(shape: Shape, strides: readonly (readonly number[])[]): LoopNest {
  // Called once per op, so on tiny tensors it is dispatch overhead: plain loops, no closures.
  const c = coalesce(shape, strides);
  const rank = c.shape.length;
  const outer = Math.max(0, rank - 2);
  const outerStrides: number[][] = [];
  const rowStrides: number[] = [];
  const colStrides: number[] = [];
  for (const st of c.strides) {
    outerStrides.push(st.slice(0, outer));
    rowStrides.push(rank >= 2 ? st[rank - 2]! : 0);
    colStrides.push(rank >= 1 ? st[rank - 1]! : 0);
  }
  return {
    outerShape: c.shape.slice(0, outer),
    outerStrides,
    rows: rank >= 2 ? c.shape[rank - 2]! : 1,
    cols: rank >= 1 ? c.shape[rank - 1]! : 1,
    rowStrides,
    colStrides,
  };
}

/**
 * Calls `plane(offsets)` once per plane of `nest` with each operand's offset at the plane's start
 * (once in all when there are no outer axes); nothing when the nest is empty. The hot loops live
 * in `plane`, so the callback's cost is paid per plane, never per row or element.
 */
export function forEachPlane(nest: LoopNest, offsets: readonly number[], plane: (offsets: number[]) => void): void {
  const { outerShape: shape, outerStrides: strides } = nest;
  if (nest.rows === 0 || nest.cols === 0 || shape.includes(0)) return;
  const cur = offsets.slice();
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (;;) {
    plane(cur);
    let axis = rank - 1;
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
  const ops = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = [];
  for (let k = 0; k < ops; k++) outStrides.push([]);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let k = 0; k < ops && merge; k++) merge = outStrides[k]![last] === strides[k]![i]! * d;
    if (merge) {
      outShape[last]! *= d;
      for (let k = 0; k < ops; k++) outStrides[k]![last] = strides[k]![i]!;
    } else {
      outShape.push(d);
      for (let k = 0; k < ops; k++) outStrides[k]!.push(strides[k]![i]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}
