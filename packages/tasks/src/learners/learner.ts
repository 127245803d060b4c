/**
 * What every experiment trains: a sequence model behind one small interface, so the paper's
 * LSTM (trained by its own RTRL) and the zoo's baselines (trained by BPTT) run the same protocol.
 */
export interface SequenceLearner {
  /** The model's name (`lstm1997`, `elman`, `lstm`, …). */
  readonly name: string;
  /** Number of trainable weights. */
  readonly numWeights: number;
  /**
   * Trains on one sequence: `xs[t]` is the input at step t, `targets[t]` its target or null
   * when the step has no error signal. Returns the sequence's loss ½·Σ_targets Σ_k (t_k − y_k)².
   */
  train(xs: readonly Float64Array[], targets: readonly (Float64Array | null)[]): number;
  /** The outputs at every step, without learning (activations start from zero). */
  predict(xs: readonly Float64Array[]): Float64Array[];
}

/** Shared options of the learners. */
export interface LearnerSpec {
  inputSize: number;
  outputSize: number;
  /** Learning rate of plain SGD on ½·Σ(t − y)², the paper's loss. */
  lr: number;
  /** Seeds weight initialisation. */
  seed: number;
  /** Output units: logistic (the paper) or linear. */
  outputActivation?: 'logistic' | 'identity';
}

/** ½·Σ(t − y)² over the steps that have targets. */
export function sequenceLoss(ys: readonly Float64Array[], targets: readonly (Float64Array | null)[]): number {
  let loss = 0;
  targets.forEach((t, i) => {
    if (!t) return;
    const y = ys[i]!;
    for (let k = 0; k < t.length; k++) loss += 0.5 * (t[k]! - y[k]!) ** 2;
  });
  return loss;
}
