// A character-level language model on a few of Shakespeare's sonnets (data/sonnets.txt, public
// domain): Embedding → 2-layer LSTM → Linear, trained with crossEntropy and Adam on random windows
// of the text, then sampled one character at a time, carrying the LSTM state.
//
//   pnpm start            1000 steps (about 4½ minutes on one core): words and line breaks
//   pnpm start --quick    40 steps (also QUICK=1): the loss falls, the sample is still babble
import { readFileSync } from 'node:fs';
import { noGrad, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { Adam, clipGradNorm, crossEntropy, Embedding, Linear, LSTM, Module, type RecurrentState } from '@carousel/nn';

const quick = process.argv.includes('--quick') || process.env.QUICK === '1';
const steps = quick ? 40 : 1000;
const [seqLen, batch, embed, hidden, layers] = [32, 16, 16, 64, 2];

const text = readFileSync(new URL('../data/sonnets.txt', import.meta.url), 'utf8');
const vocab = [...new Set(text)].sort();
const index = new Map(vocab.map((ch, i) => [ch, i]));
const encoded = Int32Array.from(text, (ch) => index.get(ch)!);
console.log(`${text.length} characters, ${vocab.length} distinct`);

// a seeded generator for windows and sampling (the tensor stream is seeded separately)
let seed = 7;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

class CharLM extends Module {
  embedding = new Embedding(vocab.length, embed);
  lstm = new LSTM(embed, hidden, { numLayers: layers });
  head = new Linear(hidden, vocab.length);

  /** `chars [T, B]` (int32) → logits `[T, B, V]` and the final state. */
  forward(chars: Tensor<'int32'>, state?: RecurrentState): { logits: Tensor; state: RecurrentState } {
    const { output, state: next } = this.lstm.forward(this.embedding.forward(chars), state);
    return { logits: this.head.forward(output), state: next };
  }
}

/** `batch` random windows of `seqLen + 1` characters: inputs `[T, B]` and next-character targets `[T·B]`. */
function windows(): { x: Tensor<'int32'>; y: Tensor<'int32'> } {
  const x = new Int32Array(seqLen * batch);
  const y = new Int32Array(seqLen * batch);
  for (let b = 0; b < batch; b++) {
    const start = Math.floor(random() * (encoded.length - seqLen - 1));
    for (let t = 0; t < seqLen; t++) {
      x[t * batch + b] = encoded[start + t]!;
      y[t * batch + b] = encoded[start + t + 1]!;
    }
  }
  return { x: tensor(x, { shape: [seqLen, batch] }), y: tensor(y) };
}

setSeed(0);
const model = new CharLM();
const opt = new Adam(model.parameters(), { lr: 1e-2 });
console.log(`${model.numParameters().toLocaleString('en-US')} parameters; ${steps} steps of ${batch} × ${seqLen} characters`);
const started = performance.now();
let smoothed = Math.log(vocab.length);
for (let step = 1; step <= steps; step++) {
  const loss = tidy(() => {
    const { x, y } = windows();
    const { logits } = model.forward(x);
    const loss = crossEntropy(logits.reshape([seqLen * batch, vocab.length]), y);
    loss.backward();
    return loss.item() as number;
  });
  clipGradNorm(model.parameters(), 1).dispose();
  opt.step();
  opt.zeroGrad();
  smoothed = 0.9 * smoothed + 0.1 * loss;
  if (step % (steps / 5) === 0 || step === 1) {
    const s = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `step ${String(step).padStart(4)}  loss ${loss.toFixed(3)} nats/char (smoothed ${(smoothed / Math.LN2).toFixed(2)} bits/char)  ${s} s`,
    );
  }
}

/** Samples `n` characters after `prompt`, at `temperature`, feeding each back in. */
function sample(prompt: string, n: number, temperature: number): string {
  model.eval();
  return noGrad(() => {
    let out = prompt;
    let state: RecurrentState | undefined;
    let next = tensor(
      Array.from(prompt, (ch) => [index.get(ch) ?? 0]),
      { dtype: 'int32' },
    ); // [T, 1]
    for (let i = 0; i < n; i++) {
      const r = tidy(() => {
        const { logits, state: s } = model.forward(next, state);
        const last = logits.slice([-1]).reshape([vocab.length]).div(temperature).softmax();
        return { probs: last.dataSync(), state: s };
      });
      state?.h.dispose();
      state?.c?.dispose();
      state = r.state;
      let u = random();
      let k = 0;
      while (k < vocab.length - 1 && (u -= r.probs[k]!) > 0) k++;
      out += vocab[k];
      next.dispose();
      next = tensor([[k]], { dtype: 'int32' });
    }
    return out;
  });
}

console.log('\nsample (temperature 0.8):\n');
console.log(sample('Shall I ', quick ? 160 : 400, 0.8));
