import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { CarouselError, ValueError } from '@carousel/autograd';
import { Tinypool } from 'tinypool';
import type { TrialResult } from './experiment.js';
import { BPTT_MODELS } from './learners/index.js';
import { planRun, type RunOptions, type RunSummary, summarize } from './runner.js';
import type { TrialReply, TrialTask } from './worker.js';

/** The backends `carousel run --backend` accepts. */
export const BACKENDS = ['cpu', 'webgpu'] as const;

/** Options of {@link runParallel}. */
export interface ParallelRunOptions extends RunOptions {
  /** Worker threads (default: the number of CPU cores, at most one per trial). */
  workers?: number;
  /** Backend each worker switches to before its trials (default 'cpu'; 'webgpu' only for BPTT models). */
  backend?: string;
  /** Called when trial `index` starts in a worker. */
  onStart?: (index: number) => void;
}

/** {@link RunSummary} plus how the run went. */
export interface ParallelRunSummary extends RunSummary {
  backend: string;
  workers: number;
  /** True when the run was aborted (Ctrl-C): `trials` holds only those that finished. */
  interrupted: boolean;
  elapsedSeconds: number;
}

/**
 * Checks that `model` can train on `backend`: the paper's LSTM learns by its own RTRL, which
 * runs on `Float64Array`s in plain JavaScript, so only the BPTT baselines can use WebGPU.
 */
export function checkBackend(model: string, backend: string): void {
  if (!(BACKENDS as readonly string[]).includes(backend))
    throw new ValueError(`unknown backend '${backend}'; available: ${BACKENDS.join(', ')}`, 'run');
  if (backend === 'webgpu' && !(BPTT_MODELS as readonly string[]).includes(model))
    throw new ValueError(
      `backend 'webgpu' needs a BPTT model (${BPTT_MODELS.join(', ')}); '${model}' trains by the paper's RTRL, which runs in plain JavaScript on the CPU`,
      'run',
    );
}

/**
 * Where the workers find ./worker: the built `worker.js` next to this file, or, when this file
 * is TypeScript (run through tsx or Vitest), `worker.ts` behind a bootstrap that registers tsx
 * in the worker first — Node 20 ignores `--import` loaders in a worker's `execArgv`, while
 * `--conditions` there works and selects the workspace packages' sources.
 */
function workerEntry(): { filename: string; execArgv?: string[] } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { filename: new URL('./worker.js', here).href };
  let tsxApi: string;
  try {
    // the ESM entry of tsx's API (require.resolve finds its CommonJS twin)
    tsxApi = new URL('index.mjs', pathToFileURL(createRequire(here).resolve('tsx/esm/api'))).href;
  } catch {
    throw new CarouselError('running the worker pool from TypeScript sources needs tsx (pnpm install)', 'run');
  }
  const worker = new URL('./worker.ts', here).href;
  const code = `const { register } = await import(${JSON.stringify(tsxApi)});
register();
export default (await import(${JSON.stringify(worker)})).default;`;
  return { filename: `data:text/javascript,${encodeURIComponent(code)}`, execArgv: ['--conditions=@carousel/source'] };
}

/** Turns a failed trial's reply back into an error: a CarouselError keeps its name and message. */
function replyError(reply: Extract<TrialReply, { ok: false }>, seed: number): Error {
  if (reply.carousel) {
    const err = new CarouselError(reply.message);
    err.name = reply.name;
    return err;
  }
  const err = new Error(`trial with seed ${seed} failed: ${reply.name}: ${reply.message}`);
  if (reply.stack) err.stack = reply.stack;
  return err;
}

/**
 * Runs an experiment's trials in parallel on a pool of worker threads (tinypool): trial k,
 * seeded with seed + k, gives the same result as in {@link runExperiment}. Progress streams
 * back from each worker over a MessagePort. Aborting `signal` terminates the running trials
 * and resolves with the finished ones (`interrupted: true`); a trial that throws stops the run
 * and rejects with its error.
 *
 * @example
 * ```ts no-run: trains 4 networks on 2 worker threads for several seconds (runExperiment's example runs trials in-process)
 * const summary = await runParallel('reber', { trials: 4, maxSequences: 20_000, workers: 2 });
 * ```
 */
export async function runParallel(id: string, opts: ParallelRunOptions = {}): Promise<ParallelRunSummary> {
  const plan = planRun(id, opts);
  const backend = opts.backend ?? 'cpu';
  checkBackend(plan.model, backend);
  const requested = opts.workers ?? availableParallelism();
  if (!Number.isSafeInteger(requested) || requested < 1)
    throw new ValueError(`workers must be a positive integer, got ${requested}`, 'run');
  const workers = Math.min(requested, plan.trials);
  const started = performance.now();
  const pool = new Tinypool({ ...workerEntry(), minThreads: workers, maxThreads: workers });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();
  const results: TrialResult[] = [];
  let failure: unknown;
  const runTrial = async (k: number) => {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (m: [number, number] | null) => {
      if (m === null) opts.onStart?.(k);
      else opts.onProgress?.(k, m[0], m[1]);
    });
    const task: TrialTask = {
      experiment: plan.experiment.id,
      model: plan.model,
      seed: plan.seed + k,
      maxSequences: plan.maxSequences,
      lr: plan.lr,
      backend,
      progress: port2,
    };
    try {
      const reply = (await pool.run(task, { transferList: [port2], signal: stop.signal })) as TrialReply;
      if (!reply.ok) throw replyError(reply, task.seed);
      results.push(reply.result);
      opts.onTrial?.(reply.result, k);
    } catch (e) {
      // once stopped, the other trials reject with tinypool's AbortError: not failures
      if (!stop.signal.aborted) {
        failure = e;
        stop.abort();
      }
    } finally {
      port1.close();
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.trials }, (_, k) => runTrial(k)));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await pool.destroy();
  }
  if (failure !== undefined) throw failure;
  return {
    ...summarize(plan, results),
    backend,
    workers,
    interrupted: opts.signal?.aborted ?? false,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}
