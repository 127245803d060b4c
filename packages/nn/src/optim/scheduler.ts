import { describeValue, ValueError } from '@carousel/autograd';
import type { Optimizer } from './optimizer.js';

/** A snapshot of a scheduler: see {@link LRScheduler.stateDict}. */
export interface SchedulerStateDict {
  /** Number of `step()` calls. */
  lastEpoch: number;
  /** The learning rate each group started from. */
  baseLrs: number[];
}

/**
 * Base class of the learning-rate schedules. A schedule is a closed-form function of the step
 * count and each group's starting rate (`initialLr`, recorded on the group by the first
 * scheduler); constructing one sets the rate for step 0, and each `step()` (call it after
 * `optimizer.step()`) advances to the next step and writes the new rate into every group's `lr`.
 *
 * `lrₜ = f(t, lr₀)` for each parameter group
 *
 * @example
 * const model = new Linear(4, 2);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 90; epoch++) {
 *   tidy(() => model.forward(randn([8, 4])).square().mean().backward());
 *   opt.step();
 *   opt.zeroGrad();
 *   sched.step();
 * }
 */
export abstract class LRScheduler {
  /** Number of `step()` calls so far (the `t` of the formula). */
  lastEpoch = 0;
  /** The learning rate each group started from. */
  readonly baseLrs: number[];

  constructor(
    /** The optimizer whose groups' `lr` this schedule sets. */
    readonly optimizer: Optimizer,
  ) {
    // duck-typed, as isTensor is: an optimizer from another copy of the package still schedules
    if (!Array.isArray((optimizer as { paramGroups?: unknown } | null)?.paramGroups))
      throw new ValueError(`optimizer must be an Optimizer (SGD, Adam, …), got ${describeValue(optimizer)}`, new.target.name);
    this.baseLrs = optimizer.paramGroups.map((g) => (g.initialLr ??= g.lr));
  }

  /** The learning rate at step `t` of a group that started at `baseLr`. */
  abstract lrAt(t: number, baseLr: number): number;

  /** Writes the rates for the current step into the groups (subclass constructors call it). */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!);
    });
  }

  /** Advances one step (an epoch or an iteration, as you schedule) and updates every group's `lr`. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The current learning rate of the first group (`getLastLrs()` has every group's). */
  getLr(): number {
    return this.lrAt(this.lastEpoch, this.baseLrs[0]!);
  }

  /** The current learning rate of every group. */
  getLastLrs(): number[] {
    return this.baseLrs.map((b) => this.lrAt(this.lastEpoch, b));
  }

  /** The step count and base rates. */
  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /** Restores a {@link LRScheduler.stateDict} snapshot and sets the groups' rates accordingly. */
  loadStateDict(sd: SchedulerStateDict): this {
    if (!Number.isInteger(sd?.lastEpoch) || !Array.isArray(sd.baseLrs) || sd.baseLrs.length !== this.baseLrs.length)
      throw new ValueError(
        `expected { lastEpoch, baseLrs } with ${this.baseLrs.length} base rates`,
        `${this.constructor.name}.loadStateDict`,
      );
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...sd.baseLrs);
    this.apply();
    return this;
  }
}

function checkPositive(op: string, name: string, v: number, integer = false): void {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new ValueError(`${name} must be a positive ${integer ? 'integer' : 'finite number'}, got ${v}`, op);
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Steps between decays. */
  stepSize: number;
  /** Multiplicative decay (default 0.1). */
  gamma?: number;
}

/**
 * Decays the rate by `gamma` every `stepSize` steps (torch.optim.lr_scheduler.StepLR).
 *
 * `lrₜ = lr₀ · γ^⌊t / stepSize⌋`
 *
 * @example
 * const opt = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // 0.1 → 0.01 at step 30 → 0.001 at 60
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, opts: StepLROptions) {
    super(optimizer);
    checkPositive('StepLR', 'stepSize', opts?.stepSize, true);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    checkPositive('StepLR', 'gamma', this.gamma);
    this.apply();
  }
  lrAt(t: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative decay per step. */
  gamma: number;
}

/**
 * Decays the rate by `gamma` every step (torch.optim.lr_scheduler.ExponentialLR).
 *
 * `lrₜ = lr₀ · γᵗ`
 *
 * @example
 * const opt = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * const sched = new ExponentialLR(opt, { gamma: 0.95 });
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: Optimizer, opts: ExponentialLROptions) {
    super(optimizer);
    checkPositive('ExponentialLR', 'gamma', opts?.gamma);
    this.gamma = opts.gamma;
    this.apply();
  }
  lrAt(t: number, baseLr: number): number {
    return baseLr * this.gamma ** t;
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Steps of a half period: the rate reaches `etaMin` at step `tMax`. */
  tMax: number;
  /** The minimum rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from each group's rate down to `etaMin` over `tMax` steps
 * (torch.optim.lr_scheduler.CosineAnnealingLR, closed form); past `tMax` the cosine continues,
 * rising again, as in PyTorch.
 *
 * `lrₜ = η_min + (lr₀ − η_min) · (1 + cos(π·t / tMax)) / 2`
 *
 * @example
 * const opt = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * const sched = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, opts: CosineAnnealingLROptions) {
    super(optimizer);
    checkPositive('CosineAnnealingLR', 'tMax', opts?.tMax, true);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    if (!(this.etaMin >= 0)) throw new ValueError(`etaMin must be ≥ 0, got ${this.etaMin}`, 'CosineAnnealingLR');
    this.apply();
  }
  lrAt(t: number, baseLr: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/** Options of {@link LinearWarmup}. */
export interface LinearWarmupOptions {
  /** Steps of the warm-up: the rate reaches the base rate at step `warmupSteps`. */
  warmupSteps: number;
  /** Fraction of the base rate at step 0 (default 1/3, as torch's LinearLR; in [0, 1]). */
  startFactor?: number;
  /**
   * The schedule to follow once warm (it sees the steps counted from the end of the warm-up).
   * Build it on the same optimizer and step only the warm-up. Default: the constant base rate.
   */
  after?: LRScheduler;
}

/**
 * Linear warm-up (torch.optim.lr_scheduler.LinearLR to factor 1), then another schedule or a
 * constant rate — like PyTorch's `SequentialLR([LinearLR, after], milestones=[warmupSteps])`.
 *
 * `lrₜ = lr₀ · (s + (1 − s)·t / W)` for `t < W`, then `after.lrAt(t − W, lr₀)` (or `lr₀`)
 *
 * @example
 * const opt = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * const sched = new LinearWarmup(opt, {
 *   warmupSteps: 500,
 *   startFactor: 0.01,
 *   after: new CosineAnnealingLR(opt, { tMax: 10_000 }),
 * });
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly after: LRScheduler | null;
  constructor(optimizer: Optimizer, opts: LinearWarmupOptions) {
    super(optimizer);
    checkPositive('LinearWarmup', 'warmupSteps', opts?.warmupSteps, true);
    this.warmupSteps = opts.warmupSteps;
    this.startFactor = opts.startFactor ?? 1 / 3;
    if (!(this.startFactor >= 0 && this.startFactor <= 1))
      throw new ValueError(`startFactor must be in [0, 1], got ${this.startFactor}`, 'LinearWarmup');
    this.after = opts.after ?? null;
    if (this.after && this.after.optimizer !== optimizer)
      throw new ValueError('the schedule after the warm-up must drive the same optimizer', 'LinearWarmup');
    this.apply();
  }
  lrAt(t: number, baseLr: number): number {
    if (t < this.warmupSteps) return baseLr * (this.startFactor + ((1 - this.startFactor) * t) / this.warmupSteps);
    return this.after ? this.after.lrAt(t - this.warmupSteps, baseLr) : baseLr;
  }
}
