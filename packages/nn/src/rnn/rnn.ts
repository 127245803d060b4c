import { checkTensor, ShapeError, stack, type Tensor, ValueError, zeros } from '@carousel/autograd';
import { rnnDefault } from '../init.js';
import { Module, parameter } from '../module.js';
import { checkPositiveInt } from '../validate.js';
import { type DirectionRunner, projectSteps, SequenceLayer, type SequenceOptions } from './sequence.js';

/** Options of {@link RNN}. */
export interface RNNOptions extends SequenceOptions {
  /** Activation of the hidden units (default tanh). */
  nonlinearity?: 'tanh' | 'relu';
}

const activation = (name: string, layer: string) => {
  if (name !== 'tanh' && name !== 'relu') throw new ValueError(`nonlinearity must be 'tanh' or 'relu', got '${name}'`, layer);
  return name === 'tanh' ? (t: Tensor) => t.tanh() : (t: Tensor) => t.relu();
};

/**
 * The Elman RNN (`torch.nn.RNN`), the baseline the 1997 paper beats: trained by full BPTT its
 * error signal decays exponentially with the lag. At each step $t$, for each layer:
 *
 * $$
 * h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})
 * $$
 *
 * (ReLU instead of tanh with `nonlinearity: 'relu'`).
 *
 * @example
 * const rnn = new RNN(4, 8);
 * rnn.forward(randn([10, 2, 4])).output.shape; // [10, 2, 8]
 */
export class RNN extends SequenceLayer<{ h: Tensor }> {
  protected readonly hasCell = false;
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super(inputSize, hiddenSize, opts, 'RNN');
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
    activation(this.nonlinearity, 'RNN');
    const ps = this as unknown as Record<string, Tensor>;
    const init = rnnDefault(hiddenSize);
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < this.numDirections; d++) {
        const s = this.suffix(layer, d);
        const inSize = layer === 0 ? inputSize : hiddenSize * this.numDirections;
        ps[`weight_ih${s}`] = init(parameter(zeros([hiddenSize, inSize], { dtype: this.dtype })));
        ps[`weight_hh${s}`] = init(parameter(zeros([hiddenSize, hiddenSize], { dtype: this.dtype })));
        if (this.bias) {
          ps[`bias_ih${s}`] = init(parameter(zeros([hiddenSize], { dtype: this.dtype })));
          ps[`bias_hh${s}`] = init(parameter(zeros([hiddenSize], { dtype: this.dtype })));
        }
      }
    }
  }

  protected runner(layer: number, direction: number): DirectionRunner {
    const ps = this as unknown as Record<string, Tensor | undefined>;
    const s = this.suffix(layer, direction);
    const [wih, whh, bih, bhh] = [ps[`weight_ih${s}`]!, ps[`weight_hh${s}`]!, ps[`bias_ih${s}`], ps[`bias_hh${s}`]];
    const act = activation(this.nonlinearity, 'RNN');
    return (x, h0) => {
      // both biases are constant over time: fold them into the one input projection
      const xs = projectSteps(x, wih, (xw) => [bih, bhh].reduce<Tensor>((acc, b) => (b ? acc.add(b) : acc), xw));
      const whhT = whh.transpose();
      let h = h0;
      const outs: Tensor[] = [];
      for (const xt of xs) {
        h = act(xt.add(h.matmul(whhT)));
        outs.push(h);
      }
      return { output: stack(outs, 0), h };
    };
  }
}

/**
 * One Elman step, like `torch.nn.RNNCell`: $h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})$
 * (or ReLU).
 *
 * @example
 * const cell = new RNNCell(4, 8);
 * const h = cell.forward(randn([2, 4]));
 */
export class RNNCell extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;
  readonly #act: (t: Tensor) => Tensor;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: { bias?: boolean; nonlinearity?: 'tanh' | 'relu'; dtype?: 'float32' | 'float64' } = {},
  ) {
    super();
    checkPositiveInt('RNNCell', { inputSize, hiddenSize });
    this.#act = activation(opts.nonlinearity ?? 'tanh', 'RNNCell');
    const dtype = opts.dtype ?? 'float32';
    const init = rnnDefault(hiddenSize);
    this.weight_ih = init(parameter(zeros([hiddenSize, inputSize], { dtype })));
    this.weight_hh = init(parameter(zeros([hiddenSize, hiddenSize], { dtype })));
    const bias = opts.bias ?? true;
    this.bias_ih = bias ? init(parameter(zeros([hiddenSize], { dtype }))) : null;
    this.bias_hh = bias ? init(parameter(zeros([hiddenSize], { dtype }))) : null;
  }

  /** One step from `h` (zeros when omitted); returns the new hidden state. */
  forward(x: Tensor, h?: Tensor): Tensor {
    const op = 'RNNCell.forward';
    checkTensor(x, op, 'input');
    if (h !== undefined) checkTensor(h, op, 'h');
    const dtype = this.weight_ih.dtype;
    const xb = x.rank === 1 ? x.unsqueeze(0) : x;
    if (xb.rank !== 2 || xb.shape[1] !== this.inputSize)
      throw new ShapeError(`input must be [B, ${this.inputSize}] or [${this.inputSize}], got [${x.shape.join(', ')}]`, op);
    if (x.dtype !== dtype) throw new ValueError(`input is ${x.dtype}, the cell's parameters are ${dtype}; cast the input`, op);
    const B = xb.shape[0]!;
    const hPrev = h ? (x.rank === 1 ? h.unsqueeze(0) : h) : zeros([B, this.hiddenSize], { dtype });
    if (hPrev.rank !== 2 || hPrev.shape[0] !== B || hPrev.shape[1] !== this.hiddenSize)
      throw new ShapeError(`state h must be [${B}, ${this.hiddenSize}], got [${hPrev.shape.join(', ')}]`, op);
    if (hPrev.dtype !== dtype) throw new ValueError(`state h is ${hPrev.dtype}, expected ${dtype}`, op);
    let pre = xb.matmul(this.weight_ih.transpose()).add(hPrev.matmul(this.weight_hh.transpose()));
    if (this.bias_ih) pre = pre.add(this.bias_ih);
    if (this.bias_hh) pre = pre.add(this.bias_hh);
    const out = this.#act(pre);
    return x.rank === 1 ? out.squeeze(0) : out;
  }
}
