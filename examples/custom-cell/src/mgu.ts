// A minimal gated unit (Zhou et al. 2016): one gate f does the work of the GRU's two.
//
//   f  = σ(W_f x + U_f h + b_f)
//   h̃  = tanh(W_c x + U_c (f ⊙ h) + b_c)
//   h' = (1 − f) ⊙ h + f ⊙ h̃
import { type FloatDType, type Tensor, zeros } from '@carousel/autograd';
import { init, Module, parameter } from '@carousel/nn';

/**
 * One MGU step as a pure function of tensors — what `gradcheck` differentiates. `weightIh` is
 * `[2H, I]` and `weightHh` `[2H, H]` (rows: the gate f, then the candidate), `bias` is `[2H]`.
 */
export function mguStep(x: Tensor, h: Tensor, weightIh: Tensor, weightHh: Tensor, bias: Tensor): Tensor {
  const H = h.shape[h.rank - 1]!;
  const [xf, xc] = x.matmul(weightIh.transpose()).add(bias).split(H, -1) as [Tensor, Tensor];
  const [uf, uc] = weightHh.split(H, 0) as [Tensor, Tensor];
  const f = xf.add(h.matmul(uf.transpose())).sigmoid();
  const candidate = xc.add(f.mul(h).matmul(uc.transpose())).tanh();
  return h.add(f.mul(candidate.sub(h))); // (1 − f) ⊙ h + f ⊙ h̃
}

/** Options of {@link MGUCell}. */
export interface MGUOptions {
  /** Parameter dtype (default float32; float64 for gradcheck). */
  dtype?: FloatDType;
}

/** One MGU step as a Module: its tensor fields that require grad are its parameters. */
export class MGUCell extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias: Tensor;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: MGUOptions = {},
  ) {
    super();
    const dtype = opts.dtype ?? 'float32';
    const u = init.uniform(1 / Math.sqrt(hiddenSize)); // PyTorch's default for recurrent weights
    this.weight_ih = u(parameter(zeros([2 * hiddenSize, inputSize], { dtype })));
    this.weight_hh = u(parameter(zeros([2 * hiddenSize, hiddenSize], { dtype })));
    this.bias = u(parameter(zeros([2 * hiddenSize], { dtype })));
  }

  /** The state before the first step: zeros `[batch, H]` (what `Recurrent` asks for). */
  initialState(batch: number): Tensor {
    return zeros([batch, this.hiddenSize], { dtype: this.weight_ih.dtype as FloatDType });
  }

  /** `x [B, I]`, `h [B, H]` (zeros when omitted) → `h' [B, H]`. */
  forward(x: Tensor, h?: Tensor): Tensor {
    return mguStep(x, h ?? this.initialState(x.shape[0]!), this.weight_ih, this.weight_hh, this.bias);
  }
}
