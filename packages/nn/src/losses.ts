// Losses with PyTorch semantics (torch.nn.functional), plus the 1997 paper's sum of squared
// errors. Every loss builds a per-element loss, then `reduceLoss` applies the optional mask and
// the reduction, so masks and reductions behave identically everywhere.
import { checkTensor, type DType, DTypeError, formatShape as fmt, ShapeError, type Tensor, ValueError, where } from '@carousel/autograd';

/** How a loss combines its per-element values: their mean (default), their sum, or none (the per-element tensor). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss accepts. */
export interface LossOptions {
  /** `'mean'` (default, except {@link sumSquaredError}), `'sum'` or `'none'`. */
  reduction?: Reduction;
  /**
   * Which elements count: a bool tensor, or a float tensor of weights, broadcastable to the
   * per-element loss (e.g. `[B, T]` or `[B, 1]` for sequence outputs). Masked-out elements add
   * nothing (a bool mask selects with `where`, so even a NaN/Inf loss there stays out of the
   * value; a float mask multiplies); `'mean'` divides by the mask's sum over the broadcast loss
   * shape, not by the element count; `'none'` returns the masked per-element loss.
   */
  mask?: Tensor;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the target with the uniform distribution: `(1 − ε)·target + ε/C` (default 0, in [0, 1]). */
  labelSmoothing?: number;
}

/** Options of {@link nllLoss} (and, through {@link CrossEntropyOptions}, of {@link crossEntropy}). */
export interface NllLossOptions extends LossOptions {
  /** Per-class weights, shape `[C]`, the input's dtype. `'mean'` then divides by the sum of the targets' weights (PyTorch). */
  weight?: Tensor;
  /** Class-index targets equal to this are skipped: loss 0, left out of the mean (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** The class axis of the input (default as PyTorch: 1, or 0 for a 1-D input). Use -1 for `[B, T, C]` logits. */
  axis?: number;
}

/** Options of {@link bceWithLogits}. */
export interface BceWithLogitsOptions extends LossOptions {
  /** Elementwise rescaling weight, broadcastable to the input (PyTorch's `weight`). */
  weight?: Tensor;
  /** Weight of positive examples, broadcastable to the input (usually `[C]`, one per class). */
  posWeight?: Tensor;
}

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

function checkReduction(op: string, opts: LossOptions): Reduction {
  const r = opts.reduction ?? 'mean';
  if (!REDUCTIONS.includes(r)) throw new ValueError(`reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`, op);
  return r;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** True when `from` broadcasts to exactly `to` (numpy rules, `to` unchanged). */
const broadcastsTo = (from: readonly number[], to: readonly number[]) =>
  from.length <= to.length && from.every((d, i) => d === 1 || d === to[to.length - from.length + i]);

function checkFloatInput(op: string, name: string, x: unknown): asserts x is Tensor {
  checkTensor(x, op, name);
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new DTypeError(`${name} must be float32 or float64, got ${x.dtype} (shape ${fmt(x.shape)})`, op);
}

/** A float tensor of `x`'s dtype, broadcastable to `x` (weights, posWeight). */
function checkBroadcastWeight(op: string, name: string, w: unknown, x: Tensor): asserts w is Tensor {
  checkTensor(w, op, name);
  if (w.dtype !== x.dtype) throw new DTypeError(`${name} is ${w.dtype}, the input is ${x.dtype}; cast it first`, op);
  if (!broadcastsTo(w.shape, x.shape))
    throw new ShapeError(`${name} of shape ${fmt(w.shape)} does not broadcast to the input shape ${fmt(x.shape)}`, op);
}

/** Input and target of a regression-style loss: same float dtype, same shape. */
function checkPair(op: string, input: unknown, target: unknown): asserts target is Tensor {
  checkFloatInput(op, 'input', input);
  checkTensor(target, op, 'target');
  if (target.dtype !== input.dtype)
    throw new DTypeError(`target is ${target.dtype}, the input is ${input.dtype}; expected the same float dtype (cast the target)`, op);
  if (!sameShape(input.shape, target.shape))
    throw new ShapeError(`input shape ${fmt(input.shape)} and target shape ${fmt(target.shape)} differ; expected equal shapes`, op);
}

/**
 * Applies the mask and the reduction. `denom` (the per-element weight of the mean's divisor,
 * e.g. the target's class weight, 0 where ignored) defaults to 1 everywhere.
 */
function reduceLoss(op: string, loss: Tensor, opts: LossOptions, denom: Tensor | null = null): Tensor {
  const reduction = checkReduction(op, opts);
  const mask = opts.mask;
  if (mask !== undefined && mask !== null) {
    checkTensor(mask, op, 'mask');
    if (mask.dtype === 'int32')
      throw new DTypeError(`mask must be bool or float, got int32 (shape ${fmt(mask.shape)}); use mask.ne(0) for a bool mask`, op);
    if (!broadcastsTo(mask.shape, loss.shape))
      throw new ShapeError(`mask of shape ${fmt(mask.shape)} does not broadcast to the per-element loss shape ${fmt(loss.shape)}`, op);
    if (mask.dtype === 'bool') {
      const keepIt = mask as Tensor<'bool'>;
      loss = where(keepIt, loss, 0);
      denom = denom ? where(keepIt, denom, 0) : keepIt.cast(loss.dtype);
    } else {
      const m = mask.cast(loss.dtype);
      loss = loss.mul(m);
      denom = denom ? denom.mul(m) : m;
    }
  }
  if (reduction === 'none') return loss;
  const total = loss.sum();
  if (reduction === 'sum') return total;
  if (!denom) return total.div(loss.size); // an empty loss gives 0/0 = NaN, as PyTorch's mean
  return total.div(sameShape(denom.shape, loss.shape) ? denom.sum() : denom.expand(loss.shape).sum());
}

/**
 * Mean squared error (torch.nn.functional.mse_loss); input and target must have equal shapes.
 *
 * `ℓᵢ = (xᵢ − tᵢ)²`, reduced by `reduction` (default mean)
 *
 * @example
 * mseLoss(tensor([1, 2]), tensor([1, 4])).item(); // (0 + 4) / 2 = 2
 */
export function mseLoss<D extends DType>(input: Tensor<D>, target: Tensor, opts: LossOptions = {}): Tensor<D> {
  const op = 'mseLoss';
  checkPair(op, input, target);
  checkReduction(op, opts);
  return reduceLoss(op, (input as Tensor).sub(target).square(), opts) as Tensor<D>;
}

/**
 * The 1997 LSTM paper's error: half the sum of squared errors. Same as {@link mseLoss} but
 * halved and summed by default.
 *
 * `E = ½ · Σᵢ (tᵢ − yᵢ)²` (per element `½(tᵢ − yᵢ)²`; `reduction` defaults to `'sum'`)
 *
 * @example
 * sumSquaredError(tensor([1, 2]), tensor([1, 4])).item(); // ½ · 4 = 2
 */
export function sumSquaredError<D extends DType>(input: Tensor<D>, target: Tensor, opts: LossOptions = {}): Tensor<D> {
  const op = 'sumSquaredError';
  checkPair(op, input, target);
  const o = { ...opts, reduction: opts.reduction ?? 'sum' };
  checkReduction(op, o);
  return reduceLoss(op, (input as Tensor).sub(target).square().mul(0.5), o) as Tensor<D>;
}

function classAxis(op: string, input: Tensor, axis: number | undefined): number {
  if (input.rank === 0) throw new ShapeError('input must have a class axis, got a 0-d tensor', op);
  const a = axis ?? (input.rank === 1 ? 0 : 1);
  if (!Number.isInteger(a) || a < -input.rank || a >= input.rank)
    throw new ShapeError(`class axis ${axis} is out of range for an input of shape ${fmt(input.shape)}`, op);
  return a < 0 ? a + input.rank : a;
}

/** Checks class weights: 1-D of size C, the input's dtype. */
function checkClassWeight(op: string, w: unknown, input: Tensor, C: number): asserts w is Tensor {
  checkTensor(w, op, 'weight');
  if (w.dtype !== input.dtype) throw new DTypeError(`weight is ${w.dtype}, the input is ${input.dtype}; cast it first`, op);
  if (w.rank !== 1 || w.shape[0] !== C) throw new ShapeError(`weight must have shape [${C}] (one per class), got ${fmt(w.shape)}`, op);
}

/** `w` reshaped to broadcast along the class axis of an input of rank `rank`. */
const alongAxis = (w: Tensor, rank: number, axis: number) => w.reshape(Array.from({ length: rank }, (_, i) => (i === axis ? -1 : 1)));

/**
 * The class-index path shared by nllLoss and crossEntropy: `logp` are log-probabilities with
 * classes on `axis`, `target` int32 class indices.
 */
function classIndexLoss(op: string, logp: Tensor, target: Tensor, opts: CrossEntropyOptions, axis: number, smoothing: number): Tensor {
  const C = logp.shape[axis]!;
  const expected = logp.shape.filter((_, i) => i !== axis);
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `target shape ${fmt(target.shape)} does not fit an input of shape ${fmt(logp.shape)} with classes on axis ${axis}: expected ${fmt(expected)}` +
        (op === 'crossEntropy' ? ' (class indices), or the input shape (probabilities, float)' : ''),
      op,
    );
  }
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new ValueError(`ignoreIndex must be an integer, got ${ignoreIndex}`, op);
  let anyIgnored = true;
  if (target.backend === 'cpu') {
    anyIgnored = false;
    const data = target.dataSync();
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v === ignoreIndex) anyIgnored = true;
      else if (v < 0 || v >= C) {
        throw new ValueError(
          `target class ${v} (at flat position ${i}) is out of range [0, ${C}) for an input of shape ${fmt(logp.shape)} (ignoreIndex ${ignoreIndex})`,
          op,
        );
      }
    }
  }
  const ignored = anyIgnored ? target.eq(ignoreIndex) : null;
  const safe = (ignored ? where(ignored, 0, target) : target) as Tensor<'int32'>;
  let loss = logp
    .gather(axis, safe.unsqueeze(axis) as Tensor<'int32'>)
    .squeeze(axis)
    .neg();
  let denom: Tensor | null = null;
  const weight = opts.weight;
  if (weight !== undefined) {
    checkClassWeight(op, weight, logp, C);
    denom = weight.gather(0, safe.flatten() as Tensor<'int32'>).reshape(safe.shape);
    loss = loss.mul(denom);
  }
  if (smoothing > 0) {
    const weighted = weight ? logp.mul(alongAxis(weight, logp.rank, axis)) : logp;
    loss = loss.mul(1 - smoothing).sub(weighted.sum(axis).mul(smoothing / C));
  }
  if (ignored) {
    loss = where(ignored, 0, loss);
    denom = denom ? where(ignored, 0, denom) : ignored.logicalNot().cast(loss.dtype);
  }
  return reduceLoss(op, loss, opts, denom);
}

function checkSmoothing(op: string, s: number): void {
  if (!(s >= 0 && s <= 1)) throw new ValueError(`labelSmoothing must be in [0, 1], got ${s}`, op);
}

/**
 * Cross entropy between logits and a target (torch.nn.functional.cross_entropy). The target is
 * either int32 class indices (shape: the input without its class axis) or float class
 * probabilities (the input's shape and dtype). Classes lie on axis 1 (axis 0 for a 1-D input)
 * as in PyTorch; pass `axis: -1` for `[B, T, C]` logits. With class indices, `weight`,
 * `ignoreIndex` and `labelSmoothing` follow PyTorch exactly, including the mean dividing by the
 * summed weights of the non-ignored targets.
 *
 * `ℓ = −(1 − ε)·w_y·log p_y − (ε/C)·Σ_c w_c·log p_c`, with `log p = logSoftmax(x)` (w ≡ 1 without `weight`);
 * for probabilities `ℓ = −Σ_c w_c·q_c·log p_c` with `q = (1 − ε)·t + ε/C`
 *
 * @example
 * const logits = tensor([[2, 0, -1], [0, 1, 0]]);
 * crossEntropy(logits, tensor([0, 2], { dtype: 'int32' })).item(); // mean of −log p₀₀ and −log p₁₂
 * crossEntropy(logits, tensor([0, 2], { dtype: 'int32' }), { labelSmoothing: 0.1, reduction: 'none' });
 */
export function crossEntropy<D extends DType>(input: Tensor<D>, target: Tensor, opts: CrossEntropyOptions = {}): Tensor<D> {
  const op = 'crossEntropy';
  checkFloatInput(op, 'input', input);
  checkTensor(target, op, 'target');
  checkReduction(op, opts);
  const smoothing = opts.labelSmoothing ?? 0;
  checkSmoothing(op, smoothing);
  const axis = classAxis(op, input, opts.axis);
  const C = input.shape[axis]!;
  if (target.dtype === 'int32') return classIndexLoss(op, input.logSoftmax(axis), target, opts, axis, smoothing) as Tensor<D>;
  if (target.dtype === 'bool' || !sameShape(target.shape, input.shape)) {
    const indexShape = fmt(input.shape.filter((_, i) => i !== axis));
    throw new DTypeError(
      `target must be int32 class indices of shape ${indexShape} or float probabilities of shape ${fmt(input.shape)}; got ${target.dtype} of shape ${fmt(target.shape)}`,
      op,
    );
  }
  if (target.dtype !== input.dtype)
    throw new DTypeError(`probability target is ${target.dtype}, the input is ${input.dtype}; cast the target`, op);
  if (opts.ignoreIndex !== undefined && opts.ignoreIndex >= 0)
    throw new ValueError(`ignoreIndex is not supported for probability targets, got ${opts.ignoreIndex}`, op);
  let q: Tensor = target;
  if (smoothing > 0) q = target.mul(1 - smoothing).add(smoothing / C);
  let logp: Tensor = input.logSoftmax(axis);
  if (opts.weight !== undefined) {
    checkClassWeight(op, opts.weight, input, C);
    logp = logp.mul(alongAxis(opts.weight, input.rank, axis));
  }
  return reduceLoss(op, logp.mul(q).sum(axis).neg(), opts) as Tensor<D>;
}

/**
 * Negative log-likelihood of int32 class indices under log-probabilities
 * (torch.nn.functional.nll_loss): `crossEntropy` without the `logSoftmax`. Classes lie on
 * axis 1 (axis 0 for a 1-D input), or on `axis`.
 *
 * `ℓ = −w_y · logp_y`; `'mean'` divides by `Σ w_y` over the non-ignored targets
 *
 * @example
 * const logp = tensor([[-0.1, -2.4], [-1.6, -0.2]]);
 * nllLoss(logp, tensor([0, 1], { dtype: 'int32' })).item(); // (0.1 + 0.2) / 2 = 0.15
 */
export function nllLoss<D extends DType>(input: Tensor<D>, target: Tensor, opts: NllLossOptions = {}): Tensor<D> {
  const op = 'nllLoss';
  checkFloatInput(op, 'input', input);
  checkTensor(target, op, 'target');
  checkReduction(op, opts);
  const axis = classAxis(op, input, opts.axis);
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `target must be int32 class indices of shape ${fmt(input.shape.filter((_, i) => i !== axis))}, got ${target.dtype} of shape ${fmt(target.shape)}`,
      op,
    );
  }
  return classIndexLoss(op, input, target, opts, axis, 0) as Tensor<D>;
}

/**
 * Binary cross entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits),
 * computed stably for any logit and with the exact gradient `σ(x) − t` everywhere (x = 0
 * included). Target: probabilities in [0, 1] of the input's shape and dtype.
 *
 * `ℓ = max(x, 0) − x·t + log1p(e^−|x|)`; with `posWeight` p:
 * `ℓ = (1 − t)·x + (1 + (p − 1)·t)·(max(−x, 0) + log1p(e^−|x|))`; times `weight` when given
 *
 * @example
 * bceWithLogits(tensor([0, 2]), tensor([1, 0])).item(); // (ln 2 + softplus(2)) / 2
 * const [logits, targets] = [randn([4, 1]), tensor([[1], [0], [0], [1]])];
 * bceWithLogits(logits, targets, { posWeight: tensor([3]) }); // positives count three times
 */
export function bceWithLogits<D extends DType>(input: Tensor<D>, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor<D> {
  const op = 'bceWithLogits';
  checkPair(op, input, target);
  checkReduction(op, opts);
  const x: Tensor = input;
  // both pieces are picked with where on x > 0, so at x = 0 each is a smooth function of x and every
  // derivative there is exact (σ(0) = ½, σ′(0) = ¼), as for softplus
  const pos = x.gt(0);
  const log1pExpNegAbs = where(pos, x.neg(), x).exp().log1p(); // log1p(e^−|x|), never overflows
  let loss: Tensor;
  if (opts.posWeight !== undefined) {
    checkBroadcastWeight(op, 'posWeight', opts.posWeight, input);
    const softplusNeg = where(pos, 0, x.neg()).add(log1pExpNegAbs); // max(−x, 0) + log1p(e^−|x|)
    const coef = opts.posWeight.sub(1).mul(target).add(1);
    loss = target.neg().add(1).mul(x).add(coef.mul(softplusNeg));
  } else {
    loss = where(pos, x, 0).sub(x.mul(target)).add(log1pExpNegAbs);
  }
  if (opts.weight !== undefined) {
    checkBroadcastWeight(op, 'weight', opts.weight, input);
    loss = loss.mul(opts.weight);
  }
  return reduceLoss(op, loss, opts) as Tensor<D>;
}
