import { type Tensor, ValueError, zerosLike } from '@carousel/autograd';
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
    if (p.backend === 'cpu') this.#updateCpu(p, grad, state, h);
    else this.#updateTensors(p, grad, state, h);
  }

  /**
   * The update as one loop over the CPU buffers, in place: on a small model the tensor form's
   * half-dozen ops (each a dispatch, an allocation and a scalar tensor) per parameter cost more
   * than the arithmetic. Same formula as {@link SGD.#updateTensors}, in float64 until the store.
   */
  #updateCpu(p: Tensor, grad: Tensor, state: ParamState, h: ParamGroup<SGDOptions>): void {
    const op = `${this.name}.step`;
    const first = h.momentum !== 0 && state.momentumBuffer === undefined;
    const M = h.momentum !== 0 ? (this.buffer(state, 'momentumBuffer', () => zerosLike(p)).buf(op) as Float32Array | Float64Array) : null;
    const P = p.buf(op) as Float32Array | Float64Array;
    const G = grad.buf(op) as Float32Array | Float64Array;
    const { lr, momentum: mu, dampening, weightDecay: wd, nesterov } = h;
    const sign = h.maximize ? -1 : 1;
    for (let i = 0, n = p.size; i < n; i++) {
      let d = sign * G[i]! + wd * P[i]!;
      if (M) {
        const b = first ? d : mu * M[i]! + (1 - dampening) * d;
        M[i] = b;
        d = nesterov ? d + mu * b : b;
      }
      P[i] = P[i]! - lr * d;
    }
  }

  /** The update as tensor ops, for the other backends. */
  #updateTensors(p: Tensor, grad: Tensor, state: ParamState, h: ParamGroup<SGDOptions>): void {
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
