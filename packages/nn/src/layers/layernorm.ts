import {
  checkTensor,
  describeValue,
  type FloatDType,
  formatShape as fmt,
  ones,
  ShapeError,
  type Tensor,
  ValueError,
  zeros,
} from '@carousel/autograd';
import { Module, parameter } from '../module.js';
import { layerNorm } from '../rnn/functional.js';
import { checkPositiveInt } from '../validate.js';

/**
 * Options of {@link LayerNorm}.
 *
 * @example
 * new LayerNorm(16, { eps: 1e-6, elementwiseAffine: false });
 */
export interface LayerNormOptions {
  /** Added to the variance for stability (default 1e-5, as PyTorch). */
  eps?: number;
  /** Learn a per-element scale `weight` (ones) and shift `bias` (zeros); default true. */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, also learn `bias` (default true; PyTorch ≥ 2.1's `bias`). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * Layer normalisation (Ba, Kiros & Hinton 2016) over the trailing `normalizedShape` axes, like
 * `torch.nn.LayerNorm`: `y = (x − E[x]) / √(Var[x] + ε) · weight + bias`, with the biased
 * variance and parameters named `weight` and `bias` of shape `normalizedShape`.
 *
 * @example
 * const ln = new LayerNorm(16);
 * ln.forward(randn([4, 10, 16])).shape; // [4, 10, 16]
 * new LayerNorm([10, 16], { elementwiseAffine: false }).numParameters(); // 0
 */
export class LayerNorm extends Module {
  /** The scale, shaped `normalizedShape` (null without `elementwiseAffine`). */
  weight: Tensor | null;
  /** The shift, shaped `normalizedShape` (null without `elementwiseAffine` or `bias`). */
  bias: Tensor | null;
  /** The trailing shape that is normalised. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance. */
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    if (typeof normalizedShape !== 'number' && !Array.isArray(normalizedShape))
      throw new ValueError(
        `normalizedShape must be an integer or an array of integers, got ${describeValue(normalizedShape)}`,
        'LayerNorm',
      );
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0) throw new ValueError('normalizedShape must have at least one axis', 'LayerNorm');
    shape.forEach((d, i) => {
      checkPositiveInt('LayerNorm', { [`normalizedShape[${i}]`]: d });
    });
    this.normalizedShape = shape;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps >= 0) || !Number.isFinite(this.eps))
      throw new ValueError(`eps must be a finite number ≥ 0, got ${this.eps}`, 'LayerNorm');
    const dtype = opts.dtype ?? 'float32';
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? parameter(ones(shape, { dtype })) : null;
    this.bias = affine && (opts.bias ?? true) ? parameter(zeros(shape, { dtype })) : null;
  }

  /** Normalises `x [..., ...normalizedShape]` over its trailing `normalizedShape.length` axes. */
  forward(x: Tensor): Tensor {
    const op = 'LayerNorm.forward';
    checkTensor(x, op, 'input');
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(`input shape ${fmt(x.shape)} does not end with normalizedShape ${fmt(this.normalizedShape)}`, op);
    }
    if (k === 1) return layerNorm(x, this.weight ?? undefined, this.bias ?? undefined, this.eps);
    const n = tail.reduce((a, b) => a * b, 1);
    const lead = x.shape.slice(0, x.rank - k);
    const y = layerNorm(x.reshape([...lead, n]), this.weight?.reshape([n]), this.bias?.reshape([n]), this.eps);
    return y.reshape(x.shape);
  }
}
