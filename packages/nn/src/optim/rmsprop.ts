import { type Tensor, zerosLike } from '@carousel/autograd';
import { type BaseOptimizerOptions, Optimizer, type ParamGroup, type ParamState, type Params } from './optimizer.js';

/** Options of {@link RMSprop} (PyTorch's defaults). */
export interface RMSpropOptions extends BaseOptimizerOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added to the denominator for stability (default 1e-8; at least 2⁻²⁴ on `webgpu-f16`, e.g. 1e-4). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Normalise by the estimated variance instead of the raw second moment (default false). */
  centered?: boolean;
  /** Maximise the objective instead (default false). */
  maximize?: boolean;
}

/**
 * RMSprop (torch.optim.RMSprop), with optional momentum and the centered variant. Note PyTorch's
 * convention: ε is added after the square root.
 *
 * `g ← ∇θ + λθ;  s ← αs + (1 − α)g²;  a ← centered ? √(s − ḡ²) + ε : √s + ε  (ḡ ← αḡ + (1 − α)g);  b ← μb + g/a;  θ ← θ − lr·(μ > 0 ? b : g/a)`
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3, alpha: 0.9, centered: true });
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, opts: RMSpropOptions = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, opts);
  }

  protected validate(g: Required<RMSpropOptions>): void {
    this.checkNonNegative('lr', g.lr);
    this.checkNonNegative('alpha', g.alpha);
    this.checkEps(g.eps, g);
    this.checkNonNegative('weightDecay', g.weightDecay);
    this.checkNonNegative('momentum', g.momentum);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, h: ParamGroup<RMSpropOptions>): void {
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) g = g.add(p.mul(h.weightDecay));
    const s = this.buffer(state, 'squareAvg', () => zerosLike(p));
    s.assign(s.mul(h.alpha).add(g.mul(g).mul(1 - h.alpha)));
    let avg: Tensor;
    if (h.centered) {
      const ga = this.buffer(state, 'gradAvg', () => zerosLike(p));
      ga.assign(ga.add(g.sub(ga).mul(1 - h.alpha))); // lerp, as PyTorch
      avg = s.sub(ga.mul(ga)).sqrt();
    } else {
      avg = s.sqrt();
    }
    avg = avg.add(h.eps);
    if (h.momentum > 0) {
      const b = this.buffer(state, 'momentumBuffer', () => zerosLike(p));
      b.assign(b.mul(h.momentum).add(g.div(avg)));
      p.assign(p.sub(b.mul(h.lr)));
    } else {
      p.assign(p.sub(g.div(avg).mul(h.lr)));
    }
  }
}
