import { fullLike, type Tensor } from '@carousel/autograd';
import { type BaseOptimizerOptions, Optimizer, type ParamGroup, type ParamState, type Params } from './optimizer.js';

/** Options of {@link Adagrad} (PyTorch's defaults). */
export interface AdagradOptions extends BaseOptimizerOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Learning-rate decay d: step t uses `lr / (1 + (t − 1)·d)` (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value of the accumulated squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator for stability (default 1e-10; at least 2⁻²⁴ on `webgpu-f16`, e.g. 1e-4). */
  eps?: number;
  /** Maximise the objective instead (default false). */
  maximize?: boolean;
}

/**
 * Adagrad (torch.optim.Adagrad): each coordinate's step shrinks with its accumulated squared
 * gradients.
 *
 * `g ← ∇θ + λθ;  S ← S + g²;  θ ← θ − lr/(1 + (t − 1)·d) · g / (√S + ε)`
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new Adagrad(model.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, opts: AdagradOptions = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, opts);
  }

  protected validate(g: Required<AdagradOptions>): void {
    this.checkNonNegative('lr', g.lr);
    this.checkNonNegative('lrDecay', g.lrDecay);
    this.checkNonNegative('weightDecay', g.weightDecay);
    this.checkNonNegative('initialAccumulatorValue', g.initialAccumulatorValue);
    this.checkEps(g.eps, g);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, h: ParamGroup<AdagradOptions>): void {
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) g = g.add(p.mul(h.weightDecay));
    const clr = h.lr / (1 + (state.step - 1) * h.lrDecay);
    const sum = this.buffer(state, 'sum', () => fullLike(p, h.initialAccumulatorValue));
    sum.assign(sum.add(g.mul(g)));
    p.assign(p.sub(g.div(sum.sqrt().add(h.eps)).mul(clr)));
  }
}
