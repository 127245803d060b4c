import { type Tensor, ValueError, zerosLike } from '@carousel/autograd';
import { type BaseOptimizerOptions, Optimizer, type ParamGroup, type ParamState, type Params } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW} (PyTorch's defaults). */
export interface AdamOptions extends BaseOptimizerOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates (β₁, β₂) of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8; at least 2⁻²⁴ on `webgpu-f16`, e.g. 1e-4). */
  eps?: number;
  /** Weight decay λ: an L2 term in the gradient for Adam (default 0), decoupled for AdamW (default 1e-2). */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad; default false). */
  amsgrad?: boolean;
  /** Maximise the objective instead (default false). */
  maximize?: boolean;
}

/**
 * Adam (torch.optim.Adam): bias-corrected moment estimates, with an optional L2 weight decay
 * folded into the gradient and AMSGrad.
 *
 * `g ← ∇θ + λθ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)`
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * const loss = model.forward(randn([8, 4])).square().mean();
 * loss.backward();
 * opt.step();
 */
export class Adam extends Optimizer<AdamOptions> {
  /** True for AdamW: weight decay shrinks the weights directly instead of entering the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Params<AdamOptions>, opts: AdamOptions = {}) {
    const isW = new.target === AdamW || new.target.prototype instanceof AdamW;
    super(
      isW ? 'AdamW' : 'Adam',
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
      opts,
    );
  }

  protected validate(g: Required<AdamOptions>): void {
    this.checkNonNegative('lr', g.lr);
    this.checkEps(g.eps, g);
    this.checkNonNegative('weightDecay', g.weightDecay);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new ValueError(`betas must be a pair [β₁, β₂], got ${g.betas}`, this.name);
    this.checkNonNegative('betas[0]', g.betas[0], 1);
    this.checkNonNegative('betas[1]', g.betas[1], 1);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, h: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = h.betas;
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) {
      if (this.decoupled) p.assign(p.mul(1 - h.lr * h.weightDecay));
      else g = g.add(p.mul(h.weightDecay));
    }
    const m = this.buffer(state, 'expAvg', () => zerosLike(p));
    const v = this.buffer(state, 'expAvgSq', () => zerosLike(p));
    m.assign(m.add(g.sub(m).mul(1 - beta1))); // lerp, as PyTorch
    v.assign(v.mul(beta2).add(g.mul(g).mul(1 - beta2)));
    const t = state.step;
    const stepSize = h.lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    let second = v;
    if (h.amsgrad) {
      const vmax = this.buffer(state, 'maxExpAvgSq', () => zerosLike(p));
      vmax.assign(vmax.maximum(v));
      second = vmax;
    }
    const denom = second.sqrt().div(bc2Sqrt).add(h.eps);
    p.assign(p.sub(m.div(denom).mul(stepSize)));
  }
}

/**
 * AdamW (torch.optim.AdamW): Adam with decoupled weight decay — the weights shrink by
 * `lr·λ` each step instead of λθ entering the gradient. Default weight decay 1e-2.
 *
 * `θ ← θ·(1 − lr·λ);  then Adam's update with g = ∇θ`
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Params<AdamOptions>, opts: AdamOptions = {}) {
    // anything but an object goes through as it is, for the base class to reject by name
    super(params, typeof opts === 'object' && opts !== null ? { ...opts, weightDecay: opts.weightDecay ?? 1e-2 } : opts);
  }
}
