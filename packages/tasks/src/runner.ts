import { ValueError } from '@carousel/autograd';
import type { Experiment, TrialResult } from './experiment.js';
import { getExperiment } from './registry.js';

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /** Model to train (default: the experiment's). */
  model?: string;
  /** Independent trials (default: the experiment's). */
  trials?: number;
  /** Base seed; trial k uses seed + k (default 1). */
  seed?: number;
  /** Training budget per trial, in sequences (default: the experiment's). */
  maxSequences?: number;
  /** Learning rate (default: the experiment's). */
  lr?: number;
  /** Called after each trial. */
  onTrial?: (result: TrialResult, index: number) => void;
  /** Called at each evaluation of trial `trial` with its training error. */
  onProgress?: (trial: number, sequences: number, error: number) => void;
  /** Stops the run; the finished trials are kept. */
  signal?: AbortSignal;
}

/** A validated run: the experiment and every setting resolved against its defaults. */
export interface RunPlan {
  experiment: Experiment;
  model: string;
  trials: number;
  /** Trial k uses seed + k. */
  seed: number;
  /** Training budget per trial, in sequences. */
  maxSequences: number;
  lr: number;
}

/** Summary of a run, as printed beside the paper's table. */
export interface RunSummary {
  experiment: string;
  model: string;
  lr: number;
  maxSequences: number;
  /** The finished trials, in trial order (trial k has seed `seed + k`). */
  trials: TrialResult[];
  /** Percentage of finished trials that succeeded. */
  successRate: number;
  /** Mean / median sequences to success over successful trials (NaN when none). */
  meanSequences: number;
  medianSequences: number;
  /** Mean final test error over the finished trials. */
  meanTestError: number;
}

/** The median of `xs` (NaN when empty). */
export const median = (xs: readonly number[]): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The arithmetic mean of `xs` (NaN when empty). */
export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/**
 * Resolves a run's settings against the experiment's defaults and validates them: unknown
 * experiment or model, a non-integer count or a bad learning rate raise a ValueError naming
 * what is wrong, before anything runs.
 *
 * @example
 * planRun('reber', { trials: 2 }).maxSequences; // 100000, the experiment's default
 */
export function planRun(id: string, opts: Omit<RunOptions, 'onTrial' | 'onProgress' | 'signal'> = {}): RunPlan {
  const experiment = getExperiment(id);
  const model = opts.model ?? experiment.defaults.model;
  if (!experiment.models.includes(model))
    throw new ValueError(`experiment '${id}' has no model '${model}'; available: ${experiment.models.join(', ')}`, 'run');
  const trials = opts.trials ?? experiment.defaults.trials;
  const maxSequences = opts.maxSequences ?? experiment.defaults.maxSequences;
  const lr = opts.lr ?? experiment.defaults.lr;
  const seed = opts.seed ?? 1;
  for (const [name, v] of [
    ['trials', trials],
    ['maxSequences', maxSequences],
    ['seed', seed],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < (name === 'seed' ? 0 : 1))
      throw new ValueError(`${name} must be a ${name === 'seed' ? 'non-negative' : 'positive'} integer, got ${v}`, 'run');
  }
  if (!(lr > 0 && Number.isFinite(lr))) throw new ValueError(`lr must be a positive number, got ${lr}`, 'run');
  return { experiment, model, trials, seed, maxSequences, lr };
}

/**
 * Summarises finished trials (in any order; they are sorted by seed): success rate over the
 * finished trials, mean and median sequences to success over the successful ones, mean test
 * error over all finished ones. Aborted trials are left out.
 *
 * @example
 * summarize(planRun('reber', { trials: 2 }), []).successRate; // NaN: no trials
 */
export function summarize(plan: RunPlan, results: readonly TrialResult[]): RunSummary {
  const trials = results.filter((r) => !r.aborted).sort((a, b) => a.seed - b.seed);
  const wins = trials.filter((r) => r.success);
  return {
    experiment: plan.experiment.id,
    model: plan.model,
    lr: plan.lr,
    maxSequences: plan.maxSequences,
    trials,
    successRate: trials.length ? (100 * wins.length) / trials.length : Number.NaN,
    meanSequences: mean(wins.map((r) => r.sequences)),
    medianSequences: median(wins.map((r) => r.sequences)),
    meanTestError: mean(trials.map((r) => r.testError)),
  };
}

/**
 * Runs `trials` independent trials of an experiment one after another in this thread (trial k
 * seeded with seed + k) and summarises them. Aborting stops after the current sequence and keeps
 * what finished. `runParallel` (./pool.ts) runs the same trials on a worker pool.
 *
 * @example
 * const summary = runExperiment('reber', { trials: 2, maxSequences: 5000 });
 * summary.successRate;
 */
export function runExperiment(id: string, opts: RunOptions = {}): RunSummary {
  const plan = planRun(id, opts);
  const results: TrialResult[] = [];
  for (let k = 0; k < plan.trials && !opts.signal?.aborted; k++) {
    const r = plan.experiment.runTrial(plan.model, {
      seed: plan.seed + k,
      maxSequences: plan.maxSequences,
      lr: plan.lr,
      signal: opts.signal,
      onProgress: (s, e) => opts.onProgress?.(k, s, e),
    });
    if (r.aborted) break;
    results.push(r);
    opts.onTrial?.(r, k);
  }
  return summarize(plan, results);
}
