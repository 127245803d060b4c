// The 1997 paper's Experiment 1 by hand: its LSTM (3 memory-cell blocks of 2 cells, 276 weights)
// trained on-line by its own truncated RTRL on embedded Reber strings from @carousel/tasks.
// `carousel run reber` runs the same protocol over many trials; this shows the pieces.
//
//   pnpm start            up to 100,000 strings per trial, 3 trials
//   pnpm start --quick    one trial, at most 20,000 strings (a few seconds; also QUICK=1)
import { noGrad, setSeed, tensor } from '@carousel/autograd';
import { LSTM1997, RTRL1997 } from '@carousel/nn';
import { legalSuccessors, oneHotSymbol, Rng, reberDataset, SYMBOLS } from '@carousel/tasks';

const quick = process.argv.includes('--quick') || process.env.QUICK === '1';
const trials = quick ? 1 : 3;
const maxStrings = quick ? 20_000 : 100_000;
const evalEvery = 1000;

/** Experiment 1's net (Table 10): biases on the gates only, weights in ±0.2, output-gate biases −1, −2, −3. */
function paperNet(seed: number): LSTM1997 {
  setSeed(seed);
  return new LSTM1997({
    inputSize: 7,
    outputSize: 7,
    blocks: 3,
    cellsPerBlock: 2,
    bias: { gate: true },
    initRange: 0.2,
    outputGateBias: [-1, -2, -3],
    dtype: 'float64',
  });
}

/** Inputs are every symbol but the last, targets every symbol but the first (next-symbol prediction). */
const inputs = (s: string) => Array.from(s.slice(0, -1), oneHotSymbol);
const targets = (s: string) => Array.from(s.slice(1), oneHotSymbol);

/** The paper's test: at every step, every legal next symbol scores above every illegal one. */
function solved(rtrl: RTRL1997, s: string): boolean {
  const legal = legalSuccessors(s);
  rtrl.reset();
  return inputs(s).every((x, t) => {
    const y = rtrl.step(x); // no target: no learning
    const scores = SYMBOLS.map((symbol, k) => ({ legal: legal[t]!.has(symbol), y: y[k]! }));
    const minLegal = Math.min(...scores.filter((c) => c.legal).map((c) => c.y));
    const maxIllegal = Math.max(...scores.filter((c) => !c.legal).map((c) => c.y));
    return minLegal > maxIllegal;
  });
}
const errorRate = (rtrl: RTRL1997, strings: readonly string[]) => strings.filter((s) => !solved(rtrl, s)).length / strings.length;

for (let trial = 0; trial < trials; trial++) {
  const seed = 1 + trial;
  const rng = new Rng(seed);
  const { train, test } = reberDataset(rng.fork(1)); // 256 training strings, 256 unseen test strings
  const net = paperNet(seed);
  const rtrl = new RTRL1997(net, { lr: 0.5 }); // Δw = α·e·y after every symbol
  const pick = rng.fork(2);
  const started = performance.now();
  let strings = 0;
  let trainError = 1;
  while (strings < maxStrings) {
    const s = train[pick.int(train.length)]!;
    rtrl.reset(); // activations and ∂s/∂w traces start from zero for every string
    const ts = targets(s);
    for (const [t, x] of inputs(s).entries()) rtrl.step(x, ts[t]); // learns after every symbol
    strings++;
    if (strings % evalEvery === 0) {
      trainError = errorRate(rtrl, train);
      if (trainError === 0) break;
    }
  }
  const testError = errorRate(rtrl, test);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const outcome = trainError === 0 && testError === 0 ? `solved after ${strings.toLocaleString('en-US')} strings` : 'not solved';
  console.log(
    `trial ${trial + 1} (seed ${seed}, ${net.numParameters()} weights): ${outcome}; ` +
      `training-set error ${(100 * trainError).toFixed(1)}%, test-set error ${(100 * testError).toFixed(1)}% (${seconds} s)`,
  );

  if (trial === 0) {
    // RTRL trains its own Float64Array copy of the weights: write them back, then run the same
    // net through the Tensor forward pass (what BPTT and the rest of the zoo use).
    rtrl.sync();
    const s = test[0]!;
    const out = noGrad(
      () =>
        net.forward(
          tensor(
            inputs(s).map((x) => Array.from(x)),
            { dtype: 'float64' },
          ),
        ).output,
    );
    const ys = out.arraySync() as number[][];
    console.log(`\npredictions on the test string ${s} (symbols whose output unit is above 0.3):`);
    ys.forEach((y, t) => {
      const likely = SYMBOLS.filter((_, k) => y[k]! > 0.3).join('|');
      console.log(`  after ${s.slice(0, t + 1).padEnd(s.length)} → ${likely.padEnd(5)} (legal: ${[...legalSuccessors(s)[t]!].join('|')})`);
    });
    console.log();
  }
}
