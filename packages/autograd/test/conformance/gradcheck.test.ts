// Gradient conformance: every differentiable row of the op table against central finite
// differences in float64 (gradcheck), on fast-check-generated shapes and values inside the row's
// domain; second order (gradients of gradients) where the row asks for it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryOps, grad, type Tensor, tensor, tidy, unaryOps } from '../../src/index.js';
import { gradcheck } from '../../src/testing/index.js';
import { DIFFERENTIABLE, inputsOf, instanceArb, OPS, type OpRow } from './ops.js';

const NUM_RUNS = 15;
/** Generous: a property runs its gradchecks NUM_RUNS times, and CI machines are shared. */
const TIMEOUT = 60_000;

function checkGrad(r: OpRow, numRuns = NUM_RUNS): void {
  fc.assert(
    fc.property(instanceArb(r), (inst) => {
      tidy(() => {
        const xs = inputsOf(r, inst, 'float64');
        gradcheck((...ts: Tensor[]) => r.fn(ts, inst.p), xs, { ...r.gradcheck, order: r.gradOrder as 1 | 2 });
      });
    }),
    { seed: 42, numRuns },
  );
}

/** The ops the conformance suite must cover (the list). */
const REQUIRED = {
  differentiable: [
    ...['neg', 'abs', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid', 'erf'],
    ...['relu', 'leakyRelu', 'elu', 'gelu', 'softplus', 'clamp', 'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'where', 'cast'],
    ...['sum', 'mean', 'max', 'min', 'prod', 'logsumexp', 'variance', 'std', 'softmax', 'logSoftmax', 'cumsum', 'matmul', 'dot', 'outer'],
    ...['reshape', 'flatten', 'squeeze', 'unsqueeze', 'transpose', 'permute', 'expand', 'broadcastTo', 'slice', 'pad', 'concat', 'stack'],
    ...['split', 'chunk', 'tile', 'repeat', 'flip', 'gather', 'indexSelect', 'scatterAdd'],
  ],
  forwardOnly: ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'argmax', 'argmin', 'sign', 'floor', 'logicalNot', 'logicalAnd', 'logicalOr'],
};

describe('the op table', () => {
  it('covers every required op, differentiable ones with a gradcheck', () => {
    const graded = new Set(DIFFERENTIABLE.map((r) => r.op));
    const all = new Set(OPS.map((r) => r.op));
    expect(REQUIRED.differentiable.filter((op) => !graded.has(op))).toEqual([]);
    expect(REQUIRED.forwardOnly.filter((op) => !all.has(op))).toEqual([]);
  });

  it('covers every primitive of the elementwise op table (ops/elementwise.ts)', () => {
    const all = new Set(OPS.map((r) => r.op));
    expect([...Object.keys(unaryOps), ...Object.keys(binaryOps)].filter((op) => !all.has(op))).toEqual([]);
  });

  it('has unique row names and second order for every elementwise, matmul and reduction row', () => {
    expect(new Set(OPS.map((r) => r.name)).size).toBe(OPS.length);
    const secondOrder = [
      'exp',
      'tanh',
      'gelu',
      'softplus',
      'pow',
      'maximum',
      'where',
      'matmul',
      'sum',
      'prod',
      'std',
      'logsumexp',
      'softmax',
    ];
    for (const op of secondOrder) expect(DIFFERENTIABLE.filter((r) => r.op === op && r.gradOrder === 2).length, op).toBeGreaterThan(0);
  });
});

describe('gradients match finite differences (float64)', () => {
  for (const r of DIFFERENTIABLE) it(`${r.name} (order ${r.gradOrder})`, { timeout: TIMEOUT }, () => checkGrad(r));
});

describe('non-differentiable ops pass no gradient', () => {
  it('sign, floor, comparisons and argmax contribute zero', () => {
    const x = tensor([-1.5, 0.25, 2], { dtype: 'float64' });
    const g = grad((t: Tensor) => t.sign().add(t.floor()).mul(t).add(t.gt(0).cast('float64')).sum())(x);
    expect(g.arraySync()).toEqual([-3, 1, 3]);
    expect(x.argmax().requiresGrad).toBe(false);
  });
});

describe('regressions found by this suite', () => {
  const f64 = (v: number[]) => tensor(v, { dtype: 'float64' });
  // (+ 0 turns -0 into 0: the sign of a zero derivative is not the point here)
  const d1 = (f: (t: Tensor) => Tensor, x: Tensor) => [...grad((t: Tensor) => f(t).sum())(x).dataSync()].map((v) => v + 0);
  const d2 = (f: (t: Tensor) => Tensor, x: Tensor) =>
    [...grad((t: Tensor) => grad((u: Tensor) => f(u).sum())(t).sum())(x).dataSync()].map((v) => v + 0);

  it('regression: softplus has derivative σ(0) = ½ and second derivative ¼ at 0', () => {
    // relu + abs gave 0 and 0; maximum/minimum gave ½ and 0
    expect(d1((t) => t.softplus(), f64([0, -0]))).toEqual([0.5, 0.5]);
    const second = d2((t) => t.softplus(), f64([0, -0]));
    for (const v of second) expect(v).toBeCloseTo(0.25, 12);
    gradcheck((t) => t.softplus(2), [f64([0, -0, 0.5])], { order: 2 });
  });

  it('regression: elu has derivative α at 0 (1 for the smooth α = 1), not α/2', () => {
    expect(d1((t) => t.elu(), f64([0, -0]))).toEqual([1, 1]);
    expect(d1((t) => t.elu(2), f64([0]))).toEqual([2]);
    gradcheck((t) => t.elu(), [f64([0, -0])]);
  });

  it('regression: pow with exponent 0 or 1 has finite derivatives at base 0 (was 0·∞ = NaN)', () => {
    expect(d1((t) => t.pow(0), f64([0, -0, 5e-324, 2]))).toEqual([0, 0, 0, 0]);
    expect(d2((t) => t.pow(1), f64([0, 1]))).toEqual([0, 0]);
    expect(d2((t) => t.pow(0), f64([0, 1e-200, -5e-324]))).toEqual([0, 0, 0]);
    expect(d2((t) => t.pow(2), f64([0]))).toEqual([2]);
    // a tensor exponent at 0 keeps its mixed second derivative ∂²(aᵇ)/∂a∂b = 1/a
    gradcheck((a, b) => a!.pow(b!), [f64([0.5, 2, 3]), f64([0, 0, 1])], { order: 2 });
    gradcheck((a, b) => a!.pow(b!), [f64([0, 0]), f64([1, 2])]);
  });

  it('regression: prod has exact second derivatives at exact zeros (one or two per reduction)', () => {
    // Σᵢ ∂prod/∂xᵢ at [0, 2, 3] is x₁x₂ + x₀x₂ + x₀x₁: its gradient is [5, 3, 2] (was [0, 3, 2])
    expect(d2((t) => t.prod(), f64([0, 2, 3]))).toEqual([5, 3, 2]);
    expect(d2((t) => t.prod(), f64([0, 0, 3]))).toEqual([3, 3, 0]);
    for (const v of [
      [0, 2, 3],
      [0, 0, 3],
      [0, 0, 0, 2],
      [1.5, -2, 0.5],
    ])
      gradcheck((t) => t.prod(), [f64(v)], { order: 2 });
    const x = tensor(
      [
        [0, 2, 0],
        [1, 0, 3],
      ],
      { dtype: 'float64' },
    );
    gradcheck((t) => t.prod(1), [x], { order: 2 });
    gradcheck((t) => t.prod(0, { keepDims: true }), [x], { order: 2 });
  });
});
