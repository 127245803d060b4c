// The fused CPU kernels (autograd's lstmSequence / gruSequence) against the composite cells they
// override: outputs, final states and every gradient (input, parameters, h0, c0) on random
// configurations of every supported variant, to 1e-10 in float64; that the fused node is really
// the one recorded; that unsupported configurations fall back; and gradients of gradients.
import { grad, randn, setSeed, type Tensor, tidy } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { GRU, type GRUOptions } from './gru.js';
import { LSTM, type LSTMOptions } from './lstm.js';

const maxDiff = (a: Tensor, b: Tensor): number => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
};

interface Run {
  output: Tensor;
  h: Tensor;
  c?: Tensor | undefined;
  grads: Record<string, Tensor>;
  ops: Set<string>;
}

/** Every op recorded in the graph under `t`. */
function opsUnder(t: Tensor): Set<string> {
  const ops = new Set<string>();
  const stack = [t];
  const seen = new Set<Tensor>();
  while (stack.length) {
    const u = stack.pop()!;
    if (seen.has(u) || !u.node) continue;
    seen.add(u);
    ops.add(u.node.op);
    stack.push(...u.node.inputs);
  }
  return ops;
}

/** Forward and backward of `layer` with a loss touching the output and both final states. */
function run(layer: LSTM | GRU, x: Tensor, h0: Tensor, c0: Tensor | undefined): Run {
  const xi = x.detach();
  xi.requiresGrad = true;
  const hi = h0.detach();
  hi.requiresGrad = true;
  const ci = c0?.detach();
  if (ci) ci.requiresGrad = true;
  layer.zeroGrad();
  const { output, state } = layer.forward(xi, ci ? { h: hi, c: ci } : { h: hi });
  const s = state as { h: Tensor; c?: Tensor };
  // weights make each position's gradient distinct
  const wOut = randn(output.shape, { dtype: 'float64' });
  let loss = output.mul(wOut).sum().add(s.h.square().sum());
  if (s.c) loss = loss.add(s.c.mul(s.c.tanh()).sum());
  const ops = opsUnder(loss);
  loss.backward();
  const grads: Record<string, Tensor> = { x: xi.grad!, h0: hi.grad! };
  if (ci) grads.c0 = ci.grad!;
  for (const [k, p] of layer.namedParameters()) grads[k] = p.grad!;
  return { output, h: s.h, c: s.c, grads, ops };
}

function compare(make: (fused: boolean) => LSTM | GRU, shape: { T: number; B: number; batchFirst?: boolean }) {
  const fusedLayer = make(true);
  const compLayer = make(false);
  compLayer.loadStateDict(fusedLayer.stateDict());
  const L = fusedLayer.numLayers * fusedLayer.numDirections;
  const { T, B } = shape;
  const x = randn(shape.batchFirst ? [B, T, fusedLayer.inputSize] : [T, B, fusedLayer.inputSize], { dtype: 'float64' });
  const h0 = randn([L, B, fusedLayer.outputSize], { dtype: 'float64' });
  const c0 = fusedLayer instanceof LSTM ? randn([L, B, fusedLayer.hiddenSize], { dtype: 'float64' }) : undefined;
  setSeed(7);
  const f = run(fusedLayer, x, h0, c0);
  setSeed(7);
  const c = run(compLayer, x, h0, c0);
  const errs: Record<string, number> = { output: maxDiff(f.output, c.output), h: maxDiff(f.h, c.h) };
  if (f.c && c.c) errs.c = maxDiff(f.c, c.c);
  expect(Object.keys(f.grads).sort()).toEqual(Object.keys(c.grads).sort());
  for (const k of Object.keys(c.grads)) errs[`grad ${k}`] = maxDiff(f.grads[k]!, c.grads[k]!);
  return { errs, fusedOps: f.ops, compositeOps: c.ops };
}

const worst = (errs: Record<string, number>) => Math.max(...Object.values(errs));

const lstmConfigs: [string, LSTMOptions][] = [
  ['torch.nn.LSTM', {}],
  ['no bias', { bias: false }],
  ['two layers, bidirectional', { numLayers: 2, bidirectional: true }],
  ['batchFirst', { batchFirst: true }],
  ['vanilla (peephole)', { variant: 'vanilla' }],
  ['NIG', { variant: 'NIG' }],
  ['NFG', { variant: 'NFG' }],
  ['NOG', { variant: 'NOG' }],
  ['NIAF', { variant: 'NIAF' }],
  ['NOAF', { variant: 'NOAF' }],
  ['NP', { variant: 'NP' }],
  ['CIFG (coupled, peephole)', { variant: 'CIFG' }],
  ['coupled without peepholes', { coupled: true }],
  ['peephole, no bias, forgetBias', { peephole: true, bias: false, forgetBias: 1 }],
  ['recurrentDropout in eval', { recurrentDropout: 0.3 }],
];

describe('fused LSTM kernel = composite LSTM (float64, 1e-10)', () => {
  for (const [name, opts] of lstmConfigs) {
    it(`${name}: outputs, final h and c, gradients of x, h0, c0 and every parameter`, () => {
      tidy(() => {
        setSeed(name.length * 31 + 1);
        for (const [I, H, B, T] of [
          [3, 5, 2, 7],
          [4, 6, 5, 4], // B ≥ 4: the GEMM path of the kernel
          [2, 3, 1, 1],
        ] as const) {
          const { errs, fusedOps, compositeOps } = compare(
            (fused) => {
              const l = new LSTM(I, H, { ...opts, dtype: 'float64', fused });
              if (opts.recurrentDropout) l.eval();
              return l;
            },
            { T, B, batchFirst: opts.batchFirst ?? false },
          );
          expect(fusedOps.has('lstmSequence')).toBe(true);
          expect(compositeOps.has('lstmSequence')).toBe(false);
          expect(worst(errs), JSON.stringify(errs)).toBeLessThan(1e-10);
        }
      });
    });
  }

  for (const [name, opts, train] of [
    ['FGR', { variant: 'FGR' }, false],
    ['layerNorm', { layerNorm: true }, false],
    ['projSize', { projSize: 2 }, false],
    ['zoneout', { zoneout: 0.2 }, false],
    ['recurrentDropout in training', { recurrentDropout: 0.3 }, true],
  ] as [string, LSTMOptions, boolean][]) {
    it(`${name} falls back to the composite (same results as fused: false)`, () => {
      tidy(() => {
        setSeed(3);
        const { errs, fusedOps } = compare(
          (fused) => {
            const l = new LSTM(3, 4, { ...opts, dtype: 'float64', fused });
            if (!train) l.eval();
            return l;
          },
          { T: 3, B: 2 },
        );
        expect(fusedOps.has('lstmSequence')).toBe(false);
        expect(worst(errs)).toBe(0);
      });
    });
  }
});

const gruConfigs: [string, GRUOptions][] = [
  ['torch.nn.GRU', {}],
  ['no bias', { bias: false }],
  ['two layers, bidirectional, batchFirst', { numLayers: 2, bidirectional: true, batchFirst: true }],
];

describe('fused GRU kernel = composite GRU (float64, 1e-10)', () => {
  for (const [name, opts] of gruConfigs) {
    it(`${name}: outputs, final h, gradients of x, h0 and every parameter`, () => {
      tidy(() => {
        setSeed(name.length * 17 + 5);
        for (const [I, H, B, T] of [
          [3, 5, 2, 7],
          [4, 6, 5, 4],
          [2, 3, 1, 1],
        ] as const) {
          const { errs, fusedOps } = compare((fused) => new GRU(I, H, { ...opts, dtype: 'float64', fused }), {
            T,
            B,
            batchFirst: opts.batchFirst ?? false,
          });
          expect(fusedOps.has('gruSequence')).toBe(true);
          expect(worst(errs), JSON.stringify(errs)).toBeLessThan(1e-10);
        }
      });
    });
  }

  it("reset 'before' falls back to the composite", () => {
    tidy(() => {
      const { errs, fusedOps } = compare((fused) => new GRU(3, 4, { reset: 'before', dtype: 'float64', fused }), { T: 3, B: 2 });
      expect(fusedOps.has('gruSequence')).toBe(false);
      expect(worst(errs)).toBe(0);
    });
  });
});

describe('gradients of gradients through the fused op', () => {
  for (const kind of ['lstm', 'gru'] as const) {
    it(`${kind}: grad of a gradient norm equals the composite's (the rule differentiates the composite)`, () => {
      tidy(() => {
        setSeed(11);
        const make = (fused: boolean) =>
          kind === 'lstm' ? new LSTM(3, 4, { variant: 'vanilla', dtype: 'float64', fused }) : new GRU(3, 4, { dtype: 'float64', fused });
        const a = make(true);
        const b = make(false);
        b.loadStateDict(a.stateDict());
        const x = randn([5, 2, 3], { dtype: 'float64' });
        // d/dx ‖∂L/∂x‖², L = Σ output²: needs the second derivative of the recurrence
        const ggOf = (layer: LSTM | GRU) =>
          grad((xx: Tensor) =>
            grad((x2: Tensor) => layer.forward(x2).output.square().sum())(xx)
              .square()
              .sum(),
          )(x);
        const fusedGG = ggOf(a);
        expect(fusedGG.abs().max().item()).toBeGreaterThan(1e-3);
        expect(maxDiff(fusedGG, ggOf(b))).toBeLessThan(1e-10);
      });
    });
  }
});
