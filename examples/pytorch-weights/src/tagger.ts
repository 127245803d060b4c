import type { Tensor } from '@carousel/autograd';
import { Linear, LSTM, Module } from '@carousel/nn';

/**
 * The model on both sides: PyTorch's `Tagger` (see the README) and this one have the same
 * submodule names, so their state-dict keys agree: `lstm.weight_ih_l0`, …, `fc.weight`, `fc.bias`.
 */
export class Tagger extends Module {
  lstm = new LSTM(4, 8, { numLayers: 2 });
  fc = new Linear(8, 3);

  /** `x [T, B, 4]` → `[T, B, 3]`, a score per class at every step. */
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.lstm.forward(x).output);
  }
}
