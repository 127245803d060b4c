import { describe, expect, it } from 'vitest';
import { DTypeError, GradError, ShapeError } from './errors.js';
import { dispose, memory, tidy } from './memory.js';
import { scalar, tensor } from './ops/index.js';
import { customGrad, grad, isGradEnabled, noGrad, valueAndGrad, vjp } from './tape.js';
import type { Tensor } from './tensor.js';
import { assertAllclose } from './testing/allclose.js';

const f64 = { dtype: 'float64' } as const;
const leaf = (data: number[]) => tensor(data, { ...f64, requiresGrad: true });
/** The values as a plain array, for comparisons. */
const vals = (t: Tensor | null | undefined) => [...(t?.dataSync() ?? [])];
/** Elementwise map over plain numbers, for hand-derived expected values. */
const map = (xs: number[], fn: (x: number, i: number) => number) => xs.map(fn);

describe('backward', () => {
  it('fills .grad of leaves and accumulates across calls', () => {
    const x = leaf([1, 2, 3]);
    x.mul(x).sum().backward();
    expect(vals(x.grad)).toEqual([2, 4, 6]);
    x.mul(x).sum().backward();
    expect(vals(x.grad)).toEqual([4, 8, 12]);
    x.sum().backward();
    expect(vals(x.grad)).toEqual([5, 9, 13]);
    expect(x.grad?.dtype).toBe('float64');
    expect(x.grad?.shape).toEqual([3]);
    expect(x.grad?.requiresGrad).toBe(false);
  });

  it('gives non-leaf tensors no .grad', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3);
    expect(y.isLeaf).toBe(false);
    expect(y.requiresGrad).toBe(true);
    y.sum().backward();
    expect(y.grad).toBeNull();
    expect(vals(x.grad)).toEqual([3, 3]);
  });

  it('leaves leaves that do not require grad alone', () => {
    const x = leaf([1, 2]);
    const c = tensor([5, 7], f64);
    x.mul(c).sum().backward();
    expect(vals(x.grad)).toEqual([5, 7]);
    expect(c.grad).toBeNull();
  });

  it('frees the graph: a second backward needs retainGraph on the first', () => {
    const x = leaf([1, 2]);
    const y = x.square().sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(vals(x.grad)).toEqual([4, 8]);
    expect(() => y.backward()).toThrow(GradError);
    expect(() => y.backward()).toThrow(/already freed.*retainGraph/);

    const z = x.exp().sum();
    z.backward();
    expect(() => z.backward()).toThrow(GradError);
  });

  it('needs a seed gradient for a non-scalar output, of its shape and dtype', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(GradError);
    expect(() => y.backward()).toThrow(/seed gradient is needed.*\[3\]/);
    expect(() => y.backward(tensor([1, 1], f64))).toThrow(ShapeError);
    expect(() => y.backward(tensor([1, 1, 1]) as Tensor as Tensor<'float64'>)).toThrow(DTypeError);
    y.backward(tensor([1, 10, 100], f64));
    expect(vals(x.grad)).toEqual([2, 20, 200]);
  });

  it('accepts a one-element non-0-d output without a seed', () => {
    const x = leaf([3]);
    x.square().backward();
    expect(vals(x.grad)).toEqual([6]);
  });

  it('refuses a tensor that does not require grad', () => {
    expect(() => tensor([1, 2]).sum().backward()).toThrow(GradError);
    expect(() => tensor([1, 2]).sum().backward()).toThrow(/does not require grad/);
  });

  it('with createGraph, .grad is differentiable (a second derivative by backward)', () => {
    const x = leaf([1, 2]);
    x.pow(3).sum().backward(null, { createGraph: true });
    const g = x.grad!;
    expect(vals(g)).toEqual([3, 12]);
    expect(g.requiresGrad).toBe(true);
    x.grad = null;
    g.sum().backward();
    expect(vals(x.grad)).toEqual([6, 12]); // 6x
  });

  it('gives each leaf its own gradient tensor, separate from the seed', () => {
    const a = leaf([1, 2]);
    const b = leaf([3, 4]);
    const seed = tensor([1, 2], f64);
    a.add(b).backward(seed);
    expect(a.grad).not.toBe(b.grad);
    expect(a.grad).not.toBe(seed);
    seed.dispose();
    a.grad!.dispose();
    expect(vals(b.grad)).toEqual([1, 2]);
  });
});

describe('gradient flow', () => {
  it('adds up gradients reaching one leaf along two paths', () => {
    const x = leaf([1, 2]);
    x.mul(2).add(x.mul(3)).sum().backward();
    expect(vals(x.grad)).toEqual([5, 5]);

    const y = leaf([0.5, 1.5]);
    // f = sin(y)·exp(y): f' = cos(y)·exp(y) + sin(y)·exp(y)
    y.sin().mul(y.exp()).sum().backward();
    assertAllclose(
      y.grad!,
      map([0.5, 1.5], (v) => (Math.cos(v) + Math.sin(v)) * Math.exp(v)),
      { rtol: 1e-12, atol: 0 },
    );
  });

  it('handles one tensor used as both operands', () => {
    const x = leaf([1, -2, 3]);
    x.mul(x).sum().backward();
    expect(vals(x.grad)).toEqual([2, -4, 6]);

    const y = leaf([1, 2]);
    y.add(y).sum().backward();
    expect(vals(y.grad)).toEqual([2, 2]);

    const z = leaf([1, 2]);
    z.div(z).sum().backward(); // z/z ≡ 1
    expect(vals(z.grad)).toEqual([0, 0]);

    const w = leaf([2, 3]);
    w.pow(w).sum().backward(); // d/dw wʷ = wʷ(ln w + 1)
    assertAllclose(
      w.grad!,
      map([2, 3], (v) => v ** v * (Math.log(v) + 1)),
      { rtol: 1e-12, atol: 0 },
    );
  });

  it('sums broadcast gradients back to the input shape', () => {
    const a = tensor([[1, 2, 3]], { ...f64, requiresGrad: true }); // [1, 3]
    const b = tensor([[1], [2]], { ...f64, requiresGrad: true }); // [2, 1]
    a.mul(b).sum().backward(); // [2, 3]
    expect(a.grad?.arraySync()).toEqual([[3, 3, 3]]);
    expect(b.grad?.arraySync()).toEqual([[6], [6]]);
  });

  it('stops at detach()', () => {
    const x = leaf([2, 3]);
    // x·detach(x): only the first factor carries gradient, so the gradient is x (not 2x)
    x.mul(x.detach()).sum().backward();
    expect(vals(x.grad)).toEqual([2, 3]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(() => d.sum().backward()).toThrow(GradError);
  });

  it('does not record under noGrad, and restores the mode afterwards, even on a throw', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2).add(1);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    expect(vals(y)).toEqual([3, 5]);
    expect(() => y.sum().backward()).toThrow(GradError);
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => noGrad(() => isGradEnabled()))).toBe(false);
  });

  // deep graphs (an unrolled RNN) must not recurse in backward; generous timeouts: the CPU may be shared
  it('backpropagates through a 20,000-op chain without overflowing the stack', { timeout: 60_000 }, () => {
    const x = tensor([1], { ...f64, requiresGrad: true });
    tidy(() => {
      let y: Tensor = x;
      for (let i = 0; i < 10_000; i++) y = y.mul(0.9999).add(0.0001);
      y.sum().backward();
    });
    expect(x.grad!.item()).toBeCloseTo(0.9999 ** 10_000, 10);
  });

  it('takes grad and grad(grad) through a 20,000-op chain', { timeout: 60_000 }, () => {
    const n = 10_000;
    const f = (t: Tensor) => {
      let y = t;
      for (let i = 0; i < n; i++) y = y.add(t.square());
      return y.sum(); // t + n·t²: f' = 1 + 2nt, f'' = 2n
    };
    const x = tensor([1.5], f64);
    const [g, g2] = tidy(() => [grad(f)(x), grad(grad(f))(x)]);
    expect(g.item()).toBe(1 + 2 * n * 1.5);
    expect(g2.item()).toBe(2 * n);
    dispose([g, g2]);
  });
});

describe('grad, valueAndGrad, vjp', () => {
  const xs = [-1.5, 0.25, 2];

  it('grad matches the hand-derived derivative', () => {
    // f(x) = Σ x·sin(x) + x²: f' = sin(x) + x·cos(x) + 2x
    const f = (x: Tensor) => x.mul(x.sin()).add(x.square()).sum();
    const g = grad(f)(tensor(xs, f64));
    assertAllclose(
      g,
      map(xs, (v) => Math.sin(v) + v * Math.cos(v) + 2 * v),
      { rtol: 1e-12, atol: 1e-15 },
    );
    expect(g.requiresGrad).toBe(false);
    expect(g.shape).toEqual([3]);
  });

  it('grad does not touch the inputs (no .grad, no requiresGrad)', () => {
    const x = tensor(xs, f64);
    grad((t: Tensor) => t.square().sum())(x);
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBeNull();
    const p = leaf([1, 2]);
    grad((t: Tensor) => t.square().sum())(p);
    expect(p.grad).toBeNull();
  });

  it('grad with argnums returns the gradients of several arguments', () => {
    // f(a, b) = Σ a²·b: ∂a = 2ab, ∂b = a²
    const f = (a: Tensor, b: Tensor) => a.square().mul(b).sum();
    const a = tensor([1, 2], f64);
    const b = tensor([3, 4], f64);
    const [da, db] = grad(f, { argnums: [0, 1] })(a, b);
    expect(vals(da)).toEqual([6, 16]);
    expect(vals(db)).toEqual([1, 4]);
    expect(vals(grad(f, { argnums: 1 })(a, b))).toEqual([1, 4]);
    const [only] = grad(f, { argnums: [1] })(a, b);
    expect(vals(only)).toEqual([1, 4]);
    expect(() => grad(f, { argnums: 2 })(a, b)).toThrow(GradError);
  });

  it('grad is zero for an argument f does not use', () => {
    const g = grad((_a: Tensor, b: Tensor) => b.sum(), { argnums: [0, 1] })(tensor([1, 2], f64), tensor([3], f64));
    expect(vals(g[0])).toEqual([0, 0]);
    expect(vals(g[1])).toEqual([1]);
  });

  it('grad refuses a non-scalar f', () => {
    expect(() => grad((x: Tensor) => x.mul(2))(tensor([1, 2]))).toThrow(GradError);
  });

  it('valueAndGrad returns f(x), detached, and the gradient', () => {
    // f(x) = Σ exp(x)/2
    const x = tensor(xs, f64);
    const [value, g] = valueAndGrad((t: Tensor) => t.exp().div(2).sum())(x);
    expect(value.item()).toBeCloseTo(
      xs.reduce((s, v) => s + Math.exp(v) / 2, 0),
      12,
    );
    expect(value.requiresGrad).toBe(false);
    assertAllclose(
      g,
      map(xs, (v) => Math.exp(v) / 2),
      { rtol: 1e-12, atol: 0 },
    );
  });

  it('vjp gives cotangentᵀ·J for every primal, and can be called again', () => {
    // y = x² ⊙ [1, 2, 3]: J = diag(2x·[1, 2, 3])
    const x = tensor(xs, f64);
    const [y, back] = vjp((t: Tensor) => t.square().mul(tensor([1, 2, 3], f64)), x);
    expect(vals(y)).toEqual(map(xs, (v, i) => v * v * (i + 1)));
    expect(y.requiresGrad).toBe(false);
    const [g1] = back(tensor([1, 1, 1], f64));
    expect(vals(g1)).toEqual(map(xs, (v, i) => 2 * v * (i + 1)));
    const [g2] = back(tensor([0, 10, -1], f64));
    expect(vals(g2)).toEqual(map(xs, (v, i) => 2 * v * (i + 1) * [0, 10, -1][i]!));
  });

  it('vjp of matmul: dA = G·Bᵀ, dB = Aᵀ·G', () => {
    const A = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      f64,
    );
    const B = tensor(
      [
        [1, -1],
        [0, 2],
        [3, 1],
      ],
      f64,
    );
    const G = tensor(
      [
        [1, 0],
        [2, -1],
      ],
      f64,
    );
    const [C, back] = vjp((a: Tensor, b: Tensor) => a.matmul(b), A, B);
    expect(C.arraySync()).toEqual([
      [10, 6],
      [22, 12],
    ]);
    const [dA, dB] = back(G);
    expect(dA!.arraySync()).toEqual([
      [1, 0, 3],
      [3, -2, 5],
    ]); // G·Bᵀ
    expect(dB!.arraySync()).toEqual([
      [9, -4],
      [12, -5],
      [15, -6],
    ]); // Aᵀ·G
    expect(() => back(tensor([1, 2], f64))).toThrow(ShapeError);
  });
});

describe('higher-order derivatives', () => {
  const xs = [-1.25, 0.5, 2];
  const x = () => tensor(xs, f64);
  const close = { rtol: 1e-12, atol: 1e-12 };

  it('x³: 3x², 6x, 6', () => {
    const f = (t: Tensor) => t.pow(3).sum();
    const d1 = grad(f);
    const d2 = grad((t: Tensor) => d1(t).sum());
    const d3 = grad((t: Tensor) => d2(t).sum());
    assertAllclose(
      d1(x()),
      map(xs, (v) => 3 * v * v),
      close,
    );
    assertAllclose(
      d2(x()),
      map(xs, (v) => 6 * v),
      close,
    );
    assertAllclose(d3(x()), [6, 6, 6], close);
    // the README's spelling: grad(grad(f)) on a scalar input
    expect(grad(grad((t: Tensor) => t.pow(3).sum()))(tensor([2], f64)).item()).toBeCloseTo(12, 12);
  });

  it('sin: cos, −sin, −cos', () => {
    const d1 = grad((t: Tensor) => t.sin().sum());
    const d2 = grad((t: Tensor) => d1(t).sum());
    const d3 = grad((t: Tensor) => d2(t).sum());
    assertAllclose(d1(x()), map(xs, Math.cos), close);
    assertAllclose(
      d2(x()),
      map(xs, (v) => -Math.sin(v)),
      close,
    );
    assertAllclose(
      d3(x()),
      map(xs, (v) => -Math.cos(v)),
      close,
    );
  });

  it('scalar functions compose directly: grad(grad(grad(f)))', () => {
    const f = (t: Tensor) => t.mul(t.exp()).sum(); // (x eˣ)''' = (x + 3) eˣ
    const d3 = grad(grad(grad(f)));
    expect(d3(tensor([0.7], f64)).item()).toBeCloseTo((0.7 + 3) * Math.exp(0.7), 12);
  });

  // f(x, y) = Σ x²·y³: fx = 2xy³, fy = 3x²y², fxx = 2y³, fyy = 6x²y, fxy = fyx = 6xy²
  const f = (a: Tensor, b: Tensor) => a.square().mul(b.pow(3)).sum();
  const X = [1, -2];
  const Y = [3, 0.5];
  const args = () => [tensor(X, f64), tensor(Y, f64)] as const;

  it('a function of two arguments: first derivatives and the pure second derivatives', () => {
    const [fx, fy] = grad(f, { argnums: [0, 1] })(...args());
    assertAllclose(
      fx!,
      map(X, (x, i) => 2 * x * Y[i]! ** 3),
      close,
    );
    assertAllclose(
      fy!,
      map(X, (x, i) => 3 * x * x * Y[i]! ** 2),
      close,
    );
    const fxx = grad((a: Tensor, b: Tensor) => grad(f, { argnums: 0 })(a, b).sum(), { argnums: 0 });
    const fyy = grad((a: Tensor, b: Tensor) => grad(f, { argnums: 1 })(a, b).sum(), { argnums: 1 });
    assertAllclose(
      fxx(...args()),
      map(Y, (y) => 2 * y ** 3),
      close,
    );
    assertAllclose(
      fyy(...args()),
      map(X, (x, i) => 6 * x * x * Y[i]!),
      close,
    );
  });

  it('regression: mixed partials through argnums (the inner grad sees the outer one through a non-differentiated argument)', () => {
    // used to be silently zero: the inner grad detached its result because its own argument
    // (x) was not traced, although the other argument (y) was
    const fxy = grad((a: Tensor, b: Tensor) => grad(f, { argnums: 0 })(a, b).sum(), { argnums: 1 });
    const fyx = grad((a: Tensor, b: Tensor) => grad(f, { argnums: 1 })(a, b).sum(), { argnums: 0 });
    const expected = map(X, (x, i) => 6 * x * Y[i]! ** 2);
    assertAllclose(fxy(...args()), expected, close);
    assertAllclose(fyx(...args()), expected, close);
    // both at once: the row sums of the Hessian, [fxx + fyx, fxy + fyy]
    const [hx, hy] = grad((a: Tensor, b: Tensor) => grad(f, { argnums: 0 })(a, b).sum(), { argnums: [0, 1] })(...args());
    assertAllclose(
      hx!,
      map(Y, (y) => 2 * y ** 3),
      close,
    );
    assertAllclose(hy!, expected, close);
  });

  it('regression: an inner grad over a closure of the outer variable is differentiable', () => {
    const x0 = tensor([1, 2], f64);
    // g(y) = Σ ∂/∂x (x·y)² = Σ 2xy², so ∂g/∂y = 4xy
    const outer = grad((y: Tensor) => grad((xx: Tensor) => xx.mul(y).square().sum())(x0).sum());
    assertAllclose(outer(tensor([3, -1], f64)), [12, -8], close);
    // and through vjp: ∂/∂y Σ J(x ↦ x·y)ᵀ·1 = 1
    const viaVjp = grad((y: Tensor) => vjp((xx: Tensor) => xx.mul(y), x0)[1](tensor([1, 1], f64))[0]!.sum());
    assertAllclose(viaVjp(tensor([3, -1], f64)), [1, 1], close);
  });

  it('an inner grad inside noGrad stays first-order', () => {
    const x0 = tensor([1, 2], f64);
    const outer = grad((y: Tensor) => noGrad(() => grad((xx: Tensor) => xx.mul(y).square().sum())(x0)).sum());
    expect(vals(outer(tensor([3, -1], f64)))).toEqual([0, 0]);
  });

  it('grad of vjp: the Hessian-vector product', () => {
    // f = Σ x³ sin... keep it simple: ∇f = 3x², H = diag(6x), H·v = 6x⊙v
    const v = tensor([1, -1, 2], f64);
    const hvp = grad((t: Tensor) =>
      grad((u: Tensor) => u.pow(3).sum())(t)
        .mul(v)
        .sum(),
    );
    assertAllclose(
      hvp(x()),
      map(xs, (a, i) => 6 * a * [1, -1, 2][i]!),
      close,
    );
  });
});

describe('customGrad', () => {
  const roundSTE = customGrad((x: Tensor) => ({ value: x.add(0.5).floor(), vjp: (g) => [g] }));

  it('runs its forward untracked and its vjp in backward (straight-through estimator)', () => {
    const x = leaf([0.2, 1.7, -0.6]);
    const y = roundSTE(x);
    expect(vals(y)).toEqual([0, 2, -1]);
    expect(y.requiresGrad).toBe(true);
    expect(y.node?.op).toBe('customGrad');
    // loss = Σ w·round(x)²: ∂/∂x = 2w·round(x)·1 (the STE passes g straight through)
    const w = tensor([1, 2, 3], f64);
    y.square().mul(w).sum().backward();
    expect(vals(x.grad)).toEqual([0, 8, -6]);
    // without the STE, floor passes no gradient at all
    const z = leaf([0.2, 1.7, -0.6]);
    z.add(0.5).floor().square().mul(w).sum().backward();
    expect(z.grad).toBeNull();
    expect(vals(grad((t: Tensor) => t.add(0.5).floor().square().sum())(tensor([0.2, 1.7], f64)))).toEqual([0, 0]);
  });

  it('is used inside a larger graph, with grad', () => {
    // quantised linear layer: Σ round(x·a)·b, ∂/∂a = x·b (through the STE)
    const x = tensor([0.3, 2.2], f64);
    const b = tensor([1, -1], f64);
    const da = grad((a: Tensor<'float64'>) =>
      roundSTE(x.mul(a))
        .mul(b as Tensor)
        .sum(),
    )(tensor([1.5, 0.5], f64));
    expect(vals(da)).toEqual([0.3, -2.2]);
  });

  it('second order: its vjp, written in tensor ops, is differentiated too', () => {
    // the STE's vjp is the identity, so d²/dx² Σ round(x) = 0 …
    const d2 = grad((t: Tensor) => grad((u: Tensor) => roundSTE(u).sum())(t).sum());
    expect(vals(d2(tensor([0.2, 1.7], f64)))).toEqual([0, 0]);
    // … while d²/dx² Σ round(x)² = 2 (d/dx of 2·round(x)·1, through the STE again)
    const e2 = grad((t: Tensor) => grad((u: Tensor) => roundSTE(u).square().sum())(t).sum());
    expect(vals(e2(tensor([0.2, 1.7], f64)))).toEqual([2, 2]);
    // a custom square: value x², vjp 2xg, so the second derivative is 2
    const sq = customGrad((t: Tensor) => ({ value: t.square(), vjp: (g) => [g.mul(t).mul(2)] }));
    const s2 = grad((t: Tensor) => grad((u: Tensor) => sq(u).sum())(t).sum());
    expect(vals(s2(tensor([0.2, 1.7], f64)))).toEqual([2, 2]);
  });

  it('checks the vjp returns one gradient per input', () => {
    const bad = customGrad((a: Tensor, b: Tensor) => ({ value: a.add(b), vjp: (g) => [g] }));
    const y = bad(leaf([1]), leaf([2]));
    expect(() => y.sum().backward()).toThrow(GradError);
    expect(() =>
      bad(leaf([1]), leaf([2]))
        .sum()
        .backward(),
    ).toThrow(/1 gradients for 2 inputs/);
  });

  it('gives null gradients no contribution', () => {
    const half = customGrad((a: Tensor, b: Tensor) => ({ value: a.mul(b), vjp: (g) => [g.mul(b), null] }));
    const a = leaf([2]);
    const b = leaf([5]);
    half(a, b).sum().backward();
    expect(vals(a.grad)).toEqual([5]);
    expect(b.grad).toBeNull();
  });
});

describe('the tape and memory', () => {
  it('a backward inside tidy leaves only the gradients behind', () => {
    const x = leaf([1, 2, 3]);
    const before = memory().numTensors;
    tidy(() => {
      x.tanh().mul(x).exp().sum().backward();
    });
    expect(memory().numTensors).toBe(before + 1); // x.grad
    expect(x.grad?.isDisposed).toBe(false);
    dispose(x.grad);
    x.grad = null;
    expect(memory().numTensors).toBe(before);
  });

  it('grad and grad(grad) inside tidy leak nothing', () => {
    const x = scalar(0.5, f64);
    const before = memory().numTensors;
    const d2 = tidy(() => grad(grad((t: Tensor) => t.sin().mul(t).sum()))(x));
    // (x sin x)'' = 2cos x − x sin x
    expect(d2.item()).toBeCloseTo(2 * Math.cos(0.5) - 0.5 * Math.sin(0.5), 12);
    expect(memory().numTensors).toBe(before + 1);
    d2.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('region gradients (slices feeding one input)', () => {
  it('sums overlapping slices into one gradient', () => {
    const x = tensor([1, 2, 3, 4, 5], { dtype: 'float64', requiresGrad: true });
    const a = x
      .slice([[0, 3]])
      .mul(2)
      .sum();
    const b = x
      .slice([[2, 5]])
      .mul(3)
      .sum();
    const c = x.slice([[null, null, -2]]).sum(); // 5, 3, 1
    a.add(b).add(c).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([3, 2, 6, 3, 4]);
  });

  it('mixes region parts with dense gradients and keeps second order (grad of grad through split)', () => {
    const f = (t: Tensor) =>
      t
        .split(1)
        .map((p, i) => p.pow(3).mul(i + 1))
        .reduce((s, p) => s.add(p))
        .sum()
        .add(t.square().sum());
    // f = Σ (i+1)·tᵢ³ + tᵢ²  →  f'' = 6(i+1)·tᵢ + 2
    const d2 = grad((t: Tensor) => grad(f)(t).sum())(tensor([1, 2, 3], { dtype: 'float64' }));
    expect(Array.from(d2.dataSync())).toEqual([8, 26, 56]);
  });
});
