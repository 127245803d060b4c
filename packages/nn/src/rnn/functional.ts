import { checkTensor, type Tensor } from '@carousel/autograd';

/**
 * Layer normalisation over the last axis: `(x − mean) / √(var + ε) · weight + bias` (biased
 * variance, as PyTorch).
 *
 * @example
 * layerNorm(randn([2, 4]), ones([4]), zeros([4]));
 */
export function layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  checkTensor(x, 'layerNorm', 'x');
  if (weight !== undefined) checkTensor(weight, 'layerNorm', 'weight');
  if (bias !== undefined) checkTensor(bias, 'layerNorm', 'bias');
  const mean = x.mean(-1, { keepDims: true });
  const centered = x.sub(mean);
  const variance = centered.square().mean(-1, { keepDims: true });
  let y = centered.mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}
