import { describe, expect, it } from 'vitest';
import { customGrad, randn, type Tensor, tensor } from '../index.js';
import { GradcheckError, gradcheck } from './index.js';

describe('gradcheck', () => {
  it('accepts a correct gradient, first and second order', () => {
    const x = randn([2, 3], { dtype: 'float64' });
    expect(gradcheck((t) => t.tanh().mul(t).sum(1), [x], { order: 2 })).toBe(true);
  });

  it('rejects a wrong gradient and names the input and element', () => {
    const wrong = customGrad((t: Tensor) => ({ value: t.square(), vjp: (g) => [g.mul(t).mul(3)] }));
    expect(() => gradcheck(wrong, [tensor([1, 2], { dtype: 'float64' })])).toThrow(GradcheckError);
    expect(() => gradcheck(wrong, [tensor([1, 2], { dtype: 'float64' })])).toThrow(
      /gradient of input 0 \(shape \[2\]\) at element 0: analytic/,
    );
  });

  it('rejects a wrong second derivative that has a right first derivative', () => {
    // value x², vjp 2x written with a detached x: right first derivative, zero second derivative
    const cut = customGrad((t: Tensor) => ({ value: t.square(), vjp: (g) => [g.mul(t.detach()).mul(2)] }));
    const x = tensor([1, 2], { dtype: 'float64' });
    expect(gradcheck(cut, [x])).toBe(true);
    expect(() => gradcheck(cut, [x], { order: 2 })).toThrow(/the gradient of f/);
  });

  it('requires float64 inputs', () => {
    expect(() => gradcheck((t) => t, [tensor([1])])).toThrow(/float64/);
  });
});
