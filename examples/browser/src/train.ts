// The model and the training step, free of the DOM (so Node can run them too).
import { noGrad, setSeed, softmax, type Tensor, tensor, tidy } from '@carousel/autograd';
import { Adam, crossEntropy, Linear, LSTM } from '@carousel/nn';
import { embeddedReberString, legalSuccessors, type Rng, SYMBOLS } from '@carousel/tasks';

/** Settings of a run. */
export interface Settings {
  seed: number;
  hidden: number;
  batch: number;
  lr: number;
}

export const DEFAULTS: Settings = { seed: 1, hidden: 16, batch: 16, lr: 0.05 };

const C = SYMBOLS.length;
const IGNORE = -100;
const index = (s: string) => SYMBOLS.indexOf(s as (typeof SYMBOLS)[number]);

/** One-hot inputs `[T, B, 7]` and next-symbol targets `[T, B]` (IGNORE past a string's end). */
export function encode(strings: readonly string[]): { x: Float32Array; y: Int32Array; T: number; B: number } {
  const B = strings.length;
  const T = Math.max(...strings.map((s) => s.length)) - 1;
  const x = new Float32Array(T * B * C);
  const y = new Int32Array(T * B).fill(IGNORE);
  strings.forEach((s, b) => {
    for (let t = 0; t < s.length - 1; t++) {
      x[(t * B + b) * C + index(s[t]!)] = 1;
      y[t * B + b] = index(s[t + 1]!);
    }
  });
  return { x, y, T, B };
}

/** Next-symbol probabilities after each prefix of `s`, and whether each ranks the legal symbols first. */
export interface Prediction {
  string: string;
  /** `probs[t][k]`: probability that symbol k follows `s[0..t]`. */
  probs: number[][];
  legal: Set<string>[];
  right: boolean[];
}

/** An LSTM with a linear read-out, trained by Adam on batches of embedded Reber strings. */
/** Whether every legal successor scores above every illegal symbol (the paper's criterion; scores are ≥ 0). */
export function ranksLegalFirst(scores: ArrayLike<number>, legal: Set<string>): boolean {
  const row = Array.from(scores);
  const worstLegal = Math.min(...row.filter((_, k) => legal.has(SYMBOLS[k]!)));
  const bestIllegal = Math.max(0, ...row.filter((_, k) => !legal.has(SYMBOLS[k]!)));
  return worstLegal > bestIllegal;
}

export class ReberNet {
  readonly lstm: LSTM;
  readonly head: Linear;
  readonly opt: Adam;

  constructor(readonly settings: Settings = DEFAULTS) {
    setSeed(settings.seed);
    this.lstm = new LSTM(C, settings.hidden);
    this.head = new Linear(settings.hidden, C);
    this.opt = new Adam([...this.lstm.parameters(), ...this.head.parameters()], { lr: settings.lr });
  }

  #logits(x: Float32Array, T: number, B: number): Tensor {
    return this.head.forward(this.lstm.forward(tensor(x, { shape: [T, B, C] })).output);
  }

  /** One Adam step on a fresh batch; resolves to its loss (mean cross-entropy per symbol). */
  async step(rng: Rng): Promise<number> {
    const { x, y, T, B } = encode(Array.from({ length: this.settings.batch }, () => embeddedReberString(rng)));
    const loss = tidy(() => {
      const l = crossEntropy(this.#logits(x, T, B), tensor(y, { shape: [T, B], dtype: 'int32' }), { axis: -1, ignoreIndex: IGNORE });
      l.backward();
      this.opt.step();
      return l.detach();
    });
    this.opt.zeroGrad();
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  }

  /** The network's next-symbol distributions along each string (one batched forward pass). */
  async predict(strings: readonly string[]): Promise<Prediction[]> {
    const { x, T, B } = encode(strings);
    const p = noGrad(() => tidy(() => softmax(this.#logits(x, T, B), -1)));
    const flat = await p.data();
    p.dispose();
    return strings.map((s, b) => {
      const probs = Array.from({ length: s.length - 1 }, (_, t) => Array.from(flat.subarray((t * B + b) * C, (t * B + b + 1) * C), Number));
      const legal = legalSuccessors(s) as Set<string>[];
      const right = probs.map((row, t) => ranksLegalFirst(row, legal[t]!));
      return { string: s, probs, legal, right };
    });
  }

  dispose(): void {
    this.opt.dispose();
    for (const p of [...this.lstm.parameters(), ...this.head.parameters()]) p.dispose();
  }
}
