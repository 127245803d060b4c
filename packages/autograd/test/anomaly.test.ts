// detectAnomaly names the first op whose forward or backward produced NaN or Inf, and is off
// outside its scope (NaN then propagates silently, as IEEE arithmetic does).
import { describe, expect, it } from 'vitest';
import { AnomalyError, customGrad, detectAnomaly, grad, isGradEnabled, type Tensor, tensor, where } from '../src/index.js';

/** Runs `fn` and returns what it threw (failing the test when it throws nothing). */
function thrown(fn: () => unknown): AnomalyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AnomalyError);
    return e as AnomalyError;
  }
  expect.fail('expected an AnomalyError, none was thrown');
}

describe('detectAnomaly', () => {
  it('names the op whose forward produced NaN (log of a negative number)', () => {
    const e = thrown(() => detectAnomaly(() => tensor([1, -1]).log()));
    expect(e.op).toBe('log');
    expect(e.message).toBe('log: forward produced NaN (shape [2], element 1)');
  });

  it('names the op whose forward produced Inf (division by zero)', () => {
    const e = thrown(() => detectAnomaly(() => tensor([[1, 2]]).div(tensor([[1, 0]]))));
    expect(e.op).toBe('div');
    expect(e.message).toBe('div: forward produced Inf (shape [1, 2], element 1)');
  });

  it('names the first bad op of a chain, not the ones after it', () => {
    const e = thrown(() => detectAnomaly(() => tensor([0, 4]).reciprocal().mul(2).sum()));
    expect(e.op).toBe('reciprocal');
    expect(e.message).toMatch(/^reciprocal: forward produced Inf \(shape \[2\], element 0\)/);
  });

  it('names the op whose backward produced Inf (sqrt at 0), not an op inside its gradient rule', () => {
    const x = tensor([4, 0], { requiresGrad: true });
    const y = x.sqrt().sum(); // the forward is finite: √0 = 0
    const e = thrown(() => detectAnomaly(() => y.backward()));
    expect(e.op).toBe('sqrt');
    expect(e.message).toBe('sqrt: backward (gradient of input 0) produced Inf (shape [2], element 1)');
    expect(isGradEnabled()).toBe(true);
  });

  it('names the op whose backward produced NaN (0 · Inf in the gradient of pow at 0)', () => {
    // d/dx x^0.5 = 0.5 · x^-0.5: at x = 0 an upstream gradient of 0 meets Inf and gives NaN
    const e = thrown(() =>
      detectAnomaly(() =>
        grad((t: Tensor) =>
          t
            .pow(0.5)
            .mul(tensor([1, 0]))
            .sum(),
        )(tensor([1, 0])),
      ),
    );
    expect(e.op).toBe('pow');
    expect(e.message).toMatch(/^pow: backward \(gradient of input 0\) produced NaN \(shape \[2\], element 1\)/);
  });

  it('is off outside its scope, even after it threw', () => {
    expect(tensor([-1]).log().arraySync()[0]).toBeNaN();
    expect(() => detectAnomaly(() => tensor([-1]).log())).toThrow(AnomalyError);
    expect(tensor([-1]).log().arraySync()[0]).toBeNaN();
    const x = tensor([0], { requiresGrad: true });
    x.sqrt().sum().backward();
    expect(x.grad?.arraySync()).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('returns the value of a finite computation and nests', () => {
    const y = detectAnomaly(() => detectAnomaly(() => tensor([1, 4]).sqrt()));
    expect(y.arraySync()).toEqual([1, 2]);
    expect(() => detectAnomaly(() => detectAnomaly(() => tensor([1]).sqrt()).div(0))).toThrow(/^div: forward produced Inf/);
  });

  it('judges the gradient a rule returns, not an Inf it masks away on the way', () => {
    // a hand-written rule g/x where x > 0, else 0: it divides by zero at x = 0, then where() drops that value
    const masked = customGrad((t: Tensor) => ({ value: t.mul(2), vjp: (g) => [where(t.gt(0), g.div(t), 0)] }));
    const x = tensor([0, 2], { requiresGrad: true });
    detectAnomaly(() => masked(x).sum().backward());
    expect(x.grad?.arraySync()).toEqual([0, 0.5]);
  });
});
