import {
  DTypeError,
  describeValue,
  formatShape as fmt,
  isTensor,
  keep,
  noGrad,
  ShapeError,
  type Tensor,
  tidy,
  ValueError,
} from '@carousel/autograd';

/** Hyperparameters every optimizer has: the learning rate, which schedulers change. */
export interface BaseOptimizerOptions {
  /** Learning rate. */
  lr?: number;
}

/**
 * One parameter group: its parameters and its hyperparameters (all filled in). Schedulers edit
 * `lr`; `initialLr` is the learning rate a scheduler started from (set by the first one).
 */
export type ParamGroup<O extends BaseOptimizerOptions = BaseOptimizerOptions> = Required<O> & {
  params: Tensor[];
  lr: number;
  initialLr?: number;
};

/** A parameter group as given to a constructor: parameters, and options overriding the optimizer's. */
export type ParamGroupSpec<O extends BaseOptimizerOptions = BaseOptimizerOptions> = O & { params: readonly Tensor[] };

/** What an optimizer optimizes: a list of parameters (one group), or a list of groups. */
export type Params<O extends BaseOptimizerOptions = BaseOptimizerOptions> = readonly Tensor[] | readonly ParamGroupSpec<O>[];

/** Per-parameter state: how many updates it received, and its buffers (momentum, moments, …). */
export interface ParamState {
  /** Updates this parameter received (steps where it had a gradient). */
  step: number;
  [buffer: string]: Tensor | number;
}

/** A serialisable snapshot of an optimizer: see {@link Optimizer.stateDict}. */
export interface OptimizerStateDict {
  /** Number of `step()` calls. */
  step: number;
  /** Per-parameter state keyed by parameter index (counting through the groups in order). */
  state: Record<number, ParamState>;
  /** Each group's hyperparameters, with its parameters as indices. */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Base class of the optimizers. `step()` updates every parameter that has a gradient, in place
 * (`p.assign`), inside `noGrad` and `tidy`: temporaries are freed, and the state buffers, kept
 * with `keep`, live as long as the optimizer (free them with {@link Optimizer.dispose}).
 * Parameters without a gradient are skipped (their state does not advance), as in PyTorch.
 *
 * `θ ← update(θ, ∇θ, state, group)` for every parameter with a gradient
 *
 * @example
 * const model = new Linear(4, 1);
 * const lossOf = (x: Tensor) => model.forward(x).square().mean();
 * const batches = [randn([8, 4]), randn([8, 4])];
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * for (const batch of batches) {
 *   tidy(() => { lossOf(batch).backward(); opt.step(); });
 *   opt.zeroGrad();
 * }
 */
export abstract class Optimizer<O extends BaseOptimizerOptions = BaseOptimizerOptions> {
  /** The parameter groups; change a group's `lr` (or use a scheduler) to change its learning rate. */
  readonly paramGroups: ParamGroup<O>[];
  /** Number of `step()` calls so far. */
  stepCount = 0;
  #state = new Map<Tensor, ParamState>();

  protected constructor(
    /** The optimizer's name, for error messages. */
    readonly name: string,
    params: Params<O>,
    defaults: Required<O>,
    opts: O,
  ) {
    if (typeof opts !== 'object' || opts === null) throw new ValueError(`options must be an object, got ${describeValue(opts)}`, name);
    const known = new Set(Object.keys(defaults));
    const checkKeys = (o: object, where: string) => {
      for (const k of Object.keys(o)) {
        if (!known.has(k) && k !== 'params')
          throw new ValueError(`unknown option '${k}' in ${where}; expected one of ${[...known].join(', ')}`, name);
      }
    };
    checkKeys(opts, 'the options');
    const base = { ...defaults, ...definedOnly(opts) } as Required<O>;
    if (!Array.isArray(params) || params.length === 0)
      throw new ValueError(`needs a non-empty list of parameters or parameter groups, got ${describeValue(params)}`, name);
    const specs: ParamGroupSpec<O>[] = isTensor(params[0]) ? [{ params } as unknown as ParamGroupSpec<O>] : (params as ParamGroupSpec<O>[]);
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, gi) => {
      if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.params))
        throw new ValueError(
          `parameter group ${gi} must be an object with a 'params' list (or pass a plain list of Tensors, e.g. model.parameters()), got ${describeValue(spec)}`,
          name,
        );
      checkKeys(spec, `parameter group ${gi}`);
      const group = { ...base, ...definedOnly(spec), params: [...spec.params] } as ParamGroup<O>;
      group.params.forEach((p, i) => {
        if (!isTensor(p)) throw new ValueError(`parameter ${i} of group ${gi} is not a Tensor, got ${describeValue(p)}`, name);
        if (!p.requiresGrad || !p.isLeaf)
          throw new ValueError(`parameter ${i} of group ${gi} (shape ${fmt(p.shape)}) must be a leaf that requires grad`, name);
        if (seen.has(p)) throw new ValueError(`parameter ${i} of group ${gi} (shape ${fmt(p.shape)}) appears more than once`, name);
        seen.add(p);
      });
      this.validate(group);
      return group;
    });
  }

  /** Checks a group's hyperparameters, throwing a ValueError naming the bad one. */
  protected abstract validate(group: Required<O>): void;

  /** Updates one parameter in place from its gradient (runs inside `noGrad` and `tidy`). */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** A state buffer, created (and kept) by `init` on first use. */
  protected buffer(state: ParamState, key: string, init: () => Tensor): Tensor {
    const b = state[key];
    if (b !== undefined && typeof b !== 'number') return b;
    const t = keep(init());
    state[key] = t;
    return t;
  }

  /** Throws a ValueError unless `v` is a finite number ≥ 0 (or in `[0, max)` when `max` is given). */
  protected checkNonNegative(key: string, v: unknown, max?: number): void {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v) || (max !== undefined && v >= max)) {
      throw new ValueError(`${key} must be a finite number ≥ 0${max !== undefined ? ` and < ${max}` : ''}, got ${v}`, this.name);
    }
  }

  /**
   * Checks a denominator's `eps` (finite, ≥ 0) and that it survives the group's storage: on a
   * backend that stores float32 as f16 (`webgpu-f16`), an eps below the smallest half (2⁻²⁴)
   * rounds to 0 inside the update, and a parameter whose gradient has been 0 then gets 0/0 = NaN.
   */
  protected checkEps(eps: unknown, group: object): void {
    this.checkNonNegative('eps', eps);
    const onHalf = (group as Partial<ParamGroup<O>>).params?.find((p) => p.backend === 'webgpu-f16');
    if (onHalf && (eps as number) < 2 ** -24)
      throw new ValueError(
        `eps ${eps} rounds to 0 on backend 'webgpu-f16' (f16 storage, where a parameter of shape ${fmt(onHalf.shape)} lives), ` +
          'and a parameter whose gradient is 0 would get 0/0 = NaN; use eps: 1e-4 (or store float32 as f32)',
        this.name,
      );
  }

  /** The learning rate of the first group; setting it sets every group's. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }
  /** Sets the learning rate of every parameter group (what schedulers call). */
  set lr(value: number) {
    this.checkNonNegative('lr', value);
    for (const g of this.paramGroups) g.lr = value;
  }

  /** Every parameter, counting through the groups in order (the indices of {@link Optimizer.stateDict}). */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** One update of every parameter that has a gradient, in place. */
  step(): void {
    noGrad(() =>
      tidy(() => {
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            const g = p.grad as Tensor | null;
            if (!g) continue;
            if (g.dtype !== p.dtype || !sameShape(g.shape, p.shape)) {
              throw new (g.dtype !== p.dtype ? DTypeError : ShapeError)(
                `the gradient (${g.dtype} ${fmt(g.shape)}) does not match its parameter (${p.dtype} ${fmt(p.shape)})`,
                `${this.name}.step`,
              );
            }
            let state = this.#state.get(p);
            if (!state) this.#state.set(p, (state = { step: 0 }));
            state.step++;
            this.update(p, g, state, group);
          }
        }
      }),
    );
    this.stepCount++;
  }

  /** Clears (and disposes) the gradient of every parameter, as PyTorch's `zero_grad(set_to_none=True)`. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The state of one parameter (undefined before its first update). */
  stateOf(p: Tensor): Readonly<ParamState> | undefined {
    return this.#state.get(p);
  }

  /**
   * A snapshot: the step count, each parameter's state keyed by its index, and the groups'
   * hyperparameters. Buffers are the live tensors (as `Module.stateDict`), not copies.
   */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    this.params.forEach((p, i) => {
      const s = this.#state.get(p);
      if (s) state[i] = { ...s };
    });
    let next = 0;
    const paramGroups = this.paramGroups.map(({ params, ...hyper }) => ({
      ...structuredClone(hyper),
      params: params.map(() => next++),
    }));
    return { step: this.stepCount, state, paramGroups };
  }

  /**
   * Restores a {@link Optimizer.stateDict} snapshot: hyperparameters, step counts and copies of
   * the buffers (cast to each parameter's dtype). The groups must have the same sizes.
   */
  loadStateDict(sd: OptimizerStateDict): this {
    const op = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object')
      throw new ValueError('expected an object with step, state and paramGroups (from stateDict())', op);
    const sizes = this.paramGroups.map((g) => g.params.length);
    const theirs = sd.paramGroups.map((g) => g.params?.length);
    if (sizes.length !== theirs.length || sizes.some((n, i) => n !== theirs[i]))
      throw new ValueError(`the state dict has groups of sizes ${fmt(theirs)}, this optimizer ${fmt(sizes)}`, op);
    const params = this.params;
    const restored = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(sd.state)) {
      const i = Number(key);
      const p = params[i];
      if (!Number.isInteger(i) || !p) throw new ValueError(`state for parameter ${key}, but there are ${params.length} parameters`, op);
      if (typeof s?.step !== 'number') throw new ValueError(`state of parameter ${i} has no step count`, op);
      const copy: ParamState = { step: s.step };
      for (const [name, v] of Object.entries(s)) {
        if (name === 'step') continue;
        if (typeof v === 'number') {
          copy[name] = v;
          continue;
        }
        if (!isTensor(v)) throw new ValueError(`'${name}' of parameter ${i} is neither a Tensor nor a number`, op);
        if (!sameShape(v.shape, p.shape))
          throw new ShapeError(`'${name}' of parameter ${i} has shape ${fmt(v.shape)}, the parameter ${fmt(p.shape)}`, op);
        if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new DTypeError(`'${name}' of parameter ${i} is ${v.dtype}`, op);
        copy[name] = keep(noGrad(() => (v.dtype === p.dtype ? v.clone() : v.cast(p.dtype))));
      }
      restored.set(p, copy);
    }
    this.paramGroups.forEach((g, gi) => {
      const { params: _, ...hyper } = sd.paramGroups[gi]!;
      Object.assign(g, structuredClone(hyper));
      this.validate(g);
    });
    this.#disposeState();
    this.#state = restored;
    this.stepCount = typeof sd.step === 'number' ? sd.step : 0;
    return this;
  }

  /** Frees the state buffers (the optimizer starts afresh on the next step). */
  dispose(): void {
    this.#disposeState();
  }

  #disposeState(): void {
    for (const s of this.#state.values()) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
    this.#state.clear();
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'params')) as Partial<T>;
}
