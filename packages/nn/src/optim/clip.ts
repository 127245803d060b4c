import { describeValue, isTensor, keep, noGrad, scalar, stack, type Tensor, tidy, ValueError } from '@carousel/autograd';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Throw a ValueError when the total norm is NaN or infinite (default false, as PyTorch). */
  errorIfNonfinite?: boolean;
}

function gradsOf(op: string, params: Tensor | readonly Tensor[]): Tensor[] {
  const list = isTensor(params) ? [params] : params;
  if (!Array.isArray(list)) throw new ValueError(`params must be a Tensor or a list of Tensors, got ${describeValue(params)}`, op);
  return list.flatMap((p, i) => {
    if (!isTensor(p)) throw new ValueError(`parameter ${i} is not a Tensor, got ${describeValue(p)}`, op);
    return p.grad ? [p] : [];
  });
}

/** Replaces `p.grad` by `value`: in place when the gradient is a plain leaf, else by a new tensor. */
function setGrad(p: Tensor, value: Tensor): void {
  const g = p.grad!;
  if (g.isLeaf) g.assign(value);
  else {
    p.grad = keep(value.detach());
    g.dispose();
  }
}

/**
 * Rescales the gradients of `params` in place so their combined norm is at most `maxNorm`
 * (torch.nn.utils.clip_grad_norm_), and returns that total norm, before clipping, as a 0-d
 * tensor of the first gradient's dtype (the caller owns it). Parameters without a gradient are
 * skipped. `normType` is any p > 0, or `Infinity` for the max-norm.
 *
 * `N = ‖(‖g₁‖_p, …, ‖gₖ‖_p)‖_p;  gᵢ ← gᵢ · min(1, maxNorm / (N + 1e-6))`
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const loss = model.forward(randn([8, 4])).square().mean();
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2, opts: ClipGradNormOptions = {}): Tensor {
  const op = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new ValueError(`maxNorm must be a number ≥ 0, got ${maxNorm}`, op);
  if (typeof normType !== 'number' || !(normType > 0))
    throw new ValueError(`normType must be a positive number or Infinity, got ${normType}`, op);
  const withGrad = gradsOf(op, params);
  if (withGrad.length === 0) return scalar(0);
  return noGrad(() =>
    tidy(() => {
      const dtype = withGrad[0]!.grad!.dtype;
      const norms = withGrad.map((p) => {
        const a = p.grad!.abs().cast(dtype);
        if (normType === Number.POSITIVE_INFINITY) return a.size ? a.max() : scalar(0, { dtype });
        return normType === 2
          ? a.square().sum().sqrt()
          : a
              .pow(normType)
              .sum()
              .pow(1 / normType);
      });
      const all = stack(norms);
      const total =
        normType === Number.POSITIVE_INFINITY
          ? all.max()
          : normType === 2
            ? all.square().sum().sqrt()
            : all
                .pow(normType)
                .sum()
                .pow(1 / normType);
      if (opts.errorIfNonfinite && total.backend === 'cpu' && !Number.isFinite(total.item() as number))
        throw new ValueError(
          `the total ${normType}-norm of the gradients is ${total.item()}; set errorIfNonfinite: false to clip anyway`,
          op,
        );
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).minimum(1);
      for (const p of withGrad) setGrad(p, p.grad!.mul(coef.cast(p.grad!.dtype)));
      return total;
    }),
  );
}

/**
 * Clamps every gradient element of `params` into `[−clipValue, clipValue]`, in place
 * (torch.nn.utils.clip_grad_value_). Parameters without a gradient are skipped.
 *
 * `gᵢ ← clamp(gᵢ, −c, c)`
 *
 * @example
 * const model = new Linear(4, 2);
 * const loss = model.forward(randn([8, 4])).square().mean();
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: Tensor | readonly Tensor[], clipValue: number): void {
  const op = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new ValueError(`clipValue must be a number ≥ 0, got ${clipValue}`, op);
  const withGrad = gradsOf(op, params);
  noGrad(() =>
    tidy(() => {
      for (const p of withGrad) setGrad(p, p.grad!.clamp(-clipValue, clipValue));
    }),
  );
}
