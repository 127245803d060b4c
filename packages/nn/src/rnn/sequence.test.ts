// The machinery every stacked recurrent layer shares (SequenceLayer): batchFirst, unbatched input,
// initial-state passing, the bidirectional state layout, inter-layer dropout, input validation,
// and a long training loop that must not leak tensors.
import { concat, memory, noGrad, randn, ShapeError, setSeed, type Tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { closeMismatch, gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';
import type { SequenceOptions } from './sequence.js';
import { expectClose, SLOW, seeded } from './test-helpers.js';

type Layer = LSTM | GRU | RNN;
const KINDS: [string, (I: number, H: number, o?: SequenceOptions) => Layer][] = [
  ['LSTM', (I, H, o) => new LSTM(I, H, o)],
  ['GRU', (I, H, o) => new GRU(I, H, o)],
  ['RNN', (I, H, o) => new RNN(I, H, o)],
];

const cOf = (s: { h: Tensor; c?: Tensor }) => s.c;

/** A second layer of the same kind and shape (with `opts`) holding the same weights. */
function twin(make: (I: number, H: number, o?: SequenceOptions) => Layer, a: Layer, opts: SequenceOptions): Layer {
  const b = make(a.inputSize, a.hiddenSize, { numLayers: a.numLayers, bidirectional: a.bidirectional, dtype: a.dtype, ...opts });
  b.loadStateDict(a.stateDict());
  return b;
}

for (const [kind, make] of KINDS) {
  describe(`${kind}: shared sequence machinery`, () => {
    const base = { numLayers: 2, bidirectional: true, dtype: 'float64' } as const;

    it('batchFirst: [B, T, I] in and out, state still [L·D, B, H]', () => {
      tidy(() => {
        setSeed(1);
        const a = make(3, 4, base);
        const b = twin(make, a, { batchFirst: true });
        const x = randn([5, 2, 3], { dtype: 'float64' });
        const h0 = randn([4, 2, 4], { dtype: 'float64' });
        const ra = a.forward(x, { h: h0 });
        const rb = b.forward(x.transpose(0, 1), { h: h0 });
        expect(rb.output.shape).toEqual([2, 5, 8]);
        expectClose(rb.output, ra.output.transpose(0, 1), 'output');
        expectClose(rb.state.h, ra.state.h, 'h');
        expectClose(cOf(rb.state), cOf(ra.state), 'c');
      });
    });

    it('unbatched [T, I] input equals a batch of one, with unbatched states [L·D, H]', () => {
      tidy(() => {
        setSeed(2);
        for (const batchFirst of [false, true]) {
          const m = make(3, 4, { ...base, batchFirst });
          const x = randn([5, 3], { dtype: 'float64' });
          const h0 = randn([4, 4], { dtype: 'float64' });
          const c0 = randn([4, 4], { dtype: 'float64' });
          const state = m instanceof LSTM ? { h: h0, c: c0 } : { h: h0 };
          const r = m.forward(x, state);
          const batched = m.forward(batchFirst ? x.unsqueeze(0) : x.unsqueeze(1), {
            h: h0.unsqueeze(1),
            ...(m instanceof LSTM ? { c: c0.unsqueeze(1) } : {}),
          });
          expect(r.output.shape).toEqual([5, 8]);
          expect(r.state.h.shape).toEqual([4, 4]);
          expectClose(r.output, batched.output.squeeze(batchFirst ? 0 : 1), `output (batchFirst ${batchFirst})`);
          expectClose(r.state.h, batched.state.h.squeeze(1), 'h');
          expectClose(cOf(r.state), cOf(batched.state)?.squeeze(1), 'c');
        }
      });
    });

    it('passing the final state on: two halves equal the whole sequence', () => {
      tidy(() => {
        setSeed(3);
        const m = make(2, 3, { numLayers: 2, dtype: 'float64' });
        const x = randn([6, 2, 2], { dtype: 'float64' });
        const whole = m.forward(x);
        const first = m.forward(x.slice([[0, 4]]));
        const second = m.forward(x.slice([[4, 6]]), first.state);
        expectClose(concat([first.output, second.output], 0), whole.output, 'output');
        expectClose(second.state.h, whole.state.h, 'h');
        expectClose(cOf(second.state), cOf(whole.state), 'c');
        // no state = zeros
        const z = { h: zeros([2, 2, 3], { dtype: 'float64' }), c: zeros([2, 2, 3], { dtype: 'float64' }) };
        expectClose(m.forward(x, m instanceof LSTM ? z : { h: z.h }).output, whole.output, 'explicit zeros');
      });
    });

    it('bidirectional layout: state index layer·2 + direction; the reverse half of the output starts at t = 0', () => {
      tidy(() => {
        setSeed(4);
        const m = make(2, 3, base);
        const { output, state } = m.forward(randn([4, 2, 2], { dtype: 'float64' }));
        expect(output.shape).toEqual([4, 2, 6]);
        expect(state.h.shape).toEqual([4, 2, 3]);
        expectClose(state.h.slice([2]), output.slice([3, null, [0, 3]]), 'top forward h = output[T−1, :, :H]');
        expectClose(state.h.slice([3]), output.slice([0, null, [3, 6]]), 'top reverse h = output[0, :, H:]');
        // the reverse direction of a one-layer bidirectional net is the forward net on the flipped sequence
        const bi = make(2, 3, { bidirectional: true, dtype: 'float64' });
        const uni = make(2, 3, { dtype: 'float64' });
        const sd = bi.stateDict();
        uni.loadStateDict(Object.fromEntries(Object.keys(uni.stateDict()).map((k) => [k, sd[`${k}_reverse`]!])));
        const x = randn([4, 2, 2], { dtype: 'float64' });
        expectClose(bi.forward(x).output.slice([null, null, [3, 6]]), uni.forward(x.flip(0)).output.flip(0), 'reverse direction');
      });
    });

    it('inter-layer dropout acts in training only: eval is deterministic and equals no dropout', () => {
      tidy(() => {
        setSeed(5);
        const m = make(3, 8, { numLayers: 3, dropout: 0.5 });
        const plain = twin(make, m, { dropout: 0 });
        const x = randn([4, 3, 3]);
        const t1 = seeded(10, () => m.forward(x));
        const t1again = seeded(10, () => m.forward(x));
        const t2 = seeded(11, () => m.forward(x));
        expectClose(t1.output, t1again.output, 'same seed, same masks', 0);
        expect(closeMismatch(t1.output, t2.output, { atol: 1e-4 }), 'different masks').not.toBeNull();
        expect(closeMismatch(t1.output, plain.forward(x).output, { atol: 1e-4 }), 'train differs from no dropout').not.toBeNull();
        m.eval();
        const e1 = m.forward(x);
        expectClose(e1.output, m.forward(x).output, 'eval deterministic', 0);
        expectClose(e1.output, plain.forward(x).output, 'eval = no dropout', 0);
        expectClose(e1.state.h, plain.forward(x).state.h, 'eval states', 0);
        m.train();
        expect(closeMismatch(seeded(12, () => m.forward(x)).output, e1.output, { atol: 1e-4 }), 'train() again').not.toBeNull();
        // nothing follows the last layer: one layer with dropout is not stochastic
        const one = make(3, 8, { dropout: 0.5 });
        const a = seeded(1, () => one.forward(x)).output;
        const b = seeded(2, () => one.forward(x)).output;
        expectClose(a, b, 'one layer', 0);
      });
    });

    it(
      'training-mode dropout passes gradcheck with the masks fixed by the seed',
      () => {
        tidy(() => {
          setSeed(6);
          const m = make(2, 2, { numLayers: 2, dropout: 0.4, dtype: 'float64' });
          const f = (x: Tensor) => {
            setSeed(77);
            return m.forward(x).output;
          };
          expect(gradcheck(f, [randn([3, 2, 2], { dtype: 'float64' })])).toBe(true);
        });
      },
      SLOW,
    );
  });
}

// ---- bad input --------------------------------------------------------------------------------------

describe('bad input to the sequence layers: named errors that say what was expected', () => {
  type Case = [string, (make: (I: number, H: number, o?: SequenceOptions) => Layer) => unknown, typeof ValueError, RegExp];
  const cases: Case[] = [
    [
      'input rank 1',
      (mk) => mk(3, 4).forward(zeros([5])),
      ShapeError,
      /forward: input must be \[T, B, 3\] or unbatched \[T, 3\], got \[5\]/,
    ],
    ['input rank 4', (mk) => mk(3, 4).forward(zeros([5, 2, 1, 3])), ShapeError, /input must be \[T, B, 3\] .*got \[5, 2, 1, 3\]/],
    ['input rank 1 with batchFirst', (mk) => mk(3, 4, { batchFirst: true }).forward(zeros([3])), ShapeError, /\(batchFirst: \[B, T, …\]\)/],
    [
      'wrong feature size',
      (mk) => mk(3, 4).forward(zeros([5, 2, 4])),
      ShapeError,
      /input feature size is 4, expected inputSize 3 \(input shape \[5, 2, 4\]\)/,
    ],
    [
      'wrong feature size (batchFirst)',
      (mk) => mk(3, 4, { batchFirst: true }).forward(zeros([2, 5, 2])),
      ShapeError,
      /feature size is 2, expected inputSize 3/,
    ],
    ['wrong feature size (unbatched)', (mk) => mk(3, 4).forward(zeros([5, 1])), ShapeError, /feature size is 1, expected inputSize 3/],
    ['zero time steps', (mk) => mk(3, 4).forward(zeros([0, 2, 3])), ShapeError, /input has no time steps \(shape \[0, 2, 3\]\)/],
    [
      'wrong state size',
      (mk) => mk(3, 4).forward(zeros([5, 2, 3]), { h: zeros([1, 2, 5]) }),
      ShapeError,
      /initial state h has shape \[1, 2, 5\], expected \[1, 2, 4\] \(\[numLayers·numDirections, batch, size\]\)/,
    ],
    [
      'state batch mismatch',
      (mk) => mk(3, 4).forward(zeros([5, 2, 3]), { h: zeros([1, 3, 4]) }),
      ShapeError,
      /initial state h has shape \[1, 3, 4\], expected \[1, 2, 4\]/,
    ],
    [
      'state missing the layers',
      (mk) => mk(3, 4, { numLayers: 2, bidirectional: true }).forward(zeros([5, 2, 3]), { h: zeros([2, 2, 4]) }),
      ShapeError,
      /expected \[4, 2, 4\]/,
    ],
    [
      'state rank 2 for batched input',
      (mk) => mk(3, 4).forward(zeros([5, 2, 3]), { h: zeros([2, 4]) }),
      ShapeError,
      /initial state h has shape \[2, 4\], expected \[1, 2, 4\]/,
    ],
    [
      'batched state for unbatched input',
      (mk) => mk(3, 4).forward(zeros([5, 3]), { h: zeros([1, 1, 4]) }),
      ShapeError,
      /initial state h has shape \[1, 1, 4\], expected \[1, 4\]/,
    ],
    [
      'input dtype vs parameters',
      (mk) => mk(3, 4, { dtype: 'float64' }).forward(zeros([5, 2, 3])),
      ValueError,
      /input is float32, the layer's parameters are float64; cast the input/,
    ],
    [
      'state dtype vs parameters',
      (mk) => mk(3, 4).forward(zeros([5, 2, 3]), { h: zeros([1, 2, 4], { dtype: 'float64' }) }),
      ValueError,
      /initial state h is float64, expected float32/,
    ],
    ['hiddenSize 0', (mk) => mk(3, 0), ValueError, /hiddenSize must be a positive integer, got 0/],
    ['inputSize 0', (mk) => mk(0, 4), ValueError, /inputSize must be a positive integer, got 0/],
    ['hiddenSize 2.5', (mk) => mk(3, 2.5), ValueError, /hiddenSize must be a positive integer, got 2.5/],
    ['numLayers 0', (mk) => mk(3, 4, { numLayers: 0 }), ValueError, /numLayers must be a positive integer, got 0/],
    ['dropout 1', (mk) => mk(3, 4, { dropout: 1 }), ValueError, /dropout must be in \[0, 1\), got 1/],
    ['dropout −0.1', (mk) => mk(3, 4, { dropout: -0.1 }), ValueError, /dropout must be in \[0, 1\), got -0.1/],
    ['dropout NaN', (mk) => mk(3, 4, { dropout: Number.NaN }), ValueError, /dropout must be in \[0, 1\), got NaN/],
  ];
  for (const [kind, make] of KINDS) {
    for (const [name, fn, cls, msg] of cases) {
      it(`${kind}: ${name}`, () => {
        let err: unknown;
        try {
          fn(make);
        } catch (e) {
          err = e;
        }
        expect(err, name).toBeInstanceOf(cls);
        expect((err as Error).message).toMatch(msg);
        expect((err as Error).message.startsWith(kind)).toBe(true);
      });
    }
  }
});

// ---- the training loop --------------------------------------------------------------------------------

describe('training-loop memory', () => {
  it('zero tensor leaks over 10,000 truncated-BPTT steps (LSTM, one step per update, state carried, SGD)', () => {
    setSeed(0);
    const lstm = new LSTM(2, 3);
    const params = lstm.parameters();
    const x = randn([1, 1, 2]);
    const target = randn([1, 1, 3]).tanh();
    let state: { h: Tensor; c: Tensor } = { h: zeros([1, 1, 3]), c: zeros([1, 1, 3]) };
    const losses: number[] = [];
    let at10: ReturnType<typeof memory> | undefined;
    for (let step = 1; step <= 10_000; step++) {
      const next = tidy(() => {
        const { output, state: s } = lstm.forward(x, state);
        const loss = output.sub(target).square().mean();
        loss.backward();
        if (step === 1 || step === 10_000) losses.push(loss.item() as number);
        noGrad(() => {
          for (const p of params) p.assign(p.sub(p.grad!.mul(0.1)));
        });
        for (const p of params) {
          p.grad!.dispose();
          p.grad = null;
        }
        return { h: s.h.detach(), c: s.c.detach() };
      });
      state.h.dispose();
      state.c.dispose();
      state = next;
      if (step === 10) at10 = memory();
    }
    const end = memory();
    expect(end.numTensors).toBe(at10!.numTensors);
    expect(end.numBytes).toBe(at10!.numBytes);
    expect(end.numBuffers).toBe(at10!.numBuffers);
    // the GC safety net would hide a leak from numTensors: nothing may have been finalized either
    expect(end.numFinalized).toBe(at10!.numFinalized);
    expect(losses[1]!).toBeLessThan(losses[0]!);
  }, 120_000);
});
