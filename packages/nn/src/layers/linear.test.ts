import { randn, setSeed, type Tensor, ValueError } from '@carousel/autograd';
import { gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { Linear } from './linear.js';

describe('Linear', () => {
  it('is y = x·Wᵀ + b with PyTorch’s [out, in] weight and U(±1/√in) init', () => {
    setSeed(0);
    const l = new Linear(4, 3);
    expect(l.weight.shape).toEqual([3, 4]);
    expect(l.bias?.shape).toEqual([3]);
    expect(Math.max(...Array.from(l.weight.dataSync(), Math.abs))).toBeLessThanOrEqual(0.5);
    const x = randn([2, 4]);
    const y = l.forward(x).dataSync();
    const w = l.weight.dataSync();
    const b = l.bias!.dataSync();
    const xv = x.dataSync();
    for (let i = 0; i < 2; i++) {
      for (let o = 0; o < 3; o++) {
        let s = b[o]!;
        for (let k = 0; k < 4; k++) s += xv[i * 4 + k]! * w[o * 4 + k]!;
        expect(y[i * 3 + o]!).toBeCloseTo(s, 5);
      }
    }
  });

  it('applies over the last axis of any leading shape, and can drop the bias', () => {
    const l = new Linear(4, 2, { bias: false });
    expect(l.forward(randn([5, 3, 4])).shape).toEqual([5, 3, 2]);
    expect(l.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('passes gradcheck in float64 (input, weight, bias)', () => {
    const l = new Linear(3, 2, { dtype: 'float64' });
    // the module's own forward, with its parameters swapped for the checked inputs
    const f = (x: Tensor, w: Tensor, b: Tensor) => {
      const saved: [Tensor, Tensor | null] = [l.weight, l.bias];
      [l.weight, l.bias] = [w, b];
      const y = l.forward(x).tanh();
      [l.weight, l.bias] = saved;
      return y;
    };
    expect(gradcheck(f, [randn([2, 3], { dtype: 'float64' }), l.weight.detach(), l.bias!.detach()], { order: 2 })).toBe(true);
  });

  it('rejects non-positive sizes', () => {
    expect(() => new Linear(0, 2)).toThrow(ValueError);
    expect(() => new Linear(2, 1.5)).toThrow(/outFeatures must be a positive integer/);
  });
});
