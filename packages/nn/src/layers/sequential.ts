import { checkTensor, describeValue, type Tensor, ValueError } from '@carousel/autograd';
import { Module } from '../module.js';

/**
 * A module with a tensor-to-tensor `forward`: what {@link Sequential} can chain.
 *
 * @example
 * const layers: Layer[] = [new Linear(4, 4), new LayerNorm(4)];
 */
export type Layer = Module & {
  /** Maps a tensor to a tensor. */
  forward(x: Tensor): Tensor;
};

/**
 * Chains modules: `forward(x)` feeds `x` through each in turn, like `torch.nn.Sequential`. The
 * children are named `'0'`, `'1'`, … so state dict keys match PyTorch's (`'0.weight'`,
 * `'2.bias'`), and `train()`/`eval()` reach every child. Index with `seq[i]` or `seq.at(i)`.
 *
 * @example
 * const mlp = new Sequential(new Linear(4, 16), new Dropout(0.1), new Linear(16, 2));
 * Object.keys(mlp.stateDict()); // ['0.weight', '0.bias', '2.weight', '2.bias']
 * mlp.forward(randn([8, 4])).shape; // [8, 2]
 */
export class Sequential extends Module {
  readonly [index: number]: Layer;
  readonly #layers: Layer[] = [];

  constructor(...modules: Layer[]) {
    super();
    modules.forEach((m) => {
      this.append(m);
    });
  }

  /** Number of children. */
  get length(): number {
    return this.#layers.length;
  }

  /** The child at `index` (negative counts from the end), or undefined. */
  at(index: number): Layer | undefined {
    return this.#layers.at(index);
  }

  /** Adds a module at the end (named by its position) and returns this. */
  append(module: Layer): this {
    if (!(module instanceof Module) || typeof (module as { forward?: unknown }).forward !== 'function') {
      throw new ValueError(
        `child ${this.#layers.length} must be a Module with a forward method, got ${describeValue(module)}`,
        'Sequential',
      );
    }
    if (module === (this as Module)) throw new ValueError('a Sequential cannot contain itself', 'Sequential');
    (this as unknown as Record<string, Layer>)[String(this.#layers.length)] = module;
    this.#layers.push(module);
    return this;
  }

  /** Feeds `x` through every child in order (the identity when empty). */
  forward(x: Tensor): Tensor {
    checkTensor(x, 'Sequential.forward', 'input');
    let y = x;
    for (const m of this.#layers) y = m.forward(y);
    return y;
  }

  /** Iterates over the children in order. */
  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }
}
