import { DTypeError, ones, randn, setSeed, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { Dropout } from './dropout.js';

describe('Dropout', () => {
  it('validates p in [0, 1)', () => {
    for (const p of [-0.1, 1, 1.5, Number.NaN]) expect(() => new Dropout(p)).toThrow(ValueError);
    expect(() => new Dropout(1)).toThrow(/p must be in \[0, 1\), got 1/);
    expect(new Dropout().p).toBe(0.5);
    expect(new Dropout(0).p).toBe(0);
  });

  it('training: zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    setSeed(3);
    const drop = new Dropout(0.3);
    const y = drop.forward(ones([100, 100], { dtype: 'float64' }));
    const v = Array.from(y.dataSync());
    const zeros = v.filter((x) => x === 0).length;
    expect(Math.abs(zeros / v.length - 0.3)).toBeLessThan(0.02);
    for (const x of v) if (x !== 0) expect(x).toBeCloseTo(1 / 0.7, 12);
  });

  it('is the identity in eval mode and for p = 0', () => {
    const x = randn([4, 5]);
    expect(new Dropout(0.5).eval().forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    const d = new Dropout(0.5);
    d.eval();
    d.train();
    expect(d.forward(x)).not.toBe(x);
  });

  it('the same seed gives the same mask', () => {
    const drop = new Dropout(0.5);
    const x = randn([64]);
    setSeed(11);
    const a = drop.forward(x).arraySync();
    setSeed(11);
    expect(drop.forward(x).arraySync()).toEqual(a);
  });

  it('gradcheck (float64): the gradient is the mask / (1 − p)', () => {
    const drop = new Dropout(0.4);
    const f = (x: Tensor) => {
      setSeed(5); // one fixed mask for every evaluation
      return drop.forward(x).mul(x);
    };
    expect(gradcheck(f, [randn([3, 7], { dtype: 'float64' })], { order: 2 })).toBe(true);
    setSeed(5);
    const x = randn([50], { dtype: 'float64' });
    x.requiresGrad = true;
    setSeed(5);
    const y = drop.forward(x);
    y.sum().backward();
    const g = x.grad!.dataSync();
    y.dataSync().forEach((v, i) => {
      expect(g[i]).toBeCloseTo(v === 0 ? 0 : 1 / 0.6, 12);
    });
  });

  it('has no parameters and rejects non-float input', () => {
    expect(new Dropout(0.2).stateDict()).toEqual({});
    expect(() => new Dropout(0.2).forward(tensor([1, 2], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});
