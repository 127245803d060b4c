import { fmt, ShapeError, ValueError } from './errors.js';

/** A strided window of a contiguous tensor: where it starts, how it steps, its shape. */
export interface Region {
  offset: number;
  strides: number[];
  shape: number[];
}

/** An axis or a list of axes; negative values count from the end. */
export type AxisArg = number | readonly number[];

/** A tensor shape: the size of each axis, outermost first. */
export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Row-major (C-order) strides of a contiguous tensor. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** NumPy broadcasting: align from the right; sizes must match or be 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        throw new ShapeError(
          `shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (axis ${o - rank}: ${out[o]} vs ${d})`,
          op,
        );
    }
  }
  return out;
}

/** Strides that read a contiguous tensor of `shape` as if it had `target` shape (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = target.length - shape.length + i;
    out[o] = shape[i] === 1 && target[o] !== 1 ? 0 : strides[i]!;
  }
  return out;
}

/** Resolves a possibly negative axis against `rank`, with a clear error when out of range. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis)) throw new ValueError(`axis must be an integer, got ${axis}`, op);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new ShapeError(`axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank}..${rank - 1})`, op);
  }
  return a;
}

/** Resolves `axis` (undefined = all, number, or list) to sorted unique non-negative axes. */
export function normalizeAxes(axis: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const out = list.map((a) => normalizeAxis(a, rank, op));
  if (new Set(out).size !== out.length) throw new ShapeError(`repeated axis in ${JSON.stringify(list)}`, op);
  return out.sort((a, b) => a - b);
}

/** Checks every entry is a non-negative integer. */
export function assertShape(shape: Shape, op: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`, op);
  }
}
