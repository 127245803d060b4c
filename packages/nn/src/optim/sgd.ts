import { type Tensor, ValueError } from '@carousel/autograd';
import { type BaseOptimizerOptions, Optimizer, type ParamGroup, type ParamState, type Params } from './optimizer.js';

/** Options of {@link SGD} (PyTorch's defaults). */
export interface SGDOptions extends BaseOptimizerOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Momentum factor μ (default 0: plain gradient descent). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** Maximise the objective instead (default false). */
  maximize?: boolean;
}

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay
 * (torch.optim.SGD). The momentum buffer starts as the first gradient (no dampening on step 1).
 *
 * `g ← ∇θ + λθ;  b ← μb + (1 − τ)g (b₁ = g);  g ← nesterov ? g + μb : b;  θ ← θ − lr·g`
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * const loss = model.forward(randn([8, 4])).square().mean();
 * loss.backward();
 * opt.step();
 * opt.zeroGrad();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, opts: SGDOptions = {}) {
    super('SGD', params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, opts);
  }

  protected validate(g: Required<SGDOptions>): void {
    this.checkNonNegative('lr', g.lr);
    this.checkNonNegative('momentum', g.momentum);
    this.checkNonNegative('weightDecay', g.weightDecay);
    if (typeof g.dampening !== 'number' || !Number.isFinite(g.dampening))
      throw new ValueError(`dampening must be a finite number, got ${g.dampening}`, this.name);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0))
      throw new ValueError(
        `Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${g.momentum}, dampening ${g.dampening}`,
        this.name,
      );
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, h: ParamGroup<SGDOptions>): void {
    let d = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) d = d.add(p.mul(h.weightDecay));
    if (h.momentum !== 0) {
      const first = state.momentumBuffer === undefined;
      const b = this.buffer(state, 'momentumBuffer', () => d.clone());
      if (!first) b.assign(b.mul(h.momentum).add(d.mul(1 - h.dampening)));
      d = h.nesterov ? d.add(b.mul(h.momentum)) : b;
    }
    p.assign(p.sub(d.mul(h.lr)));
  }
}
