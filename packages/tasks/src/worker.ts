// One trial in a worker thread of the pool (./pool.ts): tinypool imports this file and calls
// its default export once per trial.
import type { MessagePort } from 'node:worker_threads';
import { CarouselError, getBackend, setBackend } from '@carousel/autograd';
import type { TrialResult } from './experiment.js';
import { getExperiment } from './registry.js';

/** What the pool sends a worker for one trial (structured-cloned; `progress` is transferred). */
export interface TrialTask {
  experiment: string;
  model: string;
  seed: number;
  maxSequences: number;
  lr: number;
  backend: string;
  /** Receives `null` when the trial starts, then `[sequences, trainingError]` at every evaluation. */
  progress?: MessagePort;
}

/**
 * A trial's outcome as it crosses the thread boundary. Errors travel as data: a thrown
 * CarouselError subclass would arrive as a plain Error, and the CLI needs to tell bad input
 * (printed as one line) from a bug.
 */
export type TrialReply =
  | { ok: true; result: TrialResult }
  | { ok: false; name: string; message: string; carousel: boolean; stack?: string };

/** Runs one trial of `task.experiment` on `task.backend`, reporting progress on `task.progress`. */
export default async function runTrialTask(task: TrialTask): Promise<TrialReply> {
  try {
    task.progress?.postMessage(null);
    if (getBackend() !== task.backend) await setBackend(task.backend);
    const result = getExperiment(task.experiment).runTrial(task.model, {
      seed: task.seed,
      maxSequences: task.maxSequences,
      lr: task.lr,
      onProgress: (sequences, error) => task.progress?.postMessage([sequences, error]),
    });
    return { ok: true, result };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, name: err.name, message: err.message, carousel: err instanceof CarouselError, stack: err.stack };
  } finally {
    task.progress?.close();
  }
}
