import { configureCpu, setSeed, zeros } from '@carousel/autograd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LSTM1997, type LSTM1997Options } from './lstm1997.js';
import { RTRL1997 } from './rtrl1997.js';

// Regression goldens for RTRL1997's training trajectory. The goldens were captured from the
// implementation before it was restructured for speed (per-step updates written straight into
// the weights, one scan of the inputs, paired dot products); that restructuring keeps every sum
// in the same order, so the trajectories agree to the last bit, and any change to what is
// computed moves a fingerprint by far more than the 1e-12 allowed here. They hold on both paths:
// the WebAssembly kernel and the TypeScript loops (`configureCpu({ wasm: false })`).

/** Deterministic inputs without depending on a seeded generator elsewhere: a 32-bit LCG in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A weighted sum with fixed, distinct weights in [1, 2) (golden-ratio sequence), so that a change
 * in any single value, or two values swapped, shows.
 */
class Fingerprint {
  #i = 0;
  value = 0;
  add(xs: ArrayLike<number>): void {
    for (let j = 0; j < xs.length; j++) this.value += xs[j]! * (1 + ((++this.#i * 0.6180339887498949) % 1));
  }
}

interface Case {
  name: string;
  net: LSTM1997Options;
  /** One-hot inputs (the sparse path) or dense ones in [−1, 1). */
  oneHot: boolean;
  /** Per-step updates with this lr, or `sequence`: accumulate (lr 0), one applyUpdate(0.2) per sequence. */
  update: number | 'sequence';
  /** Which steps have targets. */
  targets: 'every' | 'end' | 'some';
}

const CASES: Case[] = [
  {
    name: 'Exp. 1 net (3×2, g sigmoid1, h sigmoid2, gate biases), one-hot inputs, a target and an update every step',
    net: {
      inputSize: 7,
      outputSize: 7,
      blocks: 3,
      cellsPerBlock: 2,
      bias: { gate: true },
      g: 'sigmoid1',
      h: 'sigmoid2',
      outputGateBias: [-1, -2, -3],
    },
    oneHot: true,
    update: 0.5,
    targets: 'every',
  },
  {
    name: 'Exp. 2c net (2×1, no biases) on 30 one-hot inputs, target at the end',
    net: { inputSize: 30, outputSize: 2, blocks: 2, cellsPerBlock: 1, bias: false },
    oneHot: true,
    update: 0.3,
    targets: 'end',
  },
  {
    name: 'Exp. 4 net (2×2, all biases), dense inputs, target at the end',
    net: { inputSize: 2, outputSize: 1, blocks: 2, cellsPerBlock: 2, bias: true },
    oneHot: false,
    update: 0.5,
    targets: 'end',
  },
  {
    name: 'connectivity B, no output gate, g logistic, h identity, one update per sequence',
    net: {
      inputSize: 4,
      outputSize: 4,
      blocks: 1,
      cellsPerBlock: 1,
      bias: false,
      connectivity: 'B',
      outputGate: false,
      g: 'logistic',
      h: 'identity',
    },
    oneHot: true,
    update: 'sequence',
    targets: 'some',
  },
  {
    name: 'connectivity B with output gates and biases, dense inputs, per-step updates',
    net: { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: true, connectivity: 'B' },
    oneHot: false,
    update: 0.3,
    targets: 'some',
  },
  {
    name: 'g tanh, h identity, linear outputs, 1×3, one update per sequence',
    net: { inputSize: 2, outputSize: 1, blocks: 1, cellsPerBlock: 3, bias: true, g: 'tanh', h: 'identity', outputActivation: 'identity' },
    oneHot: false,
    update: 'sequence',
    targets: 'some',
  },
  {
    name: 'connectivity F without output gates, one-hot inputs, per-step updates',
    net: { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: true, outputGate: false },
    oneHot: true,
    update: 0.3,
    targets: 'some',
  },
];

/** Trains 15 sequences of 4–12 steps; fingerprints every step's outputs, the gradients read, and the trained weights. */
function run(c: Case, caseIndex: number): { outputs: number; weights: number; last: number[] } {
  setSeed(100 + caseIndex);
  const net = new LSTM1997({ ...c.net, initRange: 0.8, dtype: 'float64' });
  const rtrl = new RTRL1997(net, { lr: c.update === 'sequence' ? 0 : c.update });
  expect(rtrl.runsOn).toBe(configureCpu().wasm ? 'wasm' : 'typescript');
  const rand = lcg(caseIndex + 1);
  const outputs = new Fingerprint();
  let last: number[] = [];
  for (let seq = 0; seq < 15; seq++) {
    rtrl.reset();
    const T = 4 + (seq % 9);
    for (let t = 0; t < T; t++) {
      const x = new Float64Array(c.net.inputSize);
      if (c.oneHot) x[Math.floor(rand() * x.length)] = 1;
      else for (let i = 0; i < x.length; i++) x[i] = 2 * rand() - 1;
      const has = c.targets === 'every' || t === T - 1 || (c.targets === 'some' && (t + seq) % 3 === 0);
      const target = has ? Float64Array.from({ length: c.net.outputSize }, rand) : null;
      const y = rtrl.step(x, target);
      outputs.add(y);
      last = Array.from(y);
    }
    if (c.update === 'sequence') {
      for (const g of Object.values(rtrl.gradients())) outputs.add(g!);
      rtrl.applyUpdate(0.2);
    }
  }
  rtrl.sync();
  const weights = new Fingerprint();
  for (const p of net.parameters()) weights.add(p.dataSync());
  return { outputs: outputs.value, weights: weights.value, last };
}

/** Captured from the implementation before the speed restructuring (see the top of this file). */
const GOLDEN: { outputs: number; weights: number; last: number[] }[] = [
  {
    outputs: 576.6567194421178,
    weights: -31.81068101520344,
    last: [
      0.49230173123239196, 0.4899708752892082, 0.48487445021610814, 0.4962770861731312, 0.4708586398903395, 0.5057134535230221,
      0.4665964386455615,
    ],
  },
  { outputs: 168.717067567202, weights: -11.012726643424116, last: [0.5279359437987488, 0.5028189206922121] },
  { outputs: 86.36592629313408, weights: 4.892593845184716, last: [0.479940585391668] },
  {
    outputs: 356.6642065570341,
    weights: 1.625124250249055,
    last: [0.5163735749077011, 0.4252471695255844, 0.5101289303133788, 0.4850473682443566],
  },
  { outputs: 160.7254005185447, weights: -2.1172334242320443, last: [0.43987309261802016, 0.6544517480973185] },
  { outputs: 89.19629513015074, weights: -4.444832859986342, last: [0.5229384154074666] },
  { outputs: 167.5681081652084, weights: -2.4454444942943723, last: [0.47356504315969267, 0.5876340096858776] },
];

const wasmAtStart = configureCpu().wasm;
afterAll(() => {
  configureCpu({ wasm: wasmAtStart });
});

describe.each([
  ['the WebAssembly kernel', true],
  ['the TypeScript loops', false],
])('RTRL1997 training trajectories equal the goldens of the previous implementation, on %s', (_, wasm) => {
  beforeAll(() => {
    expect(configureCpu({ wasm }).wasm).toBe(wasm);
  });
  CASES.forEach((c, i) => {
    it(c.name, () => {
      const got = run(c, i);
      const want = GOLDEN[i]!;
      const close = (a: number, b: number, what: string) =>
        expect(Math.abs(a - b), what).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
      close(got.outputs, want.outputs, 'outputs');
      close(got.weights, want.weights, 'weights');
      for (const [k, v] of got.last.entries()) close(v, want.last[k]!, `last output ${k}`);
    });
  });
});

describe('RTRL1997.advance', () => {
  it('is step(x, null) without the outputs: the same cells, traces and, after a target step, the same weights', () => {
    const cfg: LSTM1997Options = { inputSize: 5, outputSize: 3, blocks: 2, cellsPerBlock: 2, bias: true, initRange: 0.8, dtype: 'float64' };
    const trained = (useAdvance: boolean) => {
      setSeed(9);
      const net = new LSTM1997(cfg);
      const rtrl = new RTRL1997(net, { lr: 0.4 });
      const rand = lcg(42);
      const ys: number[] = [];
      for (let seq = 0; seq < 6; seq++) {
        rtrl.reset();
        for (let t = 0; t < 7; t++) {
          const x = Float64Array.from({ length: 5 }, () => (rand() < 0.5 ? 0 : 2 * rand() - 1));
          if (t < 6) {
            if (useAdvance) rtrl.advance(x);
            else rtrl.step(x, null);
          } else ys.push(...rtrl.step(x, Float64Array.from({ length: 3 }, rand)));
        }
      }
      rtrl.sync();
      return { ys, weights: net.parameters().flatMap((p) => Array.from(p.dataSync())) };
    };
    const a = trained(true);
    const b = trained(false);
    expect(a.ys).toEqual(b.ys);
    expect(a.weights).toEqual(b.weights);
  });

  it('rejects an input of the wrong length, naming the method', () => {
    const rtrl = new RTRL1997(new LSTM1997({ inputSize: 3, outputSize: 1, blocks: 1, cellsPerBlock: 1, dtype: 'float64' }));
    expect(() => rtrl.advance([1, 0])).toThrow('RTRL1997.advance: input has 2 values, expected 3');
    expect(() => rtrl.step([1, 0, 0], [1, 0])).toThrow('RTRL1997.step: target has 2 values, expected 1');
  });

  it('load() rejects a network whose parameters changed since the learner was built', () => {
    const net = new LSTM1997({ inputSize: 3, outputSize: 1, blocks: 1, cellsPerBlock: 1, bias: false, dtype: 'float64' });
    const rtrl = new RTRL1997(net);
    net.bias_cell = zeros([1], { dtype: 'float64' });
    expect(() => rtrl.load()).toThrow('RTRL1997.load: bias_cell of the network changed since the learner was built');
  });
});
