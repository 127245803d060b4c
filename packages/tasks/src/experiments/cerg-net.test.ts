import { concat, randn, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { type CergForget, CergNet, CergRTRL } from './cerg-net.js';

const FORGETS: [string, CergForget][] = [
  ['forget gates', 'gate'],
  ['no forget gate (standard LSTM)', 1],
  ['state decay 0.9', 0.9],
];

/** `net`'s parameters swapped for `ps` while `f` runs (for gradcheck with respect to them). */
function withParams(net: CergNet, ps: Tensor[], f: () => Tensor): Tensor {
  const named = net.namedParameters();
  const fields = net as unknown as Record<string, Tensor>;
  named.forEach(([n], i) => {
    fields[n] = ps[i]!;
  });
  try {
    return f();
  } finally {
    for (const [n, p] of named) fields[n] = p;
  }
}

describe('CergNet (Gers et al. 2000, CERG)', () => {
  it('has G00’s 424 weights with forget gates (360 without), laid out as the paper’s connections', () => {
    const net = new CergNet({ inputSize: 7, outputSize: 7 });
    expect(net.numParameters()).toBe(424);
    // cells: 7 inputs + 8 cell outputs, no bias; 12 gates: 7 + 8 + bias; 7 outputs: 7 shortcuts + 8 cells + bias
    expect(net.weight_cell.shape).toEqual([8, 15]);
    expect(net.weight_forget_gate!.shape).toEqual([4, 15]);
    expect(net.weight_output.shape).toEqual([7, 15]);
    expect([...net.bias_in_gate.dataSync()]).toEqual([-0.5, -1, -1.5, -2]);
    expect([...net.bias_out_gate.dataSync()]).toEqual([-0.5, -1, -1.5, -2]);
    expect([...net.bias_forget_gate!.dataSync()]).toEqual([0.5, 1, 1.5, 2]);
    const standard = new CergNet({ inputSize: 7, outputSize: 7, forget: 1 });
    expect(standard.numParameters()).toBe(360);
    expect(standard.weight_forget_gate).toBeNull();
    const w = [...net.weight_cell.dataSync(), ...net.weight_output.dataSync()];
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.2);
  });

  it('rejects bad options and inputs with named errors', () => {
    expect(() => new CergNet({ inputSize: 0, outputSize: 7 })).toThrow(/inputSize must be a positive integer/);
    expect(() => new CergNet({ inputSize: 7, outputSize: 7, forget: 1.5 })).toThrow(/forget must be 'gate' or a factor/);
    expect(() => new CergNet({ inputSize: 7, outputSize: 7, inputGateBias: [1] })).toThrow(/inputGateBias needs 4 finite values/);
    const net = new CergNet({ inputSize: 3, outputSize: 2, blocks: 1 });
    expect(() => net.forward(tensor([[[1, 2]]], { dtype: 'float64' }))).toThrow(/CergNet.forward.*input must be \[T, B, 3\]/);
    expect(() => net.forward(tensor([[[1, 2, 3]]], { dtype: 'float32' }))).toThrow(/input is float32/);
    const rtrl = new CergRTRL(net);
    expect(() => rtrl.step([1, 2])).toThrow(/input has 2 values, expected 3/);
    expect(() => rtrl.step([1, 2, 3], [1])).toThrow(/target has 1 values, expected 2/);
    expect(() => new CergRTRL(net, { lr: -1 })).toThrow(/lr must be ≥ 0/);
  });

  it('forward: shapes, unbatched input, the state carries over', () => {
    setSeed(3);
    const net = new CergNet({ inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2 });
    const x = randn([5, 4, 3], { dtype: 'float64' });
    const { output, state } = net.forward(x);
    expect(output.shape).toEqual([5, 4, 2]);
    expect(state.s.shape).toEqual([4, 4]);
    expect(net.forward(randn([5, 3], { dtype: 'float64' })).output.shape).toEqual([5, 2]);
    // running 5 steps then 5 more from the state equals running 10 at once
    const x2 = randn([5, 4, 3], { dtype: 'float64' });
    const split = net.forward(x2, state).output.dataSync();
    const whole = net
      .forward(concat([x, x2]))
      .output.dataSync()
      .subarray(5 * 4 * 2);
    for (let i = 0; i < whole.length; i++) expect(split[i]!).toBeCloseTo(whole[i]!, 13);
  });

  it('with one step (nothing truncated yet) the gradient passes gradcheck in float64', () => {
    for (const [, forget] of FORGETS) {
      setSeed(5);
      const net = new CergNet({ inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, forget, initRange: 0.8 });
      const x = randn([1, 2, 3], { dtype: 'float64' });
      const state = { s: randn([2, 4], { dtype: 'float64' }), yc: randn([2, 4], { dtype: 'float64' }) };
      const f = (...ps: Tensor[]) => withParams(net, ps, () => net.forward(x, state).output.sum());
      expect(
        gradcheck(
          f,
          net.parameters().map((p) => p.detach()),
        ),
      ).toBe(true);
    }
  });
});

describe('CergRTRL: the truncated gradient of G00 by forward accumulation', () => {
  for (const [name, forget] of FORGETS) {
    it(`equals autograd through forward with fixed weights (${name})`, () => {
      setSeed(7);
      const [I, K, T] = [3, 2, 7];
      const net = new CergNet({ inputSize: I, outputSize: K, blocks: 2, cellsPerBlock: 2, forget, initRange: 0.8 });
      const x = randn([T, 1, I], { dtype: 'float64' });
      const targets = randn([T, 1, K], { dtype: 'float64' }).sigmoid();
      const hasTarget = [false, true, false, true, true, false, true];
      tidy(() => {
        const mask = tensor(
          hasTarget.map((b) => [[b ? 1 : 0]]),
          { dtype: 'float64' },
        );
        net.forward(x).output.sub(targets).square().mul(mask).sum().mul(0.5).backward();
      });
      const rtrl = new CergRTRL(net, { lr: 0 });
      const xs = x.dataSync();
      const ts = targets.dataSync();
      const ys = net.forward(x).output.dataSync();
      for (let t = 0; t < T; t++) {
        const y = rtrl.step(xs.subarray(t * I, (t + 1) * I), hasTarget[t] ? ts.subarray(t * K, (t + 1) * K) : null);
        for (let k = 0; k < K; k++) expect(y[k]!).toBeCloseTo(ys[t * K + k]!, 13);
      }
      const g = rtrl.gradients();
      const named = net.namedParameters();
      expect(Object.keys(g).sort()).toEqual(named.map(([n]) => n).sort());
      for (const [pname, p] of named) {
        const ours = g[pname as keyof typeof g]!;
        const bptt = p.grad!.dataSync();
        for (let i = 0; i < bptt.length; i++) expect(ours[i]!, `${pname}[${i}]`).toBeCloseTo(bptt[i]!, 12);
      }
      expect(rtrl.numWeights).toBe(net.numParameters());
    });
  }

  it('learns on-line: each step with a target moves every weight by −lr·∂E(t)/∂w at once', () => {
    setSeed(11);
    const net = new CergNet({ inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 1, initRange: 0.5 });
    const before = net.parameters().map((p) => Float64Array.from(p.dataSync()));
    const x = [0.5, -1, 1];
    const target = [1, 0];
    // the gradient of the first step alone, from a copy that only accumulates
    const probe = new CergRTRL(net, { lr: 0 });
    probe.step(x, target);
    const g = probe.gradients();
    const rtrl = new CergRTRL(net, { lr: 0.3 });
    rtrl.step(x, target);
    rtrl.sync();
    net.namedParameters().forEach(([name, p], i) => {
      const after = p.dataSync();
      const d = g[name as keyof typeof g]!;
      for (let j = 0; j < after.length; j++) expect(after[j]!).toBeCloseTo(before[i]![j]! - 0.3 * d[j]!, 13);
    });
  });

  it('per-step updates equal accumulating each step’s gradient and applying it, bit for bit', () => {
    const make = () => {
      setSeed(17);
      return new CergNet({ inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, initRange: 0.5 });
    };
    const a = new CergRTRL(make(), { lr: 0.5 });
    const fresh = make();
    const b = new CergRTRL(fresh, { lr: 0 });
    for (let t = 0; t < 60; t++) {
      const x = [Math.sin(t), Math.cos(3 * t), t % 3 === 0 ? 1 : 0];
      const target = [t % 2, (t >> 1) % 2];
      const ya = [...a.step(x, target)];
      const yb = [...b.step(x, target)];
      expect(ya).toEqual(yb);
      // b: w ← w − 0.5·∂E(t)/∂w, then continue from the new weights (load keeps the traces)
      const g = b.gradients();
      b.sync();
      for (const [name, p] of fresh.namedParameters()) {
        const w = Float64Array.from(p.dataSync());
        const d = g[name as keyof typeof g]!;
        for (let i = 0; i < w.length; i++) w[i]! += 0.5 * -d[i]!;
        p.assign(tensor(w, { shape: p.shape, dtype: 'float64' }));
      }
      b.load();
    }
  });

  it('predict gives the same outputs as learning steps with lr 0, without touching the weights', () => {
    setSeed(13);
    const net = new CergNet({ inputSize: 7, outputSize: 7 });
    const a = new CergRTRL(net, { lr: 0 });
    const b = new CergRTRL(net, { lr: 0 });
    for (let t = 0; t < 20; t++) {
      const x = Array.from({ length: 7 }, (_, i) => (i === t % 7 ? 1 : 0));
      expect([...b.predict(x)]).toEqual([...a.step(x, null)]);
    }
  });
});
