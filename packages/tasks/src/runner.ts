import { ValueError } from '@carousel/autograd';
import type { TrialResult } from './experiment.js';
import { getExperiment } from './registry.js';

/** Options of {@link runExperiment}. */
export interface RunOptions {
  model?: string;
  trials?: number;
  /** Base seed; trial k uses seed + k (default 1). */
  seed?: number;
  maxSequences?: number;
  lr?: number;
  /** Called after each trial. */
  onTrial?: (result: TrialResult, index: number) => void;
  onProgress?: (trial: number, sequences: number, error: number) => void;
  signal?: AbortSignal;
}

/** Summary of a run, as printed beside the paper's table. */
export interface RunSummary {
  experiment: string;
  model: string;
  lr: number;
  maxSequences: number;
  trials: TrialResult[];
  /** Percentage of finished trials that succeeded. */
  successRate: number;
  /** Mean / median sequences to success over successful trials (NaN when none). */
  meanSequences: number;
  medianSequences: number;
  meanTestError: number;
}

const median = (xs: number[]) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/**
 * Runs `trials` independent trials of an experiment (trial k seeded with seed + k) and
 * summarises them. Aborting stops after the current sequence and keeps what finished.
 *
 * @example
 * const summary = runExperiment('reber', { trials: 2, maxSequences: 5000 });
 * summary.successRate;
 */
export function runExperiment(id: string, opts: RunOptions = {}): RunSummary {
  const exp = getExperiment(id);
  const model = opts.model ?? exp.defaults.model;
  if (!exp.models.includes(model))
    throw new ValueError(`experiment '${id}' has no model '${model}'; available: ${exp.models.join(', ')}`, 'run');
  const trials = opts.trials ?? exp.defaults.trials;
  const maxSequences = opts.maxSequences ?? exp.defaults.maxSequences;
  const lr = opts.lr ?? exp.defaults.lr;
  const seed = opts.seed ?? 1;
  for (const [name, v] of [
    ['trials', trials],
    ['maxSequences', maxSequences],
    ['seed', seed],
  ] as const) {
    if (!Number.isInteger(v) || v < (name === 'seed' ? 0 : 1))
      throw new ValueError(`${name} must be a ${name === 'seed' ? 'non-negative' : 'positive'} integer, got ${v}`, 'run');
  }
  if (!(lr > 0 && Number.isFinite(lr))) throw new ValueError(`lr must be a positive number, got ${lr}`, 'run');
  const results: TrialResult[] = [];
  for (let k = 0; k < trials && !opts.signal?.aborted; k++) {
    const r = exp.runTrial(model, {
      seed: seed + k,
      maxSequences,
      lr,
      signal: opts.signal,
      onProgress: (s, e) => opts.onProgress?.(k, s, e),
    });
    if (r.aborted) break;
    results.push(r);
    opts.onTrial?.(r, k);
  }
  const wins = results.filter((r) => r.success);
  return {
    experiment: id,
    model,
    lr,
    maxSequences,
    trials: results,
    successRate: results.length ? (100 * wins.length) / results.length : Number.NaN,
    meanSequences: mean(wins.map((r) => r.sequences)),
    medianSequences: median(wins.map((r) => r.sequences)),
    meanTestError: mean(results.map((r) => r.testError)),
  };
}
