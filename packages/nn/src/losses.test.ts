import { DTypeError, grad, ShapeError, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { bceWithLogits, crossEntropy, mseLoss, nllLoss, sumSquaredError } from './losses.js';

const f64 = (v: number | number[] | number[][] | number[][][]): Tensor<'float64'> => tensor(v as number[], { dtype: 'float64' });
const i32 = (v: number | number[] | number[][]): Tensor<'int32'> => tensor(v as number[], { dtype: 'int32' });
const close = (t: Tensor, want: number | number[], digits = 12) => {
  const got = t.dataSync();
  const w = typeof want === 'number' ? [want] : want;
  expect(got.length).toBe(w.length);
  w.forEach((v, i) => {
    expect(got[i]).toBeCloseTo(v, digits);
  });
};

// ---- plain-JS float64 references -------------------------------------------------------------
const logSoftmaxRow = (row: number[]) => {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** PyTorch's cross_entropy with class indices, weight, ignore_index and label smoothing, term by term. */
function ceReference(logits: number[][], target: number[], opts: { w?: number[]; eps?: number; ignore?: number } = {}) {
  const C = logits[0]!.length;
  const w = opts.w ?? Array(C).fill(1);
  const eps = opts.eps ?? 0;
  const none: number[] = [];
  let nllSum = 0;
  let smoothSum = 0;
  let wSum = 0;
  logits.forEach((row, i) => {
    const y = target[i]!;
    if (y === (opts.ignore ?? -100)) {
      none.push(0);
      return;
    }
    const lp = logSoftmaxRow(row);
    const nll = -w[y]! * lp[y]!;
    const smooth = -lp.reduce((s, v, c) => s + w[c]! * v, 0);
    none.push((1 - eps) * nll + (eps / C) * smooth);
    nllSum += nll;
    smoothSum += smooth;
    wSum += w[y]!;
  });
  return { none, sum: none.reduce((a, b) => a + b, 0), mean: (1 - eps) * (nllSum / wSum) + (eps / C) * (smoothSum / wSum) };
}

const LOGITS = [
  [2, 0, -1],
  [0, 1, 0],
  [0.5, 0.5, 3],
  [-2, 4, 1],
];
const TARGET = [0, 2, 1, 1];

describe('mseLoss', () => {
  const x = f64([
    [1, 2],
    [3, 4],
  ]);
  const t = f64([
    [1, 0],
    [5, 1],
  ]);
  it('mean, sum and none match (x − t)²', () => {
    close(mseLoss(x, t), (0 + 4 + 4 + 9) / 4);
    close(mseLoss(x, t, { reduction: 'sum' }), 17);
    close(mseLoss(x, t, { reduction: 'none' }), [0, 4, 4, 9]);
    expect(mseLoss(x, t, { reduction: 'none' }).shape).toEqual([2, 2]);
  });
  it('a bool mask selects elements and the mean divides by its sum', () => {
    const mask = tensor([
      [true, false],
      [true, true],
    ]);
    close(mseLoss(x, t, { mask }), (0 + 4 + 9) / 3);
    close(mseLoss(x, t, { mask, reduction: 'sum' }), 13);
    close(mseLoss(x, t, { mask, reduction: 'none' }), [0, 0, 4, 9]);
  });
  it('a float mask weights elements; a broadcast mask counts every element it covers', () => {
    close(mseLoss(x, t, { mask: f64([0.5, 2]) }), (0 + 8 + 2 + 18) / (2 * 2.5));
    const rowMask = tensor([[true], [false]]); // [2, 1] over [2, 2]
    close(mseLoss(x, t, { mask: rowMask }), (0 + 4) / 2);
    close(mseLoss(x, t, { mask: f64([[0], [1]]) }), (4 + 9) / 2);
  });
  it('a bool mask keeps non-finite values in masked-out places out of the result', () => {
    const bad = f64([1, Number.NaN]);
    close(mseLoss(f64([2, 0]), bad, { mask: tensor([true, false]) }), 1);
  });
  it('gradchecks in float64 (every reduction, with a float mask)', () => {
    const tt = f64([0.3, -1, 2]);
    const m = f64([1, 0.5, 0]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(gradcheck((a, b) => mseLoss(a, b, { reduction, mask: m }), [f64([1, 2, -0.5]), tt])).toBe(true);
    }
  });
  it('throws clear errors', () => {
    expect(() => mseLoss(x, f64([1, 2]))).toThrow(ShapeError);
    expect(() => mseLoss(x, f64([1, 2]))).toThrow(/mseLoss: input shape \[2, 2\] and target shape \[2\] differ/);
    expect(() => mseLoss(x, tensor([[1, 2]]).cast('float32'))).toThrow(DTypeError);
    expect(() => mseLoss(x, t, { reduction: 'avg' as never })).toThrow(ValueError);
    expect(() => mseLoss(x, t, { reduction: 'avg' as never })).toThrow(/mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => mseLoss(x, t, { mask: i32([1, 0]) })).toThrow(DTypeError);
    expect(() => mseLoss(x, t, { mask: tensor([true, false, true]) })).toThrow(
      /mask of shape \[3\] does not broadcast to the per-element loss shape \[2, 2\]/,
    );
    expect(() => mseLoss(i32([1]) as never, i32([1]))).toThrow(/mseLoss: input must be float32 or float64, got int32/);
  });
});

describe('sumSquaredError (the 1997 paper’s ½·Σ(t − y)²)', () => {
  it('is half the sum of squared errors by default', () => {
    close(sumSquaredError(f64([1, 2, 3]), f64([0, 2, 5])), 0.5 * (1 + 0 + 4));
    close(sumSquaredError(f64([1, 2, 3]), f64([0, 2, 5]), { reduction: 'mean' }), (0.5 * 5) / 3);
    close(sumSquaredError(f64([1, 2, 3]), f64([0, 2, 5]), { reduction: 'none' }), [0.5, 0, 2]);
  });
  it('has gradient y − t', () => {
    const y = f64([1, 2, 3]);
    y.requiresGrad = true;
    sumSquaredError(y, f64([0, 2, 5])).backward();
    close(y.grad!, [1, 0, -2]);
  });
  it('gradchecks in float64', () => {
    expect(gradcheck((a, b) => sumSquaredError(a, b), [f64([1, 2, -3]), f64([0.1, 0.2, 0.3])])).toBe(true);
    expect(gradcheck((a, b) => sumSquaredError(a, b, { mask: tensor([true, false, true]) }), [f64([1, 2, -3]), f64([0.1, 0.2, 0.3])])).toBe(
      true,
    );
  });
});

describe('crossEntropy with class indices', () => {
  const x = f64(LOGITS);
  const y = i32(TARGET);
  it('matches a hand-computed −log softmax for every reduction', () => {
    const ref = ceReference(LOGITS, TARGET);
    close(crossEntropy(x, y), ref.mean);
    close(crossEntropy(x, y, { reduction: 'sum' }), ref.sum);
    close(crossEntropy(x, y, { reduction: 'none' }), ref.none);
    // a textbook value: −log softmax([1, 2, 3])₀ = logsumexp − 1
    close(crossEntropy(f64([[1, 2, 3]]), i32([0])), 2.4076059644443806);
  });
  it('label smoothing ε gives (1 − ε)·nll + ε·mean over classes of −log p', () => {
    const eps = 0.2;
    const ref = ceReference(LOGITS, TARGET, { eps });
    close(crossEntropy(x, y, { labelSmoothing: eps }), ref.mean);
    close(crossEntropy(x, y, { labelSmoothing: eps, reduction: 'none' }), ref.none);
    // the statement of the formula, directly, for row 0
    const lp = logSoftmaxRow(LOGITS[0]!);
    const direct = (1 - eps) * -lp[0]! + eps * (-lp.reduce((a, b) => a + b, 0) / 3);
    close(crossEntropy(f64([LOGITS[0]!]), i32([0]), { labelSmoothing: eps }), direct);
  });
  it('class weights: the mean divides by the summed target weights (PyTorch)', () => {
    const w = [0.2, 1, 3];
    const ref = ceReference(LOGITS, TARGET, { w });
    close(crossEntropy(x, y, { weight: f64(w) }), ref.mean);
    close(crossEntropy(x, y, { weight: f64(w), reduction: 'sum' }), ref.sum);
    close(crossEntropy(x, y, { weight: f64(w), reduction: 'none' }), ref.none);
  });
  it('ignoreIndex: ignored targets give 0 and leave the mean; default −100 like PyTorch', () => {
    const target = [0, -100, 1, 1];
    const ref = ceReference(LOGITS, target);
    close(crossEntropy(x, i32(target)), ref.mean);
    close(crossEntropy(x, i32(target), { reduction: 'none' }), ref.none);
    const t2 = [0, 2, 2, 1];
    close(crossEntropy(x, i32(t2), { ignoreIndex: 2 }), ceReference(LOGITS, t2, { ignore: 2 }).mean);
  });
  it('weights, ignoreIndex and label smoothing together follow PyTorch’s formula', () => {
    const w = [0.5, 2, 1.5];
    const target = [0, 1, -100, 2];
    const ref = ceReference(LOGITS, target, { w, eps: 0.3 });
    close(crossEntropy(x, i32(target), { weight: f64(w), labelSmoothing: 0.3 }), ref.mean);
    close(crossEntropy(x, i32(target), { weight: f64(w), labelSmoothing: 0.3, reduction: 'sum' }), ref.sum);
    close(crossEntropy(x, i32(target), { weight: f64(w), labelSmoothing: 0.3, reduction: 'none' }), ref.none);
  });
  it('class axis 1 for [N, C, T] (PyTorch), axis −1 for [N, T, C], and 1-D input with a scalar target', () => {
    const ntc = [
      [LOGITS[0]!, LOGITS[1]!],
      [LOGITS[2]!, LOGITS[3]!],
    ];
    const tgt = [
      [0, 2],
      [1, 1],
    ];
    const ref = ceReference(LOGITS, TARGET);
    close(crossEntropy(f64(ntc), i32(tgt), { axis: -1 }), ref.mean);
    close(crossEntropy(f64(ntc).transpose(1, 2), i32(tgt)), ref.mean); // [N, C, T]
    close(crossEntropy(f64(ntc), i32(tgt), { axis: -1, reduction: 'none' }), ref.none);
    close(crossEntropy(f64(LOGITS[2]!), i32(1)), ref.none[2]!);
  });
  it('a sequence mask [B, T] excludes padding; the mean divides by the number of real steps', () => {
    const ntc = f64([
      [LOGITS[0]!, LOGITS[1]!],
      [LOGITS[2]!, LOGITS[3]!],
    ]);
    const mask = tensor([
      [true, true],
      [true, false],
    ]);
    const ref = ceReference(LOGITS, TARGET).none;
    close(
      crossEntropy(
        ntc,
        i32([
          [0, 2],
          [1, 1],
        ]),
        { axis: -1, mask },
      ),
      (ref[0]! + ref[1]! + ref[2]!) / 3,
    );
  });
  it('is stable for huge logits', () => {
    close(crossEntropy(f64([[1000, 0, -1000]]), i32([1])), 1000);
    close(crossEntropy(tensor([[1000, 0, -1000]]), i32([0])), 0, 6);
  });
  it('gradchecks in float64 (weights, smoothing, ignored targets, masks)', () => {
    expect(gradcheck((a) => crossEntropy(a, y), [x])).toBe(true);
    const w = f64([0.5, 2, 1.5]);
    const tgt = i32([0, 1, -100, 2]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(gradcheck((a, ww) => crossEntropy(a, tgt, { weight: ww, labelSmoothing: 0.1, reduction }), [x, w])).toBe(true);
    }
    expect(gradcheck((a) => crossEntropy(a, y, { mask: f64([1, 0.5, 0, 2]) }), [x])).toBe(true);
  });
  it('gradient of the mean is (softmax − onehot)/N', () => {
    const xs = f64(LOGITS);
    xs.requiresGrad = true;
    crossEntropy(xs, y).backward();
    const want = LOGITS.flatMap((row, i) => logSoftmaxRow(row).map((v, c) => (Math.exp(v) - (c === TARGET[i] ? 1 : 0)) / 4));
    close(xs.grad!, want);
  });
  it('throws clear errors', () => {
    expect(() => crossEntropy(x, f64(TARGET))).toThrow(DTypeError);
    expect(() => crossEntropy(x, f64(TARGET))).toThrow(
      /crossEntropy: target must be int32 class indices of shape \[4\] or float probabilities of shape \[4, 3\]; got float64 of shape \[4\]/,
    );
    expect(() => crossEntropy(x, i32([0, 1]))).toThrow(ShapeError);
    expect(() => crossEntropy(x, i32([0, 1]))).toThrow(
      /target shape \[2\] does not fit an input of shape \[4, 3\] with classes on axis 1: expected \[4\]/,
    );
    expect(() => crossEntropy(x, i32([0, 3, 1, 1]))).toThrow(ValueError);
    expect(() => crossEntropy(x, i32([0, 3, 1, 1]))).toThrow(
      /crossEntropy: target class 3 \(at flat position 1\) is out of range \[0, 3\)/,
    );
    expect(() => crossEntropy(x, i32([0, -1, 1, 1]))).toThrow(/target class -1/);
    expect(() => crossEntropy(x, y, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\], got 1.5/);
    expect(() => crossEntropy(x, y, { weight: f64([1, 2]) })).toThrow(/weight must have shape \[3\] \(one per class\), got \[2\]/);
    expect(() => crossEntropy(x, y, { weight: tensor([1, 2, 3]) })).toThrow(DTypeError);
    expect(() => crossEntropy(x, y, { reduction: 'max' as never })).toThrow(/crossEntropy: reduction must be/);
    expect(() => crossEntropy(x, y, { axis: 2 })).toThrow(/class axis 2 is out of range for an input of shape \[4, 3\]/);
    expect(() => crossEntropy(i32(LOGITS) as never, y)).toThrow(/input must be float32 or float64, got int32/);
  });
});

describe('crossEntropy with class probabilities', () => {
  const probs = [
    [0.7, 0.2, 0.1],
    [0, 0, 1],
    [0.25, 0.5, 0.25],
    [1, 0, 0],
  ];
  const ref = (eps = 0, w = [1, 1, 1]) =>
    LOGITS.map((row, i) => -logSoftmaxRow(row).reduce((s, lp, c) => s + w[c]! * ((1 - eps) * probs[i]![c]! + eps / 3) * lp, 0));
  it('is −Σ_c q_c log p_c, the mean over the batch', () => {
    const r = ref();
    close(crossEntropy(f64(LOGITS), f64(probs), { reduction: 'none' }), r);
    close(crossEntropy(f64(LOGITS), f64(probs)), r.reduce((a, b) => a + b) / 4);
  });
  it('one-hot probabilities equal class indices', () => {
    const onehot = TARGET.map((t) => [0, 1, 2].map((c) => (c === t ? 1 : 0)));
    close(crossEntropy(f64(LOGITS), f64(onehot)), ceReference(LOGITS, TARGET).mean);
  });
  it('label smoothing mixes in the uniform distribution; weights scale each class (mean still over N)', () => {
    close(crossEntropy(f64(LOGITS), f64(probs), { labelSmoothing: 0.1, reduction: 'none' }), ref(0.1));
    const w = [2, 1, 0.5];
    close(crossEntropy(f64(LOGITS), f64(probs), { weight: f64(w) }), ref(0, w).reduce((a, b) => a + b) / 4);
  });
  it('gradchecks in float64 with respect to logits and probabilities', () => {
    expect(gradcheck((a, t) => crossEntropy(a, t, { labelSmoothing: 0.2 }), [f64(LOGITS), f64(probs)])).toBe(true);
  });
  it('rejects a dtype mismatch and ignoreIndex', () => {
    expect(() => crossEntropy(f64(LOGITS), tensor(probs))).toThrow(/probability target is float32, the input is float64/);
    expect(() => crossEntropy(f64(LOGITS), f64(probs), { ignoreIndex: 1 })).toThrow(/ignoreIndex is not supported for probability targets/);
  });
});

describe('nllLoss', () => {
  const logp = f64(LOGITS.map(logSoftmaxRow));
  it('is −logp_y, and crossEntropy = nllLoss ∘ logSoftmax', () => {
    close(
      nllLoss(
        f64([
          [-0.1, -2.4],
          [-1.6, -0.2],
        ]),
        i32([0, 1]),
      ),
      0.15,
    );
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const w = f64([0.2, 1, 3]);
      close(
        nllLoss(logp, i32(TARGET), { reduction, weight: w }),
        Array.from(crossEntropy(f64(LOGITS), i32(TARGET), { reduction, weight: w }).dataSync()),
      );
    }
  });
  it('supports ignoreIndex and masks', () => {
    const none = ceReference(LOGITS, TARGET).none;
    close(nllLoss(logp, i32([0, 2, 7, 1]), { ignoreIndex: 7 }), (none[0]! + none[1]! + none[3]!) / 3);
    close(nllLoss(logp, i32(TARGET), { mask: tensor([false, true, true, false]) }), (none[1]! + none[2]!) / 2);
  });
  it('gradchecks in float64', () => {
    expect(gradcheck((a) => nllLoss(a, i32([0, 2, -100, 1]), { weight: f64([1, 2, 3]) }), [logp])).toBe(true);
  });
  it('needs int32 class indices in range', () => {
    expect(() => nllLoss(logp, f64(TARGET))).toThrow(DTypeError);
    expect(() => nllLoss(logp, f64(TARGET))).toThrow(
      /nllLoss: target must be int32 class indices of shape \[4\], got float64 of shape \[4\]/,
    );
    expect(() => nllLoss(logp, i32([0, 1, 2, 9]))).toThrow(/nllLoss: target class 9 \(at flat position 3\) is out of range \[0, 3\)/);
    expect(() => nllLoss(logp, i32([[0, 1, 2, 1]]))).toThrow(ShapeError);
  });
});

describe('bceWithLogits', () => {
  const xs = [-3, -0.5, 0, 0.7, 4];
  const ts = [0, 1, 0.3, 1, 0];
  const naive = (x: number, t: number, p = 1) => -(p * t * Math.log(sigmoid(x)) + (1 - t) * Math.log(1 - sigmoid(x)));
  it('matches −[t·log σ(x) + (1 − t)·log(1 − σ(x))]', () => {
    const none = xs.map((x, i) => naive(x, ts[i]!));
    close(bceWithLogits(f64(xs), f64(ts), { reduction: 'none' }), none);
    close(bceWithLogits(f64(xs), f64(ts)), none.reduce((a, b) => a + b) / 5);
    close(
      bceWithLogits(f64(xs), f64(ts), { reduction: 'sum' }),
      none.reduce((a, b) => a + b),
    );
    close(bceWithLogits(f64([0, 2]), f64([1, 0])), (Math.LN2 + Math.log1p(Math.exp(2))) / 2);
  });
  it('posWeight scales the positive term; weight rescales each element', () => {
    const p = [2, 0.5, 3, 1, 4];
    close(
      bceWithLogits(f64(xs), f64(ts), { posWeight: f64(p), reduction: 'none' }),
      xs.map((x, i) => naive(x, ts[i]!, p[i])),
    );
    const w = [1, 0, 2, 0.5, 1];
    close(bceWithLogits(f64(xs), f64(ts), { weight: f64(w) }), xs.reduce((s, x, i) => s + w[i]! * naive(x, ts[i]!), 0) / 5);
    // posWeight [C] broadcasts over a batch [N, C]
    const pw = f64([3, 0.5]);
    close(
      bceWithLogits(
        f64([
          [1, -1],
          [0.5, 2],
        ]),
        f64([
          [1, 1],
          [0, 1],
        ]),
        { posWeight: pw, reduction: 'none' },
      ),
      [naive(1, 1, 3), naive(-1, 1, 0.5), naive(0.5, 0, 3), naive(2, 1, 0.5)],
    );
  });
  it('is stable for huge logits, in float32 too', () => {
    close(bceWithLogits(f64([100, -100, 800, -800]), f64([1, 0, 0, 1]), { reduction: 'none' }), [Math.exp(-100), Math.exp(-100), 800, 800]);
    close(bceWithLogits(tensor([100, -100, 800]), tensor([1, 0, 0]), { reduction: 'none' }), [0, 0, 800], 6);
  });
  it('has gradient σ(x) − t everywhere, x = 0 and huge x included', () => {
    const x = f64([0, 0, 50, -50, 1]);
    x.requiresGrad = true;
    const t = [1, 0.25, 0, 1, 0.5];
    bceWithLogits(x, f64(t), { reduction: 'sum' }).backward();
    close(
      x.grad!,
      [0, 0, 50, -50, 1].map((v, i) => sigmoid(v) - t[i]!),
    );
    const z = f64([0, 0]);
    z.requiresGrad = true;
    bceWithLogits(z, f64([1, 0]), { posWeight: f64([3, 3]), reduction: 'sum' }).backward();
    // ∂ℓ/∂x = (1 − t) − (1 + (p − 1)t)·σ(−x)
    close(z.grad!, [-1.5, 0.5]);
  });
  it('second derivatives are exact too, x = 0 included: σ′(x)', () => {
    const d1 = grad((x: Tensor) => bceWithLogits(x, f64([1, 0.3, 0]), { reduction: 'sum' }));
    const d2 = grad((x: Tensor) => d1(x).sum()); // the loss is separable: this is the Hessian's diagonal
    close(d2(f64([0, 0, 1.5])), [0.25, 0.25, sigmoid(1.5) * (1 - sigmoid(1.5))]);
    expect(gradcheck((a) => bceWithLogits(a, f64([1, 0.3, 0]), { posWeight: f64([2, 2, 2]) }), [f64([0, -0.4, 1.5])], { order: 2 })).toBe(
      true,
    );
  });
  it('gradchecks in float64 (input, target, weights)', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(
        gradcheck(
          (a, t, p, w) => bceWithLogits(a, t, { posWeight: p, weight: w, reduction }),
          [f64([-3, -0.5, 0.2, 0.7, 4]), f64(ts), f64([2, 0.5, 3, 1, 4]), f64([1, 0.3, 2, 0.5, 1])],
        ),
      ).toBe(true);
    }
    expect(
      gradcheck((a) => bceWithLogits(a, f64(ts), { mask: tensor([true, false, true, true, false]) }), [f64([-3, -0.5, 0.2, 0.7, 4])]),
    ).toBe(true);
  });
  it('throws clear errors', () => {
    expect(() => bceWithLogits(f64(xs), f64([1, 0]))).toThrow(/bceWithLogits: input shape \[5\] and target shape \[2\] differ/);
    expect(() => bceWithLogits(f64(xs), i32([1, 0, 1, 0, 1]))).toThrow(DTypeError);
    expect(() => bceWithLogits(f64(xs), f64(ts), { posWeight: f64([1, 2]) })).toThrow(
      /posWeight of shape \[2\] does not broadcast to the input shape \[5\]/,
    );
    expect(() => bceWithLogits(f64(xs), f64(ts), { reduction: 'none ' as never })).toThrow(ValueError);
  });
});
