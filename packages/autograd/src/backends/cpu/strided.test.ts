import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stridesOf } from '../../shape.js';
import type { View } from '../backend.js';
import { cpuBackend } from './index.js';
import { flatStride } from './strided.js';

/** The buffer offset of every element of `shape` read with `strides`, in row-major order. */
function offsets(shape: number[], strides: number[], offset = 0): number[] {
  let out = [offset];
  shape.forEach((d, axis) => {
    out = out.flatMap((o) => Array.from({ length: d }, (_, i) => o + i * strides[axis]!));
  });
  return out;
}

/** A shape and strides reading it: contiguous, broadcast (stride 0) on some axes, or permuted. */
const strided = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.oneof(
      fc.constant(stridesOf(shape)),
      fc.constant(shape.map(() => 0)),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }).map((zero) => {
        const s = stridesOf(shape);
        return s.map((v, i) => (zero[i] ? 0 : v));
      }),
      fc.constant(stridesOf([...shape].reverse()).reverse()),
    ),
  ),
);

describe('flatStride', () => {
  it('is the one stride that walks the elements in order, or -1 when there is none', () => {
    fc.assert(
      fc.property(strided, ([shape, strides]) => {
        const got = flatStride(shape, strides);
        const offs = offsets(shape, strides);
        const walks = (s: number) => offs.every((o, i) => o === i * s);
        if (got >= 0) expect(walks(got)).toBe(true);
        else expect(walks(0) || walks(1)).toBe(false);
      }),
    );
  });
});

describe('CPU elementwise kernels on strided views (flat fast path and loop nest agree)', () => {
  const view = (shape: number[], strides: number[], seed: number): { v: View; at: (i: number) => number } => {
    const offs = offsets(shape, strides, 2); // a non-zero offset, as a view into a larger buffer
    const buf = new Float64Array(Math.max(...offs, 2) + 1).map((_, i) => Math.sin(seed + i));
    return { v: { buf, shape, strides, offset: 2 }, at: (i) => buf[offs[i]!]! };
  };

  it('binary, where and copy read every operand at its strides', () => {
    fc.assert(
      fc.property(strided, fc.integer({ min: 0, max: 2 }), ([shape, strides], which) => {
        const n = offsets(shape, stridesOf(shape)).length;
        const contiguous = stridesOf(shape);
        // one operand strided, the others contiguous: every mix of fast path and loop nest
        const a = view(shape, which === 0 ? strides : contiguous, 1);
        const b = view(shape, which === 1 ? strides : contiguous, 2);
        const c = view(shape, which === 2 ? strides : contiguous, 3);
        const out = new Float64Array(n);
        cpuBackend.binary('sub', a.v, b.v, out, 'float64', shape);
        for (let i = 0; i < n; i++) expect(out[i]).toBe(a.at(i) - b.at(i));
        cpuBackend.where(c.v, a.v, b.v, out, 'float64', shape);
        for (let i = 0; i < n; i++) expect(out[i]).toBe(c.at(i) ? a.at(i) : b.at(i));
        const dst = new Float64Array(n + 3);
        cpuBackend.copy(a.v, { buf: dst, shape, strides: contiguous, offset: 3 }, 'float64');
        for (let i = 0; i < n; i++) expect(dst[3 + i]).toBe(a.at(i));
      }),
    );
  });
});
