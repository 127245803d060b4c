import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { assertShape, broadcastShapes, broadcastStrides, normalizeAxes, normalizeAxis, sameShape, sizeOf, stridesOf } from './shape.js';

describe('broadcastShapes', () => {
  it('aligns from the right; sizes match or are 1', () => {
    expect(broadcastShapes('op', [2, 3], [3])).toEqual([2, 3]);
    expect(broadcastShapes('op', [2, 1], [1, 3])).toEqual([2, 3]);
    expect(broadcastShapes('op', [4, 1, 3], [5, 1])).toEqual([4, 5, 3]);
    expect(broadcastShapes('op', [], [2, 2])).toEqual([2, 2]);
    expect(broadcastShapes('op', [], [])).toEqual([]);
    expect(broadcastShapes('op', [1], [])).toEqual([1]);
    expect(broadcastShapes('op', [3], [3], [1, 3], [2, 1, 1])).toEqual([2, 1, 3]);
  });

  it('handles zero-size axes like NumPy (0 broadcasts with 1, not with 2)', () => {
    expect(broadcastShapes('op', [0], [1])).toEqual([0]);
    expect(broadcastShapes('op', [1], [0])).toEqual([0]);
    expect(broadcastShapes('op', [2, 0], [0])).toEqual([2, 0]);
    expect(() => broadcastShapes('op', [0], [2])).toThrow(ShapeError);
  });

  it('names the op, the shapes and the axis when they do not broadcast', () => {
    expect(() => broadcastShapes('add', [2, 3], [4])).toThrow(ShapeError);
    expect(() => broadcastShapes('add', [2, 3], [4])).toThrow('add: shapes [2, 3] and [4] cannot be broadcast together (axis -1: 3 vs 4)');
    expect(() => broadcastShapes('mul', [2, 1], [3, 1], [1])).toThrow(/axis -2: 2 vs 3/);
  });

  it('is commutative, and the result is what each input broadcasts to', () => {
    const dim = fc.constantFrom(1, 2, 3);
    const shape = fc.array(dim, { maxLength: 4 });
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        let ab: number[];
        try {
          ab = broadcastShapes('op', a, b);
        } catch (e) {
          expect(e).toBeInstanceOf(ShapeError);
          expect(() => broadcastShapes('op', b, a)).toThrow(ShapeError);
          return;
        }
        expect(broadcastShapes('op', b, a)).toEqual(ab);
        expect(ab.length).toBe(Math.max(a.length, b.length));
        for (const s of [a, b]) {
          const off = ab.length - s.length;
          expect(s.every((d, i) => d === 1 || d === ab[off + i])).toBe(true);
        }
      }),
    );
  });
});

describe('normalizeAxes / normalizeAxis', () => {
  it('resolves negative axes and sorts', () => {
    expect(normalizeAxes(-1, 3, 'op')).toEqual([2]);
    expect(normalizeAxes([2, 0], 3, 'op')).toEqual([0, 2]);
    expect(normalizeAxes([-1, -3], 3, 'op')).toEqual([0, 2]);
    expect(normalizeAxes(0, 1, 'op')).toEqual([0]);
    expect(normalizeAxis(-2, 2, 'op')).toBe(0);
  });

  it('undefined means every axis; [] means none', () => {
    expect(normalizeAxes(undefined, 3, 'op')).toEqual([0, 1, 2]);
    expect(normalizeAxes(undefined, 0, 'op')).toEqual([]);
    expect(normalizeAxes([], 3, 'op')).toEqual([]);
  });

  it('rejects out-of-range, repeated (also as ±) and non-integer axes', () => {
    expect(() => normalizeAxes(3, 3, 'sum')).toThrow(ShapeError);
    expect(() => normalizeAxes(3, 3, 'sum')).toThrow('sum: axis 3 is out of range for a tensor of rank 3 (expected -3..2)');
    expect(() => normalizeAxes(-4, 3, 'sum')).toThrow(ShapeError);
    expect(() => normalizeAxes(0, 0, 'sum')).toThrow(ShapeError);
    expect(() => normalizeAxes([1, 1], 3, 'sum')).toThrow(/repeated axis/);
    expect(() => normalizeAxes([2, -1], 3, 'sum')).toThrow(ShapeError);
    expect(() => normalizeAxes(1.5, 3, 'sum')).toThrow(ValueError);
    expect(() => normalizeAxis(Number.NaN, 3, 'sum')).toThrow(ValueError);
  });

  it('does not modify the caller’s list', () => {
    const axes = [2, 0];
    normalizeAxes(axes, 3, 'op');
    expect(axes).toEqual([2, 0]);
  });
});

describe('stridesOf / broadcastStrides / sizeOf', () => {
  it('gives row-major strides', () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([5])).toEqual([1]);
    expect(stridesOf([])).toEqual([]);
    expect(stridesOf([2, 1, 3])).toEqual([3, 3, 1]);
    expect(stridesOf([3, 0, 2])).toEqual([0, 2, 1]);
  });

  it('strides index every element of a contiguous tensor exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }), (shape) => {
        const strides = stridesOf(shape);
        const seen = new Set<number>();
        const walk = (axis: number, offset: number) => {
          if (axis === shape.length) return void seen.add(offset);
          for (let i = 0; i < shape[axis]!; i++) walk(axis + 1, offset + i * strides[axis]!);
        };
        walk(0, 0);
        expect(seen.size).toBe(sizeOf(shape));
        expect(Math.max(...seen)).toBe(sizeOf(shape) - 1);
      }),
    );
  });

  it('broadcastStrides puts 0 on broadcast and added axes', () => {
    expect(broadcastStrides([3], [2, 3])).toEqual([0, 1]);
    expect(broadcastStrides([2, 1], [2, 3])).toEqual([1, 0]);
    expect(broadcastStrides([1, 1], [4, 5])).toEqual([0, 0]);
    expect(broadcastStrides([2, 3], [2, 3])).toEqual([3, 1]);
    expect(broadcastStrides([], [2])).toEqual([0]);
  });

  it('sizeOf multiplies, with 1 for a scalar', () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([3, 0])).toBe(0);
  });

  it('sameShape and assertShape', () => {
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [3, 2])).toBe(false);
    expect(sameShape([2], [2, 1])).toBe(false);
    expect(sameShape([], [])).toBe(true);
    expect(() => assertShape([2, 0], 'op')).not.toThrow();
    for (const bad of [[-1], [1.5], [Number.NaN], 'abc' as unknown as number[]]) expect(() => assertShape(bad, 'op')).toThrow(ShapeError);
  });
});
