import type { Shape } from '../../shape.js';

/** How a strided kernel indexes: one linear stride per operand (`flat`) or a full loop nest (`nd`). */
export type StrideClass = 'flat' | 'nd';

/** A strided walk over `n` elements, ready for a kernel: its shape class and i32 parameter block. */
export interface StridedPlan {
  n: number;
  cls: StrideClass;
  /** `[n, rank, offset_0…offset_{K−1}, shape[rank], strides_0[rank], …, strides_{K−1}[rank]]` */
  params: number[];
}

/**
 * Merges adjacent axes that are contiguous in every operand and drops size-1 axes, so that
 * same-shape, scalar and row broadcasts become one axis (the `flat` class).
 */
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

/**
 * Plans a walk over `shape` for operands with `strides`/`offsets`. The first `kept` operands go
 * into the parameters; the rest (a contiguous output) only take part in coalescing, so the
 * output index is the linear index itself.
 */
export function planStrided(shape: Shape, strides: readonly (readonly number[])[], offsets: readonly number[], kept: number): StridedPlan {
  const c = coalesce(shape, strides);
  const n = c.shape.reduce((a, b) => a * b, 1);
  const flat = c.shape.length <= 1;
  const rank = flat ? 1 : c.shape.length;
  const dims = flat ? [c.shape[0] ?? 1] : c.shape;
  const params = [n, rank, ...offsets.slice(0, kept), ...dims];
  for (let k = 0; k < kept; k++) params.push(...(flat ? [c.strides[k]![0] ?? 0] : c.strides[k]!));
  return { n, cls: flat ? 'flat' : 'nd', params };
}

/**
 * WGSL computing `j0…j{K−1}`, each operand's element index for linear index `i`, from a
 * {@link planStrided} parameter block.
 */
export function stridedIndexWgsl(k: number, cls: StrideClass): string {
  const ops = [...Array(k).keys()];
  const shapeAt = 2 + k;
  if (cls === 'flat') return ops.map((o) => `  let j${o} = P[${2 + o}] + i * P[${shapeAt + 1 + o}];`).join('\n');
  return `${ops.map((o) => `  var j${o} = P[${2 + o}];`).join('\n')}
  let rank = P[1];
  var rem = i;
  for (var d = rank - 1; d >= 0; d--) {
    let s = P[${shapeAt} + d];
    let c = rem % s;
    rem = rem / s;
${ops.map((o) => `    j${o} += c * P[${shapeAt} + rank * ${o + 1} + d];`).join('\n')}
  }`;
}
