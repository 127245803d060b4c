import { randn, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { LSTM1997, type LSTM1997Options, type Squash } from './lstm1997.js';
import { RTRL1997 } from './rtrl1997.js';

describe('LSTM1997 weight counts reproduce Table 10', () => {
  // W = C·S·(I + H + b_cell) + 2C·(I + H + b_gate) + K·(C·S + b_out),  H = C·S + 2C
  const rows: [string, LSTM1997Options, number][] = [
    ['Exp. 1, 4 blocks × 1', { inputSize: 7, outputSize: 7, blocks: 4, cellsPerBlock: 1, bias: { gate: true } }, 264],
    ['Exp. 1, 3 blocks × 2', { inputSize: 7, outputSize: 7, blocks: 3, cellsPerBlock: 2, bias: { gate: true } }, 276],
    ['Exp. 3', { inputSize: 1, outputSize: 1, blocks: 3, cellsPerBlock: 1, bias: { cell: true, gate: true, output: false } }, 102],
    ['Exp. 4/5', { inputSize: 2, outputSize: 1, blocks: 2, cellsPerBlock: 2, bias: true }, 93],
    ['Exp. 6a', { inputSize: 8, outputSize: 4, blocks: 2, cellsPerBlock: 2, bias: true }, 156],
    ['Exp. 6b', { inputSize: 8, outputSize: 8, blocks: 3, cellsPerBlock: 2, bias: true }, 308],
    ['Exp. 2c, p = 50', { inputSize: 54, outputSize: 2, blocks: 2, cellsPerBlock: 1, bias: false }, 6 * 50 + 64],
    // connectivity B, no output gate, no biases: 101·102 + 101 + 101
    [
      'Exp. 2a/2b, p = 100',
      { inputSize: 101, outputSize: 101, blocks: 1, cellsPerBlock: 1, bias: false, connectivity: 'B', outputGate: false },
      10504,
    ],
  ];
  for (const [name, opts, count] of rows) {
    it(`${name}: ${count}`, () => expect(new LSTM1997(opts).numParameters()).toBe(count));
  }
});

describe('LSTM1997 forward', () => {
  it('keeps g in [−2, 2] and h in [−1, 1], so |y^c| ≤ 1 and |Δs| ≤ 2 per step', () => {
    setSeed(3);
    const net = new LSTM1997({ inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, initRange: 5 });
    const { cells, state } = net.forward(randn([20, 2, 3]).mul(10));
    expect(Math.max(...cells.abs().dataSync())).toBeLessThanOrEqual(1);
    expect(Math.max(...state.s.abs().dataSync())).toBeLessThanOrEqual(2 * 20);
  });

  it("'paper' is g = sigmoid2 and h = sigmoid1 (the appendix); the caption's swap is a different net", () => {
    const opts = { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 1, initRange: 1, dtype: 'float64' } as const;
    const x = randn([5, 1, 3], { dtype: 'float64' });
    const run = (g: Squash, h: Squash) => {
      setSeed(3);
      return new LSTM1997({ ...opts, g, h }).forward(x).output.arraySync();
    };
    expect(run('sigmoid2', 'sigmoid1')).toEqual(run('paper', 'paper'));
    expect(run('sigmoid1', 'sigmoid2')).not.toEqual(run('paper', 'paper'));
    expect(() => new LSTM1997({ ...opts, g: 'sigmoid3' as Squash })).toThrow(/g must be one of 'paper', 'sigmoid1'/);
  });

  it('sets the per-block initial gate biases', () => {
    const net = new LSTM1997({
      inputSize: 7,
      outputSize: 7,
      blocks: 3,
      cellsPerBlock: 2,
      outputGateBias: [-1, -2, -3],
      inputGateBias: 0.5,
    });
    expect([...net.bias_out_gate!.dataSync()]).toEqual([-1, -2, -3]);
    expect([...net.bias_in_gate!.dataSync()]).toEqual([0.5, 0.5, 0.5]);
  });

  it('without truncation, the full BPTT gradient passes gradcheck in float64', () => {
    setSeed(1);
    const net = new LSTM1997({
      inputSize: 2,
      outputSize: 2,
      blocks: 2,
      cellsPerBlock: 2,
      bias: true,
      initRange: 0.5,
      truncated: false,
      dtype: 'float64',
    });
    const x = randn([4, 1, 2], { dtype: 'float64' });
    const names = net.namedParameters().map(([n]) => n);
    const params = net.parameters();
    const f = (...ps: Tensor[]) => {
      const saved = params.map((p) => p);
      names.forEach((n, i) => {
        (net as unknown as Record<string, Tensor>)[n] = ps[i]!;
      });
      const y = net.forward(x).output.sum();
      names.forEach((n, i) => {
        (net as unknown as Record<string, Tensor>)[n] = saved[i]!;
      });
      return y;
    };
    expect(
      gradcheck(
        f,
        params.map((p) => p.detach()),
      ),
    ).toBe(true);
  });
});

describe('truncated BPTT through forward equals the paper’s RTRL (App. A.1) with fixed weights', () => {
  const configs: [string, LSTM1997Options][] = [
    ['2 blocks × 2 cells, all biases', { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: true }],
    ['3 blocks × 1 cell, gate biases only', { inputSize: 2, outputSize: 3, blocks: 3, cellsPerBlock: 1, bias: { gate: true } }],
    [
      'tanh/identity squashes, linear outputs',
      { inputSize: 2, outputSize: 1, blocks: 1, cellsPerBlock: 3, bias: true, g: 'tanh', h: 'identity', outputActivation: 'identity' },
    ],
    [
      'connectivity B, no output gate, no biases, g logistic, h identity (Exp. 2a/2b)',
      {
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
    ],
    [
      'connectivity B with output gates and all biases, 2 blocks × 2 cells',
      { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: true, connectivity: 'B' },
    ],
    ['connectivity F without output gates', { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: true, outputGate: false }],
    [
      "Table 10 caption's ranges: g = sigmoid1 ∈ [−1, 1], h = sigmoid2 ∈ [−2, 2]",
      { inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: { gate: true }, g: 'sigmoid1', h: 'sigmoid2' },
    ],
  ];
  for (const [name, cfg] of configs) {
    it(name, () => {
      setSeed(7);
      const net = new LSTM1997({ ...cfg, initRange: 0.8, dtype: 'float64' });
      const T = 6;
      const x = randn([T, 1, cfg.inputSize], { dtype: 'float64' });
      const targets = randn([T, 1, cfg.outputSize], { dtype: 'float64' }).sigmoid();
      const hasTarget = [false, true, false, true, true, false].map((b, t) => b || t === T - 1);
      // BPTT: L = ½ Σ over target steps of Σ_k (t_k − y_k)²
      tidy(() => {
        const { output } = net.forward(x);
        const mask = tensor(
          hasTarget.map((b) => [[b ? 1 : 0]]),
          { dtype: 'float64' },
        );
        output.sub(targets).square().mul(mask).sum().mul(0.5).backward();
      });
      const rtrl = new RTRL1997(net, { lr: 0 });
      const xs = x.dataSync();
      const ts = targets.dataSync();
      const [I, K] = [cfg.inputSize, cfg.outputSize];
      for (let t = 0; t < T; t++) rtrl.step(xs.subarray(t * I, (t + 1) * I), hasTarget[t] ? ts.subarray(t * K, (t + 1) * K) : null);
      const g = rtrl.gradients();
      for (const [pname, p] of net.namedParameters()) {
        const ours = g[pname as keyof typeof g]!;
        const bptt = p.grad!.dataSync();
        for (let i = 0; i < bptt.length; i++) expect(ours[i]!, `${pname}[${i}]`).toBeCloseTo(bptt[i]!, 12);
      }
    });
  }

  it('connectivity B has no recurrent columns, a shortcut, and no output gate when asked', () => {
    const net = new LSTM1997({
      inputSize: 5,
      outputSize: 3,
      blocks: 2,
      cellsPerBlock: 1,
      connectivity: 'B',
      outputGate: false,
      bias: false,
    });
    expect(net.weight_cell.shape).toEqual([2, 5]);
    expect(net.weight_in_gate.shape).toEqual([2, 5]);
    expect(net.weight_out_gate).toBeNull();
    expect(net.weight_input_output!.shape).toEqual([3, 5]);
    expect(net.hiddenUnits).toBe(4);
    expect(() => new LSTM1997({ inputSize: 2, outputSize: 1, blocks: 1, cellsPerBlock: 1, outputGate: false, outputGateBias: -1 })).toThrow(
      /outputGateBias/,
    );
  });

  it('its outputs equal forward’s step by step', () => {
    setSeed(2);
    const net = new LSTM1997({ inputSize: 3, outputSize: 2, blocks: 2, cellsPerBlock: 2, bias: true, initRange: 1, dtype: 'float64' });
    const x = randn([5, 1, 3], { dtype: 'float64' });
    const y = net.forward(x).output.dataSync();
    const rtrl = new RTRL1997(net, { lr: 0 });
    const xs = x.dataSync();
    for (let t = 0; t < 5; t++) {
      const out = rtrl.step(xs.subarray(t * 3, t * 3 + 3));
      for (let k = 0; k < 2; k++) expect(out[k]!).toBeCloseTo(y[t * 2 + k]!, 13);
    }
  });
});

describe('RTRL1997.applyUpdate', () => {
  it('one update per sequence is w − lr·∂L/∂w with the accumulated (truncated BPTT) gradient', () => {
    setSeed(11);
    const net = new LSTM1997({ inputSize: 2, outputSize: 2, blocks: 2, cellsPerBlock: 1, bias: true, initRange: 0.5, dtype: 'float64' });
    const rtrl = new RTRL1997(net, { lr: 0 });
    const before = Float64Array.from(net.weight_cell.dataSync());
    rtrl.reset();
    rtrl.step([1, 0], [0, 1]);
    rtrl.step([0, 1], [1, 0]);
    const g = rtrl.gradients().weight_cell!;
    rtrl.applyUpdate(0.3);
    rtrl.sync();
    const after = net.weight_cell.dataSync();
    for (let i = 0; i < before.length; i++) expect(after[i]!).toBeCloseTo(before[i]! - 0.3 * g[i]!, 12);
    expect(Array.from(rtrl.gradients().weight_cell!).every((v) => v === 0)).toBe(true);
  });
});
