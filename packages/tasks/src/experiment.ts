/** One row of a result table in the paper (for printing ours beside it). */
export interface PaperRow {
  /** What the row describes (architecture, learning rate…). */
  label: string;
  /** Percentage of successful trials. */
  successRate?: number;
  /** Mean number of training sequences until success. */
  sequences?: number;
}

/** What every trial of an experiment is given. */
export interface TrialOptions {
  /** Seeds data, weights and sampling; trial `k` of a run uses `seed + k`. */
  seed: number;
  /** Training budget in sequences; the trial fails when it runs out. */
  maxSequences: number;
  /** Learning rate (default: the experiment's). */
  lr?: number;
  /** Called every `evalEvery` sequences with the current training error. */
  onProgress?: (sequences: number, error: number) => void;
  /** Checked between sequences: a trial stops early (and is marked unfinished) when aborted. */
  signal?: AbortSignal;
}

/** The outcome of one trial. */
export interface TrialResult {
  seed: number;
  success: boolean;
  /** Sequences presented until success (or the budget). */
  sequences: number;
  /** Error on the test set at the end (the experiment's own measure). */
  testError: number;
  /** (sequences, training error) at every evaluation. */
  curve: [number, number][];
  /** True when the trial was aborted before success or budget. */
  aborted: boolean;
  /** Measures of the experiment's own table beyond the common ones (e.g. CERG's mean error-free test-stream length). */
  stats?: Readonly<Record<string, number>>;
}

/** A reproducible experiment of the 1997 paper (or a later benchmark). */
export interface Experiment {
  id: string;
  title: string;
  /** Where it is in the paper. */
  source: string;
  /** Models this experiment can train. */
  models: readonly string[];
  defaults: { model: string; lr: number; maxSequences: number; trials: number };
  /** The paper's rows for this experiment. */
  paper: readonly PaperRow[];
  /** Runs one trial with `model`. */
  runTrial(model: string, opts: TrialOptions): TrialResult;
}
