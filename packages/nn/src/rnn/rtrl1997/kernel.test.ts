import { configureCpu, setSeed } from '@carousel/autograd';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LSTM1997, type LSTM1997Options } from '../lstm1997.js';
import { RTRL1997 } from '../rtrl1997.js';

// The WASM kernel and the TypeScript loops must compute the same bits: same outputs at every
// step, same accumulated gradients, same trained weights, for every configuration the kernel is
// specialised on (sizes, squashes, output gates, connectivity, biases, on-line or accumulated
// learning) and every way of driving it (one-hot, sparse and dense inputs, -0 among the zeros,
// targets on some steps, advance, applyUpdate, plain arrays or Float64Arrays).

const wasmAtStart = configureCpu().wasm;
afterAll(() => {
  configureCpu({ wasm: wasmAtStart });
});

const squashArb = fc.constantFrom('paper', 'sigmoid1', 'sigmoid2', 'logistic', 'tanh', 'identity') as fc.Arbitrary<'paper'>;
const configArb: fc.Arbitrary<LSTM1997Options> = fc.record({
  inputSize: fc.integer({ min: 1, max: 13 }),
  outputSize: fc.integer({ min: 1, max: 4 }),
  blocks: fc.integer({ min: 1, max: 3 }),
  cellsPerBlock: fc.integer({ min: 1, max: 3 }),
  outputGate: fc.boolean(),
  connectivity: fc.constantFrom('F', 'B') as fc.Arbitrary<'F' | 'B'>,
  g: squashArb,
  h: squashArb,
  outputActivation: fc.constantFrom('logistic', 'identity') as fc.Arbitrary<'logistic'>,
  bias: fc.record({ cell: fc.boolean(), gate: fc.boolean(), output: fc.boolean() }),
  initRange: fc.constantFrom(0.2, 1, 2.5),
});

interface Plan {
  lr: number;
  seed: number;
  /** Per sequence, per step: how x is drawn, whether the step has a target, whether it is an `advance`. */
  sequences: { input: 'oneHot' | 'sparse' | 'dense'; target: boolean; advance: boolean; plain: boolean }[][];
}
const planArb: fc.Arbitrary<Plan> = fc.record({
  lr: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 1, noNaN: true })),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  sequences: fc.array(
    fc.array(
      fc.record({
        input: fc.constantFrom('oneHot', 'sparse', 'dense') as fc.Arbitrary<'oneHot'>,
        target: fc.boolean(),
        advance: fc.boolean(),
        plain: fc.boolean(),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

/** A 32-bit LCG in [0, 1), so both runs draw the same inputs and targets. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Trains on `plan` with the WASM kernel on the sequences where `wasm(seq)` says so (and
 * `configureCpu` flipped inside each sequence, which takes effect at the next
 * reset only); returns every number the learner produced, as bits.
 */
function train(cfg: LSTM1997Options, plan: Plan, wasm: (seq: number) => boolean): bigint[] {
  setSeed(plan.seed);
  const net = new LSTM1997({ ...cfg, dtype: 'float64' });
  const rtrl = new RTRL1997(net, { lr: plan.lr });
  const rand = lcg(plan.seed);
  const out: number[] = [];
  plan.sequences.forEach((steps, seq) => {
    configureCpu({ wasm: wasm(seq) });
    rtrl.reset();
    expect(rtrl.runsOn).toBe(wasm(seq) ? 'wasm' : 'typescript');
    for (const [t, s] of steps.entries()) {
      const x = new Float64Array(cfg.inputSize);
      if (s.input === 'oneHot') x[Math.floor(rand() * x.length)] = 1;
      else for (let i = 0; i < x.length; i++) x[i] = s.input === 'dense' || rand() < 0.3 ? 4 * rand() - 2 : rand() < 0.5 ? 0 : -0;
      const input = s.plain ? Array.from(x) : x;
      if (t === 1) configureCpu({ wasm: !wasm(seq) }); // no effect before the next reset
      if (s.advance && !s.target) rtrl.advance(input);
      else out.push(...rtrl.step(input, s.target ? Float64Array.from({ length: cfg.outputSize }, rand) : null));
    }
    expect(rtrl.runsOn).toBe(wasm(seq) ? 'wasm' : 'typescript');
    if (plan.lr === 0) {
      for (const g of Object.values(rtrl.gradients())) out.push(...g);
      rtrl.applyUpdate(0.3);
    }
  });
  rtrl.sync();
  for (const p of net.parameters()) out.push(...p.dataSync());
  return Array.from(new BigUint64Array(Float64Array.from(out).buffer));
}

describe('RTRL1997: the WASM kernel computes the bits of the TypeScript loops', () => {
  it('in every configuration and every way of driving it (outputs, gradients, trained weights)', () => {
    expect(configureCpu({ wasm: true }).wasm).toBe(true); // WebAssembly is available here: the property compares two paths
    fc.assert(
      fc.property(configArb, planArb, (cfg, plan) => {
        const ts = train(cfg, plan, () => false);
        expect(train(cfg, plan, () => true)).toEqual(ts);
        // either path can run any sequence of one learner: the state lives in one memory
        expect(train(cfg, plan, (seq) => seq % 2 === 0)).toEqual(ts);
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it('on long one-hot inputs (the four-zeros skip) with the Exp. 2c net', () => {
    const cfg: LSTM1997Options = { inputSize: 104, outputSize: 2, blocks: 2, cellsPerBlock: 1, bias: false, initRange: 1 };
    const plan: Plan = {
      lr: 0.01,
      seed: 7,
      sequences: Array.from({ length: 3 }, (_, s) =>
        Array.from(
          { length: 40 },
          (_, t) => ({ input: t % 5 === 0 ? 'sparse' : 'oneHot', target: t === 39 || t % 7 === s, advance: true, plain: false }) as const,
        ),
      ),
    };
    expect(train(cfg, plan, () => true)).toEqual(train(cfg, plan, () => false));
  });
});
