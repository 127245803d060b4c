import {
  checkTensor,
  type DType,
  describeValue,
  formatShape as fmt,
  isTensor,
  noGrad,
  ShapeError,
  type Tensor,
  ValueError,
} from '@carousel/autograd';

/** A map from dotted parameter names (`'0.weight'`, `'weight_ih_l0'`) to tensors. */
export type StateDict = Record<string, Tensor>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadOptions {
  /** Missing or unexpected keys are errors (default true). Shape mismatches always are. */
  strict?: boolean;
}

/**
 * Base class of every layer. Parameters are the tensor fields that require grad; child modules
 * are the fields holding a Module (or an array of them) — both found automatically, in field
 * order, so a subclass only assigns fields. Other tensor fields are buffers: saved in the state
 * dict, not trained. Private `#fields` are invisible to all of this.
 *
 * @example
 * class Affine extends Module {
 *   weight = parameter(randn([3, 2]));
 *   forward(x: Tensor) { return x.matmul(this.weight); }
 * }
 * new Affine().namedParameters().map(([name]) => name); // ['weight']
 */
export abstract class Module {
  /** True in training mode (dropout active); see {@link Module.train} and {@link Module.eval}. */
  training = true;

  /** Direct children and tensors, with their local names, in field order. */
  #entries(): [string, Module | Tensor][] {
    const out: [string, Module | Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module || isTensor(value)) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v instanceof Module || isTensor(v)) out.push([`${key}.${i}`, v]);
        });
      }
    }
    return out;
  }

  /** Every parameter with its dotted name, children first-to-last (PyTorch order). */
  namedParameters(prefix = ''): [string, Tensor][] {
    return this.#walk(prefix).filter(([, t]) => t.requiresGrad);
  }

  /** Every parameter (tensors that require grad), for an optimizer. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Child modules with their dotted names (not including this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of this.#entries()) {
      if (value instanceof Module) out.push([prefix + key, value], ...value.namedModules(`${prefix}${key}.`));
    }
    return out;
  }

  #walk(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of this.#entries()) {
      if (value instanceof Module) out.push(...value.#walk(`${prefix}${key}.`));
      else out.push([prefix + key, value]);
    }
    return out;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): StateDict {
    return Object.fromEntries(this.#walk(''));
  }

  /**
   * Copies values into this module's parameters and buffers, in place. Strict by default:
   * missing or unexpected keys throw, listing them; a shape or dtype mismatch always throws.
   */
  loadStateDict(state: StateDict, opts: LoadOptions = {}): this {
    if (typeof state !== 'object' || state === null || Array.isArray(state) || isTensor(state))
      throw new ValueError(
        `state must be an object of Tensors by name (as stateDict() returns), got ${describeValue(state)}`,
        'loadStateDict',
      );
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !(k in own));
    if (strict && (missing.length || unexpected.length)) {
      const parts = [
        missing.length ? `missing keys: ${missing.join(', ')}` : '',
        unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : '',
      ];
      throw new ValueError(`state dict does not match ${this.constructor.name}: ${parts.filter(Boolean).join('; ')}`, 'loadStateDict');
    }
    for (const [key, target] of Object.entries(own)) {
      const source = state[key];
      if (!source) continue;
      if (!isTensor(source)) throw new ValueError(`'${key}' is not a Tensor`, 'loadStateDict');
      if (source.shape.length !== target.shape.length || source.shape.some((d, i) => d !== target.shape[i])) {
        throw new ShapeError(`'${key}' has shape ${fmt(source.shape)}, the module expects ${fmt(target.shape)}`, 'loadStateDict');
      }
      const value = source.dtype === target.dtype ? source : source.cast(target.dtype as DType);
      noGrad(() => target.assign(value as Tensor<DType>));
    }
    return this;
  }

  /** Sets training mode on this module and every child (dropout on). */
  train(mode = true): this {
    this.training = mode;
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off): `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Clears `.grad` of every parameter (disposing the gradient tensors). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
}

/**
 * Marks a tensor as a trainable parameter: a leaf that requires grad (detached from any graph).
 *
 * @example
 * const w = parameter(zeros([3]));
 * w.requiresGrad; // true
 */
export function parameter<D extends DType, R extends number>(t: Tensor<D, R>): Tensor<D, R> {
  checkTensor(t, 'parameter', 't');
  const p = t.isLeaf && !t.requiresGrad ? t : t.detach();
  p.requiresGrad = true;
  return p;
}
