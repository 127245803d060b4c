import { describe, expect, it } from 'vitest';
import { checkBackend, runParallel } from './pool.js';
import { runExperiment } from './runner.js';

describe('worker pool', () => {
  it('runs trials in parallel with the same results as in-process for the same seeds', async () => {
    const opts = { trials: 2, seed: 7, maxSequences: 2000 };
    const started: number[] = [];
    const progress: [number, number][] = [];
    const pooled = await runParallel('reber', {
      ...opts,
      workers: 2,
      onStart: (k) => started.push(k),
      onProgress: (k, s) => progress.push([k, s]),
    });
    const local = runExperiment('reber', opts);
    expect(pooled.trials).toEqual(local.trials);
    expect(pooled).toMatchObject({ workers: 2, backend: 'cpu', interrupted: false, successRate: local.successRate });
    expect(started.sort()).toEqual([0, 1]);
    // progress streams back from both workers at evaluations (every 1000 sequences); the last
    // message of a trial may arrive after its result (separate channels), so only the first is certain
    expect(progress).toContainEqual([0, 1000]);
    expect(progress).toContainEqual([1, 1000]);
    for (const p of progress)
      expect([
        [0, 1000],
        [0, 2000],
        [1, 1000],
        [1, 2000],
      ]).toContainEqual(p);
  }, 60_000);

  it('an abort keeps the finished trials and drops the rest', async () => {
    const abort = new AbortController();
    const s = await runParallel('reber', { trials: 3, maxSequences: 1000, workers: 1, signal: abort.signal, onTrial: () => abort.abort() });
    expect(s.interrupted).toBe(true);
    expect(s.trials.map((t) => t.seed)).toEqual([1]);
    const stop = new AbortController();
    const none = await runParallel('reber', {
      trials: 2,
      maxSequences: 1_000_000,
      workers: 2,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    expect(none).toMatchObject({ interrupted: true, trials: [], successRate: Number.NaN });
  }, 60_000);

  it('checks models, backends and worker counts before starting', async () => {
    await expect(runParallel('reber', { model: 'nope' })).rejects.toThrow(/no model 'nope'/);
    await expect(runParallel('reber', { workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
    expect(() => checkBackend('lstm1997', 'webgpu')).toThrow(/needs a BPTT model/);
    expect(() => checkBackend('gru', 'tpu')).toThrow(/unknown backend 'tpu'/);
    expect(() => checkBackend('gru', 'webgpu')).not.toThrow();
  });
});
