import {
  checkTensor,
  type GRULayerInputs,
  gruSequence,
  hasFusedKernel,
  ShapeError,
  stack,
  type Tensor,
  ValueError,
  zeros,
} from '@carousel/autograd';
import { rnnDefault } from '../init.js';
import { Module, parameter } from '../module.js';
import { checkPositiveInt } from '../validate.js';
import { type DirectionRunner, projectedInputs, projectSteps, SequenceLayer, type SequenceOptions } from './sequence.js';

/** Options of {@link GRU} and {@link GRUCell}. */
export interface GRUOptions extends SequenceOptions {
  /**
   * Where the reset gate applies: `'after'` the recurrent matmul (PyTorch/cuDNN, default:
   * $n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))$) or `'before'` it (Cho et al.
   * 2014 v3: $n = \tanh(W_{in} x + b_{in} + W_{hn} (r \odot h) + b_{hn})$).
   */
  reset?: 'after' | 'before';
  /**
   * Use the backend's fused whole-sequence kernel when it has one (the CPU does) for
   * `reset: 'after'` (default true). Same values and gradients as the composite cell, higher-order
   * gradients included; `false` forces the composite. Under `noGrad` (or when nothing requires
   * grad) the kernel keeps no per-step activations, so inference needs memory for the output only.
   */
  fused?: boolean;
}

interface GRUWeights {
  wih: Tensor;
  whh: Tensor;
  bih?: Tensor;
  bhh?: Tensor;
}

function createGRUWeights(owner: Module, inputSize: number, H: number, bias: boolean, dtype: 'float32' | 'float64', suffix: string): void {
  const init = rnnDefault(H);
  const ps = owner as unknown as Record<string, Tensor>;
  ps[`weight_ih${suffix}`] = init(parameter(zeros([3 * H, inputSize], { dtype })));
  ps[`weight_hh${suffix}`] = init(parameter(zeros([3 * H, H], { dtype })));
  if (bias) {
    ps[`bias_ih${suffix}`] = init(parameter(zeros([3 * H], { dtype })));
    ps[`bias_hh${suffix}`] = init(parameter(zeros([3 * H], { dtype })));
  }
}

function gruWeights(owner: Module, suffix: string): GRUWeights {
  const ps = owner as unknown as Record<string, Tensor | undefined>;
  return { wih: ps[`weight_ih${suffix}`]!, whh: ps[`weight_hh${suffix}`]!, bih: ps[`bias_ih${suffix}`], bhh: ps[`bias_hh${suffix}`] };
}

/** One GRU step on the input projection `xw = x·W_ihᵀ + b_ih`, gate order r, z, n. */
function gruStep(w: GRUWeights, H: number, resetBefore: boolean): (xw: Tensor, h: Tensor) => Tensor {
  const whhT = w.whh.transpose();
  const [whhRZ, whhN] = resetBefore ? whhT.split([2 * H, H], 1) : [undefined, undefined];
  const [bhhRZ, bhhN] = resetBefore && w.bhh ? w.bhh.split([2 * H, H]) : [undefined, undefined];
  return (xw, h) => {
    const [xr, xz, xn] = xw.split(H, -1) as [Tensor, Tensor, Tensor];
    if (!resetBefore) {
      let hw = h.matmul(whhT);
      if (w.bhh) hw = hw.add(w.bhh);
      const [hr, hz, hn] = hw.split(H, -1) as [Tensor, Tensor, Tensor];
      const r = xr.add(hr).sigmoid();
      const z = xz.add(hz).sigmoid();
      const n = xn.add(r.mul(hn)).tanh();
      return z.neg().add(1).mul(n).add(z.mul(h));
    }
    let hw = h.matmul(whhRZ!);
    if (bhhRZ) hw = hw.add(bhhRZ);
    const [hr, hz] = hw.split(H, -1) as [Tensor, Tensor];
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    let hn = r.mul(h).matmul(whhN!);
    if (bhhN) hn = hn.add(bhhN);
    const n = xn.add(hn).tanh();
    return z.neg().add(1).mul(n).add(z.mul(h));
  };
}

/**
 * A multi-layer GRU, numerically identical to `torch.nn.GRU` (gate order r, z, n; reset applied
 * after the recurrent matmul, two biases), or Cho et al. 2014's original with `reset: 'before'`.
 * At each step $t$, for each layer (its input $x_t$ is the previous layer's $h_t$):
 *
 * $$
 * \begin{aligned}
 * r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
 * z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
 * n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
 * h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
 * \end{aligned}
 * $$
 *
 * with $\sigma$ the logistic sigmoid and $\odot$ the element-wise product; `reset: 'before'`
 * computes $n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})$.
 *
 * @example
 * const gru = new GRU(8, 16);
 * const { output, state } = gru.forward(randn([10, 4, 8])); // state.h: [1, 4, 16]
 */
export class GRU extends SequenceLayer<{ h: Tensor }> {
  protected readonly hasCell = false;
  readonly reset: 'after' | 'before';
  /** Whether the fused kernel may be used (see {@link GRUOptions.fused}). */
  readonly fused: boolean;

  constructor(inputSize: number, hiddenSize: number, opts: GRUOptions = {}) {
    super(inputSize, hiddenSize, opts, 'GRU');
    this.reset = opts.reset ?? 'after';
    this.fused = opts.fused ?? true;
    if (this.reset !== 'after' && this.reset !== 'before')
      throw new ValueError(`reset must be 'after' or 'before', got '${this.reset}'`, 'GRU');
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < this.numDirections; d++) {
        createGRUWeights(
          this,
          layer === 0 ? inputSize : hiddenSize * this.numDirections,
          hiddenSize,
          this.bias,
          this.dtype,
          this.suffix(layer, d),
        );
      }
    }
  }

  protected runner(layer: number, direction: number): DirectionRunner {
    const w = gruWeights(this, this.suffix(layer, direction));
    const H = this.hiddenSize;
    const resetBefore = this.reset === 'before';
    const fused = this.fused && !resetBefore;
    return (x, h0) => {
      if (fused && hasFusedKernel('gru', x)) {
        const [T, B] = x.shape as [number, number, number];
        // the composite of the same meaning, for gradients of gradients
        const composite = (inp: GRULayerInputs) => {
          const step = gruStep({ wih: w.wih, whh: inp.whh, bhh: inp.bhh }, H, false);
          let h = inp.h0;
          const outs: Tensor[] = [];
          for (const xt of projectedInputs(inp).split(1, 0)) {
            h = step(xt.reshape([B, -1]), h);
            outs.push(h);
          }
          return stack(outs, 0);
        };
        const output = gruSequence({ x, wih: w.wih, bih: w.bih, whh: w.whh, bhh: w.bhh, h0 }, { composite });
        return { output, h: output.slice([T - 1]) };
      }
      const xs = projectSteps(x, w.wih, (xw) => (w.bih ? xw.add(w.bih) : xw));
      const step = gruStep(w, H, resetBefore);
      let h = h0;
      const outs: Tensor[] = [];
      for (const xt of xs) {
        h = step(xt, h);
        outs.push(h);
      }
      return { output: stack(outs, 0), h };
    };
  }
}

/**
 * One GRU step, like `torch.nn.GRUCell`: `forward(x [B, I], h?) → h'`, with the equations of
 * {@link GRU} for one step:
 *
 * $$
 * \begin{aligned}
 * r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
 * z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
 * n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
 * h' &= (1 - z) \odot n + z \odot h
 * \end{aligned}
 * $$
 *
 * @example
 * const cell = new GRUCell(8, 16);
 * const h = cell.forward(randn([4, 8]));
 */
export class GRUCell extends Module {
  readonly reset: 'after' | 'before';
  readonly dtype: 'float32' | 'float64';

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: { bias?: boolean; dtype?: 'float32' | 'float64'; reset?: 'after' | 'before' } = {},
  ) {
    super();
    checkPositiveInt('GRUCell', { inputSize, hiddenSize });
    this.reset = opts.reset ?? 'after';
    if (this.reset !== 'after' && this.reset !== 'before')
      throw new ValueError(`reset must be 'after' or 'before', got '${this.reset}'`, 'GRUCell');
    this.dtype = opts.dtype ?? 'float32';
    createGRUWeights(this, inputSize, hiddenSize, opts.bias ?? true, this.dtype, '');
  }

  /** One step from `h` (zeros when omitted); returns the new hidden state. */
  forward(x: Tensor, h?: Tensor): Tensor {
    const op = 'GRUCell.forward';
    checkTensor(x, op, 'input');
    if (h !== undefined) checkTensor(h, op, 'h');
    const xb = x.rank === 1 ? x.unsqueeze(0) : x;
    if (xb.rank !== 2 || xb.shape[1] !== this.inputSize)
      throw new ShapeError(`input must be [B, ${this.inputSize}] or [${this.inputSize}], got [${x.shape.join(', ')}]`, op);
    if (x.dtype !== this.dtype) throw new ValueError(`input is ${x.dtype}, the cell's parameters are ${this.dtype}; cast the input`, op);
    const B = xb.shape[0]!;
    const hb = h ? (x.rank === 1 ? h.unsqueeze(0) : h) : zeros([B, this.hiddenSize], { dtype: this.dtype });
    if (hb.rank !== 2 || hb.shape[0] !== B || hb.shape[1] !== this.hiddenSize) {
      throw new ShapeError(`state h must be [${B}, ${this.hiddenSize}], got [${hb.shape.join(', ')}]`, op);
    }
    if (hb.dtype !== this.dtype) throw new ValueError(`state h is ${hb.dtype}, expected ${this.dtype}`, op);
    const w = gruWeights(this, '');
    let xw = xb.matmul(w.wih.transpose());
    if (w.bih) xw = xw.add(w.bih);
    const out = gruStep(w, this.hiddenSize, this.reset === 'before')(xw, hb);
    return x.rank === 1 ? out.squeeze(0) : out;
  }
}
