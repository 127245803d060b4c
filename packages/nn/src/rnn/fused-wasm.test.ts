// nn.LSTM and nn.GRU in float32 (the benchmarks' and most users' dtype): the fused kernel, which
// runs on the CPU backend's WASM kernel (and on its TypeScript loops with configureCpu({ wasm:
// false })), against the composite cell in float32: outputs, final states and every gradient, on
// a few variants and shapes (B = 1 and a hidden size that is not a multiple of 4 included).
import { configureCpu, randn, setSeed, type Tensor, tidy } from '@carousel/autograd';
import { afterAll, describe, expect, it } from 'vitest';
import { GRU } from './gru.js';
import { LSTM, type LSTMOptions } from './lstm.js';

const initial = configureCpu();
afterAll(() => configureCpu(initial));

/** max |a − b| / (1 + max |b|). */
function relErr(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [a.dataSync(), b.dataSync()];
  let d = 0;
  let m = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    m = Math.max(m, Math.abs(y[i]!));
  }
  return d / (1 + m);
}

/** Output, final states and every gradient of `layer` under a loss touching all of them. */
function run(layer: LSTM | GRU, x: Tensor, wOut: Tensor): Record<string, Tensor> {
  const xi = x.detach();
  xi.requiresGrad = true;
  layer.zeroGrad();
  const { output, state } = layer.forward(xi);
  const s = state as { h: Tensor; c?: Tensor };
  let loss = output.mul(wOut).sum().add(s.h.square().sum());
  if (s.c) loss = loss.add(s.c.tanh().sum());
  loss.backward();
  const out: Record<string, Tensor> = { output, h: s.h, 'grad x': xi.grad! };
  if (s.c) out.c = s.c;
  for (const [k, p] of layer.namedParameters()) out[`grad ${k}`] = p.grad!;
  return out;
}

function compare(make: (fused: boolean) => LSTM | GRU, T: number, B: number, seed: number): Record<string, number> {
  setSeed(seed);
  const fused = make(true);
  const composite = make(false);
  composite.loadStateDict(fused.stateDict());
  const x = randn([T, B, fused.inputSize]);
  const wOut = randn([T, B, fused.numDirections * fused.outputSize]);
  const a = run(fused, x, wOut);
  const b = run(composite, x, wOut);
  return Object.fromEntries(Object.keys(b).map((k) => [k, relErr(a[k]!, b[k]!)]));
}

const SHAPES = [
  // [I, H, B, T]
  [3, 5, 1, 6],
  [4, 8, 6, 5],
  [5, 13, 9, 4],
] as const;
const LSTMS: [string, LSTMOptions][] = [
  ['torch.nn.LSTM', {}],
  ['vanilla (peepholes)', { variant: 'vanilla' }],
  ['CIFG', { variant: 'CIFG' }],
  ['two layers, bidirectional', { numLayers: 2, bidirectional: true }],
];
// float32 rounding of two evaluation orders through T ≤ 6 steps (observed: up to 2.2e-7)
const TOL = 2e-6;

for (const wasm of [true, false]) {
  describe(`fused float32 = composite float32 (${wasm ? 'WASM kernel' : 'TypeScript loops'})`, () => {
    for (const [name, opts] of LSTMS) {
      it(`LSTM, ${name}`, () => {
        configureCpu({ wasm });
        tidy(() => {
          for (const [I, H, B, T] of SHAPES) {
            const errs = compare((fused) => new LSTM(I, H, { ...opts, fused }), T, B, I * 7 + H);
            expect(Math.max(...Object.values(errs)), JSON.stringify(errs)).toBeLessThan(TOL);
          }
        });
      });
    }
    it('GRU, two layers', () => {
      configureCpu({ wasm });
      tidy(() => {
        for (const [I, H, B, T] of SHAPES) {
          const errs = compare((fused) => new GRU(I, H, { numLayers: 2, fused }), T, B, I * 5 + H);
          expect(Math.max(...Object.values(errs)), JSON.stringify(errs)).toBeLessThan(TOL);
        }
      });
    });
  });
}
