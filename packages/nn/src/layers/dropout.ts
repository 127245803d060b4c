import { checkTensor, DTypeError, type Tensor } from '@carousel/autograd';
import { Module } from '../module.js';
import { dropoutMask } from '../rnn/sequence.js';
import { checkProbability } from '../validate.js';

/**
 * Inverted dropout (Srivastava et al. 2014), like `torch.nn.Dropout`: in training mode each
 * element is zeroed with probability `p` and the survivors are scaled by `1/(1 − p)`, so the
 * expectation is unchanged; in evaluation mode (`module.eval()`) it is the identity. The mask is
 * drawn from the global seeded stream (`setSeed`). No parameters.
 *
 * @example
 * const drop = new Dropout(0.1);
 * drop.forward(ones([4, 8]));        // training: ~10% zeros, the rest 1/0.9
 * drop.eval().forward(ones([4, 8])); // evaluation: unchanged
 */
export class Dropout extends Module {
  constructor(
    /** Probability that an element is zeroed (default 0.5). */
    readonly p = 0.5,
  ) {
    super();
    checkProbability('Dropout', 'p', p);
  }

  /** Applies the mask in training mode; returns `x` itself in evaluation mode or when `p = 0`. */
  forward(x: Tensor): Tensor {
    const op = 'Dropout.forward';
    checkTensor(x, op, 'input');
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`input must be float32 or float64, got ${x.dtype}`, op);
    if (!this.training || this.p === 0) return x;
    return dropoutMask(x, this.p);
  }
}
