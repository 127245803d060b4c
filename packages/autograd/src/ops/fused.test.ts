// The fused recurrent ops on the CPU backend: float64 gradcheck of every input, the error for a
// gradient of a gradient without a composite, and input validation.
import { describe, expect, it } from 'vitest';
import type { FusedKernels, LSTMCellSpec } from '../backends/backend.js';
import { DTypeError, GradError, ShapeError, ValueError } from '../errors.js';
import { grad, noGrad } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { gradcheck } from '../testing/gradcheck.js';
import { randn } from './creation.js';
import { gruSequence, hasFusedKernel, lstmSequence } from './fused.js';

const TORCH: LSTMCellSpec = { i: 0, f: 1, g: 2, o: 3, peepI: -1, peepF: -1, peepO: -1, coupled: false, identityG: false, identityH: false };
// CIFG with peepholes on i and o: gates i, g, o
const CIFG: LSTMCellSpec = { i: 0, f: -1, g: 1, o: 2, peepI: 0, peepF: -1, peepO: 1, coupled: true, identityG: false, identityH: false };

describe('lstmSequence / gruSequence (CPU fused kernels)', () => {
  const d = { dtype: 'float64' } as const;
  it('the CPU backend offers them for float tensors', () => {
    expect(hasFusedKernel('lstm', randn([1], d))).toBe(true);
    expect(hasFusedKernel('gru', randn([1]))).toBe(true);
  });

  it('lstmSequence passes float64 gradcheck w.r.t. xw, W_hh, h0, c0, b_hh (torch cell, B = 2 and B = 5)', () => {
    for (const B of [2, 5]) {
      const [T, H] = [3, 3];
      const ins = [randn([T, B, 4 * H], d), randn([4 * H, H], d), randn([B, H], d), randn([B, H], d), randn([4 * H], d)];
      expect(gradcheck((xw, whh, h0, c0, bhh) => lstmSequence({ xw: xw!, whh: whh!, h0: h0!, c0: c0!, bhh }, TORCH), ins)).toBe(true);
    }
  });

  it('lstmSequence passes gradcheck for a coupled cell with peepholes', () => {
    const [T, B, H] = [4, 2, 3];
    const ins = [randn([T, B, 3 * H], d), randn([3 * H, H], d), randn([B, H], d), randn([B, H], d), randn([2, H], d)];
    expect(gradcheck((xw, whh, h0, c0, peep) => lstmSequence({ xw: xw!, whh: whh!, h0: h0!, c0: c0!, peep }, CIFG), ins)).toBe(true);
  });

  it('gruSequence passes float64 gradcheck w.r.t. xw, W_hh, h0, b_hh', () => {
    for (const B of [1, 4]) {
      const [T, H] = [3, 3];
      const ins = [randn([T, B, 3 * H], d), randn([3 * H, H], d), randn([B, H], d), randn([3 * H], d)];
      expect(gradcheck((xw, whh, h0, bhh) => gruSequence({ xw: xw!, whh: whh!, h0: h0!, bhh }), ins)).toBe(true);
    }
  });

  it('with x and W_ih instead of xw (the whole layer as one node): gradcheck w.r.t. x, W_ih, b_ih and the rest', () => {
    const [T, B, I, H] = [3, 2, 4, 3];
    const lstmIns = [randn([T, B, I], d), randn([4 * H, I], d), randn([4 * H], d), randn([4 * H, H], d), randn([4 * H], d)];
    const [h0, c0] = [randn([B, H], d), randn([B, H], d)];
    const lstm = (x?: Tensor, wih?: Tensor, bih?: Tensor, whh?: Tensor, bhh?: Tensor) =>
      lstmSequence({ x: x!, wih: wih!, bih, whh: whh!, bhh, h0, c0 }, TORCH);
    expect(gradcheck(lstm, lstmIns)).toBe(true);
    // b_ih alone (no b_hh), and a peephole cell
    expect(gradcheck((x, wih, bih, whh) => lstm(x, wih, bih, whh), lstmIns.slice(0, 4))).toBe(true);
    const peep = randn([2, H], d);
    const cifgIns = [randn([T, B, I], d), randn([3 * H, I], d), randn([3 * H, H], d)];
    expect(gradcheck((x, wih, whh) => lstmSequence({ x: x!, wih: wih!, whh: whh!, h0, c0, peep }, CIFG), cifgIns)).toBe(true);
    const gruIns = [randn([T, B, I], d), randn([3 * H, I], d), randn([3 * H], d), randn([3 * H, H], d), randn([3 * H], d)];
    expect(gradcheck((x, wih, bih, whh, bhh) => gruSequence({ x: x!, wih: wih!, bih, whh: whh!, bhh, h0 }), gruIns)).toBe(true);
  });

  it('with x and W_ih, the value is the one from xw = x·W_ihᵀ + b_ih', () => {
    const [T, B, I, H] = [4, 3, 2, 5];
    const [x, wih, bih, whh, bhh, h0, c0] = [[T, B, I], [4 * H, I], [4 * H], [4 * H, H], [4 * H], [B, H], [B, H]].map((s) =>
      randn(s, d),
    ) as Tensor[];
    const xw = x!
      .reshape([T * B, I])
      .matmul(wih!.transpose())
      .add(bih!)
      .reshape([T, B, 4 * H]);
    const a = lstmSequence({ x: x!, wih: wih!, bih, whh: whh!, bhh, h0: h0!, c0: c0! }, TORCH);
    const b = lstmSequence({ xw, whh: whh!, bhh, h0: h0!, c0: c0! }, TORCH);
    expect(a.sub(b).abs().max().item()).toBeLessThan(1e-12);
  });

  it('rejects an ambiguous or incomplete projection, naming the op and the inputs', () => {
    const [h0, c0] = [randn([1, 2]), randn([1, 2])];
    const whh = randn([8, 2]);
    const x = randn([3, 1, 4]);
    expect(() => lstmSequence({ xw: randn([3, 1, 8]), x, wih: randn([8, 4]), whh, h0, c0 } as never, TORCH)).toThrow(
      /lstmSequence.*either xw or x/,
    );
    expect(() => lstmSequence({ x, whh, h0, c0 } as never, TORCH)).toThrow(ValueError);
    expect(() => lstmSequence({ whh, h0, c0 } as never, TORCH)).toThrow(/give xw, or x and wih/);
    expect(() => lstmSequence({ x, wih: randn([8, 5]), whh, h0, c0 }, TORCH)).toThrow(/wih has shape \[8, 5\], expected \[8, 4\]/);
    expect(() => lstmSequence({ x, wih: randn([8, 4]), bih: randn([7]), whh, h0, c0 }, TORCH)).toThrow(/bih has shape/);
    expect(() => gruSequence({ x: randn([3, 4]), wih: randn([6, 4]), whh: randn([6, 2]), h0 })).toThrow(/x must be \[T, B, I\]/);
    expect(() => gruSequence({ x, wih: randn([6, 4], { dtype: 'float64' }), whh: randn([6, 2]), h0 })).toThrow(DTypeError);
  });

  it('a gradient of a gradient without `composite` is a GradError naming the op', () => {
    const whh = randn([6, 2], d);
    const h0 = randn([1, 2], d);
    const f = (xw: Tensor) =>
      grad((x: Tensor) => gruSequence({ xw: x, whh, h0 }).square().sum())(xw)
        .square()
        .sum();
    expect(() => grad(f)(randn([2, 1, 6], d))).toThrow(GradError);
    expect(() => grad(f)(randn([2, 1, 6], d))).toThrow(/gruSequence/);
  });

  it('asks the kernel to keep its activations only when a backward can follow, with the same outputs either way', () => {
    const kernels = randn([1]).storage.backend.fused as FusedKernels;
    const [lstmForward, gruForward] = [kernels.lstmForward, kernels.gruForward];
    const keeps: boolean[] = [];
    kernels.lstmForward = (...args) => {
      keeps.push(args[10]);
      return lstmForward(...args);
    };
    kernels.gruForward = (...args) => {
      keeps.push(args[7]);
      return gruForward(...args);
    };
    try {
      const [T, B, H] = [3, 2, 5];
      const inputs = (requiresGrad: boolean) => ({
        x: randn([T, B, 4]),
        wih: randn([4 * H, 4], { requiresGrad }),
        whh: randn([4 * H, H]),
        h0: randn([B, H]),
        c0: randn([B, H]),
      });
      const lstm = inputs(true);
      const gru = { ...lstm, wih: lstm.wih.slice([[0, 3 * H]]), whh: lstm.whh.slice([[0, 3 * H]]) };
      const runs = [() => lstmSequence(lstm, TORCH), () => gruSequence(gru)];
      for (const run of runs) {
        const trained = run().dataSync();
        expect(noGrad(run).dataSync()).toEqual(trained);
      }
      // nothing requires grad: inference even with grad mode on
      lstmSequence(inputs(false), TORCH);
      expect(keeps).toEqual([true, false, true, false, false]);
    } finally {
      Object.assign(kernels, { lstmForward, gruForward });
    }
  });

  it('names an input that is not a Tensor, and a cell spec the kernel would misread', () => {
    const [T, B, H] = [2, 1, 2];
    const lstm = { xw: randn([T, B, 4 * H]), whh: randn([4 * H, H]), h0: randn([B, H]), c0: randn([B, H]) };
    for (const field of ['xw', 'whh', 'h0', 'c0', 'bhh', 'peep', 'x', 'wih', 'bih'])
      for (const junk of [null, [1, 2], 3, {}])
        expect(() => lstmSequence({ ...lstm, [field]: junk } as never, TORCH), field).toThrow(
          `lstmSequence: inputs.${field} must be a Tensor`,
        );
    expect(() => gruSequence({ xw: randn([T, B, 3 * H]), whh: randn([3 * H, H]), h0: undefined } as never)).toThrow(
      'gruSequence: inputs.h0 must be a Tensor, got undefined',
    );
    expect(() => lstmSequence(null as never, TORCH)).toThrow(
      'lstmSequence: inputs must be an object of Tensors { whh, h0, c0, … }, got null',
    );
    expect(() => lstmSequence(lstm, TORCH, { composite: 3 } as never)).toThrow('lstmSequence: options.composite must be a function');
    const bad: [Partial<LSTMCellSpec> | Record<string, unknown>, string][] = [
      [{ f: 0 }, "cell's the gate's column blocks must be 0…3, each once; got i 0, f 0, g 2, o 3"],
      [{ o: 4 }, 'must be 0…3, each once'],
      [{ g: -1, o: 2 }, 'cell.g must be a column block'],
      [{ i: 1.5 }, "cell.i must be the gate's column block (an integer ≥ 0) or −1 when absent, got number 1.5"],
      [{ peepI: 1 }, "cell's the peephole's rows must be 0…0"],
      [{ coupled: true }, 'a coupled cell (f = 1 − i) has no forget gate of its own: set f to −1'],
      [{ identityH: 'yes' }, 'cell.identityH must be a boolean, got string "yes"'],
      [{ i: -1, f: 0, g: 1, o: 2, peepI: 0 }, 'cell has a peephole on a gate it does not have'],
    ];
    for (const [change, message] of bad) expect(() => lstmSequence(lstm, { ...TORCH, ...change } as never), message).toThrow(message);
    expect(() => hasFusedKernel('rnn' as never, lstm.xw)).toThrow("hasFusedKernel: kind must be 'lstm' or 'gru', got string \"rnn\"");
  });

  it('rejects mismatched shapes', () => {
    expect(() => lstmSequence({ xw: randn([2, 1, 8]), whh: randn([8, 3]), h0: randn([1, 2]), c0: randn([1, 2]) }, TORCH)).toThrow(
      ShapeError,
    );
    expect(() => gruSequence({ xw: randn([2, 1, 7]), whh: randn([6, 2]), h0: randn([1, 2]) })).toThrow(ShapeError);
  });
});
