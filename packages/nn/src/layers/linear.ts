import { checkTensor, type FloatDType, matmul, type Tensor, zeros } from '@carousel/autograd';
import { uniform } from '../init.js';
import { Module, parameter } from '../module.js';
import { checkPositiveInt } from '../validate.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * Affine map `y = x·Wᵀ + b` over the last axis, PyTorch layout: `weight` is `[out, in]`.
 * Initialised like PyTorch: `U(±1/√in)` for weight and bias.
 *
 * @example
 * const head = new Linear(16, 4);
 * head.forward(randn([2, 16])).shape; // [2, 4]
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    checkPositiveInt('Linear', { inFeatures, outFeatures });
    const dtype = opts.dtype ?? 'float32';
    const init = uniform(1 / Math.sqrt(inFeatures));
    this.weight = init(parameter(zeros([outFeatures, inFeatures], { dtype })));
    this.bias = opts.bias === false ? null : init(parameter(zeros([outFeatures], { dtype })));
  }

  /** `x·Wᵀ + b` over the last axis of `x`. */
  forward(x: Tensor): Tensor {
    checkTensor(x, 'Linear.forward', 'input');
    const y = matmul(x, this.weight, { transposeB: true }); // reads Wᵀ in place, no copy
    return this.bias ? y.add(this.bias) : y;
  }
}
