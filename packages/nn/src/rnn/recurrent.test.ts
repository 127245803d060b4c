// Recurrent (any cell over sequences) and fusedStep (a hand-written step as one tape node):
// float64 gradcheck end to end over fast-check-drawn sizes and options, a hand-written loop,
// the zoo's cells wrapped in it against nn.GRU/LSTM/RNN with the same weights, state layout and
// names, bad input, and a training loop that must not leak tensors.
import {
  concat,
  isTensor,
  memory,
  randn,
  ShapeError,
  setBackend,
  setSeed,
  stack,
  type Tensor,
  tensor,
  tidy,
  ValueError,
  zeros,
} from '@carousel/autograd';
import { GradcheckError, gradcheck } from '@carousel/autograd/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../../autograd/test/webgpu/setup.js';
import { webgpuAvailable } from '../../../autograd/test/webgpu/harness.js';
import { Module, parameter } from '../module.js';
import { Adam } from '../optim/index.js';
import { GRU, GRUCell } from './gru.js';
import { LSTM, LSTMCell } from './lstm.js';
import { type AnyCell, type CellState, fusedStep, Recurrent, type RecurrentCell } from './recurrent.js';
import { RNN, RNNCell } from './rnn.js';
import { dropoutMask } from './sequence.js';
import { expectClose, flat, SLOW, seeded } from './test-helpers.js';

const f64 = (shape: number[], scale = 1) => randn(shape, { dtype: 'float64' }).mul(scale);

/** The minimal gated unit (Zhou et al. 2016): the state is h, the output the state itself. */
function mguStep(x: Tensor, h: Tensor, wih: Tensor, whh: Tensor, b: Tensor): Tensor {
  const H = h.shape[1]!;
  const [xf, xc] = x.matmul(wih.transpose()).add(b).split(H, -1) as [Tensor, Tensor];
  const [uf, uc] = whh.split(H, 0) as [Tensor, Tensor];
  const f = xf.add(h.matmul(uf.transpose())).sigmoid();
  const c = xc.add(f.mul(h).matmul(uc.transpose())).tanh();
  return h.add(f.mul(c.sub(h)));
}

class MGU extends Module implements RecurrentCell<Tensor> {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias: Tensor;
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
  ) {
    super();
    this.weight_ih = parameter(f64([2 * hiddenSize, inputSize], 0.6));
    this.weight_hh = parameter(f64([2 * hiddenSize, hiddenSize], 0.6));
    this.bias = parameter(f64([2 * hiddenSize], 0.3));
  }
  initialState(batch: number): Tensor {
    return zeros([batch, this.hiddenSize], { dtype: 'float64' });
  }
  forward(x: Tensor, h: Tensor): Tensor {
    return mguStep(x, h, this.weight_ih, this.weight_hh, this.bias);
  }
}

/** Two state tensors and no `h`: the layer must use `output`. */
class Leaky extends Module implements RecurrentCell<{ c: Tensor; m: Tensor }> {
  weight_ih: Tensor;
  weight_hh: Tensor;
  decay: Tensor;
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
  ) {
    super();
    this.weight_ih = parameter(f64([hiddenSize, inputSize], 0.6));
    this.weight_hh = parameter(f64([hiddenSize, hiddenSize], 0.6));
    this.decay = parameter(f64([hiddenSize]));
  }
  initialState(batch: number) {
    return { c: zeros([batch, this.hiddenSize], { dtype: 'float64' }), m: zeros([batch, this.hiddenSize], { dtype: 'float64' }) };
  }
  forward(x: Tensor, { c, m }: { c: Tensor; m: Tensor }) {
    const a = x.matmul(this.weight_ih.transpose()).add(c.tanh().matmul(this.weight_hh.transpose())).tanh();
    const c2 = c.mul(this.decay.sigmoid()).add(a);
    return { c: c2, m: m.add(c2).mul(0.5) };
  }
  output(s: { c: Tensor; m: Tensor }): Tensor {
    return s.c.tanh().sub(s.m.mul(0.5));
  }
}

const CELLS = {
  mgu: (I: number, H: number): AnyCell => new MGU(I, H),
  leaky: (I: number, H: number): AnyCell => new Leaky(I, H),
};

const configArb = fc.record({
  cell: fc.constantFrom('mgu' as const, 'leaky' as const),
  I: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 1, max: 3 }),
  T: fc.integer({ min: 1, max: 4 }),
  B: fc.integer({ min: 1, max: 2 }),
  numLayers: fc.integer({ min: 1, max: 2 }),
  bidirectional: fc.boolean(),
  layout: fc.constantFrom('time-first' as const, 'batch-first' as const, 'unbatched' as const),
  withState: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});
type Config = typeof configArb extends fc.Arbitrary<infer C> ? C : never;

/** A layer, its input in the layer's own layout, and (maybe) an initial state in that layout. */
function build(cfg: Config) {
  setSeed(cfg.seed);
  const m = new Recurrent(cfg.I, cfg.H, CELLS[cfg.cell], {
    numLayers: cfg.numLayers,
    bidirectional: cfg.bidirectional,
    batchFirst: cfg.layout === 'batch-first',
  });
  const B = cfg.layout === 'unbatched' ? 1 : cfg.B;
  const x = f64(cfg.layout === 'unbatched' ? [cfg.T, cfg.I] : cfg.layout === 'batch-first' ? [B, cfg.T, cfg.I] : [cfg.T, B, cfg.I]);
  const LD = cfg.numLayers * (cfg.bidirectional ? 2 : 1);
  const stateShape = cfg.layout === 'unbatched' ? [LD, cfg.H] : [LD, B, cfg.H];
  const state: CellState | undefined = !cfg.withState
    ? undefined
    : cfg.cell === 'mgu'
      ? f64(stateShape, 0.5)
      : { c: f64(stateShape, 0.5), m: f64(stateShape, 0.5) };
  return { m, x, state };
}

/** Time-first and batched, as the reference loop reads it. */
const timeFirst = (x: Tensor, layout: Config['layout']) =>
  layout === 'unbatched' ? x.unsqueeze(1) : layout === 'batch-first' ? x.transpose(0, 1) : x;

/** The names of a state's tensors ('' for a state that is one tensor). */
const names = (s: CellState) => (isTensor(s) ? [''] : Object.keys(s));
const pick = (s: CellState, name: string): Tensor => (name === '' ? (s as Tensor) : (s as Record<string, Tensor>)[name]!);
/** A state with `fn` applied to each of its tensors. */
const mapState = (s: CellState, fn: (t: Tensor) => Tensor): CellState =>
  names(s)[0] === '' ? fn(s as Tensor) : Object.fromEntries(names(s).map((n) => [n, fn(pick(s, n))]));

/**
 * The layer written out by hand, time-first: each direction of each layer steps its cell over
 * the (reversed, for direction 1) steps; a layer's input is the previous one's outputs,
 * concatenated over directions. `s0` is batched, `[L·D, B, …]` per tensor.
 */
function reference(m: Recurrent, x: Tensor, s0: CellState | undefined) {
  const [T, B] = x.shape as [number, number];
  const D = m.numDirections;
  let xs = Array.from({ length: T }, (_, t) => x.slice([t]));
  const finals: CellState[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const ys: Tensor[][] = [];
    for (let d = 0; d < D; d++) {
      const cell = m.cell(l, d) as unknown as RecurrentCell<CellState>;
      let s = s0 ? mapState(s0, (t) => t.slice([l * D + d])) : cell.initialState(B);
      const out: Tensor[] = [];
      const order = d === 0 ? xs : [...xs].reverse();
      for (const xt of order) {
        s = cell.forward(xt, s);
        out.push(cell.output ? cell.output(s) : (s as Tensor));
      }
      ys.push(d === 0 ? out : out.reverse());
      finals.push(s);
    }
    xs = xs.map((_, t) =>
      concat(
        ys.map((y) => y[t]!),
        -1,
      ),
    );
  }
  const stacked = Object.fromEntries(names(finals[0]!).map((n) => [n, stack(finals.map((s) => pick(s, n)))]));
  return { output: stack(xs), state: stacked };
}

/** Runs `fn` with the parameters named like `cell_l0.weight_ih` swapped for `ps`. */
function withParams<T>(m: Module, paramNames: string[], ps: readonly Tensor[], fn: () => T): T {
  const slots = paramNames.map((n) => {
    const path = n.split('.');
    const key = path.pop()!;
    const owner = path.reduce<Record<string, unknown>>((o, p) => o[p] as Record<string, unknown>, m as unknown as Record<string, unknown>);
    return [owner, key] as const;
  });
  const saved = slots.map(([o, k]) => o[k]);
  slots.forEach(([o, k], i) => {
    o[k] = ps[i];
  });
  try {
    return fn();
  } finally {
    slots.forEach(([o, k], i) => {
      o[k] = saved[i];
    });
  }
}

describe('Recurrent: any cell over sequences', () => {
  it(
    'passes float64 gradcheck w.r.t. input, initial state and every parameter',
    () => {
      fc.assert(
        fc.property(configArb, (cfg) => {
          tidy(() => {
            const { m, x, state } = build(cfg);
            const paramNames = m.namedParameters().map(([n]) => n);
            const stateNames = state ? names(state) : [];
            const f = (xi: Tensor, ...rest: Tensor[]) =>
              withParams(m, paramNames, rest.slice(stateNames.length), () => {
                const s0 = state
                  ? stateNames[0] === ''
                    ? rest[0]!
                    : Object.fromEntries(stateNames.map((n, i) => [n, rest[i]!]))
                  : undefined;
                const r = m.forward(xi, s0);
                return flat([r.output, ...names(r.state).map((n) => pick(r.state, n))]);
              });
            const stateArgs = state ? stateNames.map((n) => pick(state, n)) : [];
            gradcheck(f, [x, ...stateArgs, ...m.parameters().map((p) => p.detach())]);
          });
        }),
        { seed: 11, numRuns: 15 },
      );
    },
    SLOW,
  );

  it(
    'equals a hand-written loop over every layout and option',
    () => {
      fc.assert(
        fc.property(configArb, (cfg) => {
          tidy(() => {
            const { m, x, state } = build(cfg);
            const ours = m.forward(x, state as never);
            const unbatched = cfg.layout === 'unbatched';
            const ref = reference(m, timeFirst(x, cfg.layout), state && unbatched ? mapState(state, (t) => t.unsqueeze(1)) : state);
            const out =
              cfg.layout === 'unbatched' ? ref.output.squeeze(1) : cfg.layout === 'batch-first' ? ref.output.transpose(0, 1) : ref.output;
            expectClose(ours.output, out, 'output');
            for (const n of names(ours.state)) {
              const r = ref.state[n]!;
              expectClose(pick(ours.state, n), unbatched ? r.squeeze(1) : r, `state ${n}`);
            }
          });
        }),
        { seed: 12, numRuns: 30 },
      );
    },
    SLOW,
  );

  it('stacks layers and directions: shapes, cell input sizes and state-dict names', () => {
    tidy(() => {
      setSeed(1);
      const m = new Recurrent(3, 4, (i, h) => new Leaky(i, h), { numLayers: 3, bidirectional: true });
      const r = m.forward(f64([5, 2, 3]));
      expect(r.output.shape).toEqual([5, 2, 8]);
      expect(r.state.c.shape).toEqual([6, 2, 4]);
      expect(r.state.m.shape).toEqual([6, 2, 4]);
      expect([m.cell(0).inputSize, m.cell(0, 1).inputSize, m.cell(1).inputSize, m.cell(2, 1).inputSize]).toEqual([3, 3, 8, 8]);
      expect(Object.keys(m.stateDict())).toEqual(
        ['cell_l0', 'cell_l0_reverse', 'cell_l1', 'cell_l1_reverse', 'cell_l2', 'cell_l2_reverse'].flatMap((c) =>
          ['weight_ih', 'weight_hh', 'decay'].map((p) => `${c}.${p}`),
        ),
      );
      expect(m.dtype).toBe('float64');
      const one = new Recurrent(3, 4, (i, h) => new MGU(i, h), { batchFirst: true });
      const r1 = one.forward(f64([2, 5, 3]));
      expect(r1.output.shape).toEqual([2, 5, 4]);
      expect(r1.state.shape).toEqual([1, 2, 4]);
      expect(one.forward(f64([5, 3])).state.shape).toEqual([1, 4]);
    });
  });

  it('tells the factory where each cell sits', () => {
    const seen: string[] = [];
    new Recurrent(
      2,
      3,
      (i, h, { layer, direction }) => {
        seen.push(`${layer}/${direction}:${i}→${h}`);
        return new MGU(i, h);
      },
      { numLayers: 2, bidirectional: true },
    );
    expect(seen).toEqual(['0/0:2→3', '0/1:2→3', '1/0:6→3', '1/1:6→3']);
  });

  it('passing the final state on: two halves equal the whole sequence; a partial state fills in from the cell', () => {
    tidy(() => {
      setSeed(3);
      const m = new Recurrent(2, 3, (i, h) => new Leaky(i, h), { numLayers: 2 });
      const x = f64([6, 2, 2]);
      const whole = m.forward(x);
      const first = m.forward(x.slice([[0, 4]]));
      const second = m.forward(x.slice([[4, 6]]), first.state);
      expectClose(concat([first.output, second.output], 0), whole.output, 'output');
      expectClose(second.state.c, whole.state.c, 'c');
      expectClose(second.state.m, whole.state.m, 'm');
      // only c given: m starts from the cells' zeros
      const c0 = f64([2, 2, 3]);
      const partial = m.forward(x, { c: c0 });
      const full = m.forward(x, { c: c0, m: zeros([2, 2, 3], { dtype: 'float64' }) });
      expectClose(partial.output, full.output, 'output (partial state)');
    });
  });

  it('applies dropout between layers in training mode only, with the zoo layers’ mask', () => {
    tidy(() => {
      setSeed(4);
      const m = new Recurrent(2, 5, (i, h) => new MGU(i, h), { numLayers: 2, dropout: 0.5 });
      const x = f64([4, 3, 2]);
      const inEval = m.eval().forward(x).output;
      const plain = reference(m, x, undefined).output;
      expectClose(inEval, plain, 'eval: no dropout');
      m.train();
      const trained = seeded(9, () => m.forward(x).output);
      // by hand: layer 0, the mask drawn from the same stream, layer 1
      const byHand = seeded(9, () => {
        let s = m.cell(0).initialState(3);
        const ys = x.split(1, 0).map((xt) => (s = m.cell(0).forward(xt.squeeze(0), s)));
        const dropped = dropoutMask(stack(ys), 0.5);
        let s1 = m.cell(1).initialState(3);
        return stack(dropped.split(1, 0).map((yt) => (s1 = m.cell(1).forward(yt.squeeze(0), s1))));
      });
      expectClose(trained, byHand, 'training: dropout between the layers');
      expect(trained.sub(inEval).abs().max().item()).toBeGreaterThan(1e-6);
    });
  });

  describe('the zoo’s cells wrapped in it match the zoo’s layers with the same weights', () => {
    class ZeroGRU extends GRUCell {
      initialState(batch: number) {
        return zeros([batch, this.hiddenSize], { dtype: this.dtype });
      }
    }
    class ZeroLSTM extends LSTMCell {
      initialState(batch: number) {
        return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }), c: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
      }
    }
    class ZeroRNN extends RNNCell {
      initialState(batch: number) {
        return zeros([batch, this.hiddenSize], { dtype: this.weight_ih.dtype });
      }
    }
    /** The zoo's `weight_ih_l1_reverse` is the wrapped cell's `cell_l1_reverse.weight_ih`. */
    const renamed = (sd: Record<string, Tensor>) =>
      Object.fromEntries(Object.entries(sd).map(([k, v]) => [k.replace(/^(.*?)(_l\d+(?:_reverse)?)$/, 'cell$2.$1'), v]));
    const opts = { numLayers: 2, bidirectional: true } as const;
    const dtype = 'float64' as const;
    const cases = [
      ['GRU', () => new GRU(3, 4, { ...opts, dtype }), () => new Recurrent(3, 4, (i, h) => new ZeroGRU(i, h, { dtype }), opts)],
      ['LSTM', () => new LSTM(3, 4, { ...opts, dtype }), () => new Recurrent(3, 4, (i, h) => new ZeroLSTM(i, h, { dtype }), opts)],
      ['RNN', () => new RNN(3, 4, { ...opts, dtype }), () => new Recurrent(3, 4, (i, h) => new ZeroRNN(i, h, { dtype }), opts)],
    ] as const;
    for (const [name, zooLayer, wrapped] of cases) {
      it(`${name}: output, final state and every parameter gradient`, () => {
        tidy(() => {
          setSeed(5);
          const zoo = zooLayer();
          const ours = wrapped() as Recurrent;
          ours.loadStateDict(renamed(zoo.stateDict())); // strict: the names line up one to one
          const x = f64([5, 2, 3]);
          const h0 = f64([4, 2, 4], 0.5);
          const c0 = f64([4, 2, 4], 0.5);
          const zoos = zoo.forward(x, name === 'LSTM' ? { h: h0, c: c0 } : { h: h0 });
          const mine = ours.forward(x, (name === 'LSTM' ? { h: h0, c: c0 } : h0) as never);
          expectClose(mine.output, zoos.output, 'output', 1e-10);
          const s = mine.state as CellState;
          expectClose(name === 'LSTM' ? pick(s, 'h') : (s as Tensor), zoos.state.h, 'h', 1e-10);
          if (name === 'LSTM') expectClose(pick(s, 'c'), (zoos.state as { c?: Tensor }).c, 'c', 1e-10);
          const seed = f64(zoos.output.shape as number[]);
          zoos.output.mul(seed).sum().backward();
          mine.output.mul(seed).sum().backward();
          const theirs = renamed(Object.fromEntries(zoo.namedParameters().map(([n, p]) => [n, p.grad!])));
          for (const [n, p] of ours.namedParameters()) expectClose(p.grad!, theirs[n], `∂/∂${n}`, 1e-10);
        });
      });
    }
  });

  it('rejects bad input with named errors', () => {
    tidy(() => {
      setSeed(6);
      const m = new Recurrent(3, 4, (i, h) => new Leaky(i, h), { numLayers: 2 });
      const err = (fn: () => unknown, type: typeof ShapeError | typeof ValueError, msg: RegExp) => {
        expect(fn).toThrow(type);
        expect(fn).toThrow(msg);
      };
      err(() => m.forward(f64([5])), ShapeError, /Recurrent\.forward.*input must be \[T, B, 3\] or unbatched \[T, 3\], got \[5\]/);
      err(() => m.forward(f64([5, 2, 7])), ShapeError, /input feature size is 7, expected inputSize 3/);
      err(() => m.forward(f64([0, 2, 3])), ShapeError, /no time steps/);
      err(() => m.forward(randn([5, 2, 3])), ValueError, /input is float32, the layer's parameters are float64; cast the input/);
      err(
        () => m.forward(f64([5, 2, 3]), { c: f64([2, 3, 4]) }),
        ShapeError,
        /initial state c has shape \[2, 3, 4\], expected \[2, 2, 4\]/,
      );
      err(() => m.forward(f64([5, 3]), { c: f64([2, 2, 4]) }), ShapeError, /initial state c has shape \[2, 2, 4\], expected \[2, 4\]/);
      err(() => m.forward(f64([5, 2, 3]), { c: randn([2, 2, 4]) }), ValueError, /initial state c is float32, expected float64/);
      err(
        () => m.forward(f64([5, 2, 3]), f64([2, 2, 4]) as never),
        ValueError,
        /state has tensors c, m; pass the initial state as an object/,
      );
      err(() => m.forward(f64([5, 2, 3]), { h: f64([2, 2, 4]) } as never), ValueError, /initial state has h; the cell's state has c, m/);
      const mgu = new Recurrent(3, 4, (i, h) => new MGU(i, h));
      err(
        () => mgu.forward(f64([5, 2, 3]), { h: f64([1, 2, 4]) } as never),
        ValueError,
        /state is one tensor; pass the initial state as a tensor/,
      );
      err(() => mgu.forward(f64([5, 2, 3]), f64([1, 2, 5])), ShapeError, /initial state has shape \[1, 2, 5\], expected \[1, 2, 4\]/);
      err(() => m.cell(2), ValueError, /no cell at layer 2, direction 0 \(2 layers, 1 directions\)/);
    });
  });

  it('rejects cells that do not keep to the interface, naming what is wrong', () => {
    tidy(() => {
      const err = (fn: () => unknown, type: typeof ShapeError | typeof ValueError, msg: RegExp) => {
        expect(fn).toThrow(type);
        expect(fn).toThrow(msg);
      };
      class Growing extends MGU {
        override forward(x: Tensor, h: Tensor) {
          return concat([super.forward(x, h), h], 1);
        }
      }
      class WrongOutput extends Leaky {
        override output(s: { c: Tensor; m: Tensor }) {
          return concat([s.c, s.m], 1);
        }
      }
      class NoOutput extends Leaky {
        override output = undefined as never;
      }
      err(
        () => new Recurrent(3, 4, (i, h) => new Growing(i, h)).forward(f64([2, 1, 3])),
        ShapeError,
        /forward returned state of shape \[1, 8\] from one of shape \[1, 4\]/,
      );
      err(
        () => new Recurrent(3, 4, (i, h) => new WrongOutput(i, h)).forward(f64([2, 1, 3])),
        ShapeError,
        /output has shape \[1, 8\], expected \[1, 4\]/,
      );
      err(
        () => new Recurrent(3, 4, (i, h) => new NoOutput(i, h)).forward(f64([2, 1, 3])),
        ValueError,
        /state \(c, m\) has no h: give the cell an output\(state\) method/,
      );
      err(() => new Recurrent(3, 4, () => ({ forward: () => zeros([1]) }) as never), ValueError, /cell_l0 is not a Module/);
      err(() => new Recurrent(3, 4, (i, h) => new GRUCell(i, h) as never), ValueError, /cell_l0 lacks initialState/);
      err(
        () =>
          new Recurrent(
            3,
            4,
            (i, h, { layer }) =>
              layer === 0
                ? new MGU(i, h)
                : new (class extends GRUCell {
                    initialState = (b: number) => zeros([b, 4]);
                  })(i, h),
            { numLayers: 2 },
          ),
        ValueError,
        /cell_l1\.weight_ih is float32 but cell_l0\.weight_ih is float64/,
      );
      err(() => new Recurrent(3, 0, (i, h) => new MGU(i, h)), ValueError, /hiddenSize must be a positive integer, got 0/);
      err(() => new Recurrent(3, 4, (i, h) => new MGU(i, h), { numLayers: 1.5 }), ValueError, /numLayers must be a positive integer/);
      err(() => new Recurrent(3, 4, (i, h) => new MGU(i, h), { dropout: 1 }), ValueError, /dropout must be in \[0, 1\), got 1/);
    });
  });

  it(
    'trains for 300 steps without leaking tensors',
    () => {
      setSeed(7);
      const m = new Recurrent(2, 6, (i, h) => new MGU(i, h), { numLayers: 2 });
      const opt = new Adam(m.parameters(), { lr: 0.01 });
      const step = () => {
        tidy(() => {
          const x = f64([6, 4, 2]);
          m.forward(x).output.square().mean().backward();
        });
        opt.step();
        opt.zeroGrad();
      };
      step(); // optimizer state is created on the first step
      const before = memory().numTensors;
      for (let i = 0; i < 300; i++) step();
      expect(memory().numTensors).toBe(before);
    },
    SLOW,
  );
});

/** `h' = tanh(x·Wᵀ + h·Uᵀ + b)` in Tensor ops: the reference. */
const elman = (x: Tensor, h: Tensor, w: Tensor, u: Tensor, b: Tensor) => x.matmul(w.transpose()).add(h.matmul(u.transpose())).add(b).tanh();

/** The same step on raw arrays, with its backward written out; `bug` forgets the bias gradient. */
function elmanKernel(bug = false) {
  return (x: Tensor, h: Tensor, w: Tensor, u: Tensor, b: Tensor) => {
    const [B, I] = x.shape as [number, number];
    const H = h.shape[1]!;
    const [xs, hs, ws, us, bs] = [x, h, w, u, b].map((t) => t.dataSync()) as Float64Array[] as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const like = (data: Float64Array, t: Tensor) => tensor(data, { shape: t.shape, dtype: t.dtype });
    const y = new Float64Array(B * H);
    for (let n = 0; n < B; n++)
      for (let j = 0; j < H; j++) {
        let s = bs[j]!;
        for (let i = 0; i < I; i++) s += xs[n * I + i]! * ws[j * I + i]!;
        for (let k = 0; k < H; k++) s += hs[n * H + k]! * us[j * H + k]!;
        y[n * H + j] = Math.tanh(s);
      }
    const vjp = (g: Tensor) => {
      const d = Float64Array.from(g.dataSync(), (gi, n) => gi * (1 - y[n]! ** 2)); // through tanh
      const [dx, dh, dw, du, db] = [B * I, B * H, H * I, H * H, H].map((n) => new Float64Array(n)) as Float64Array[];
      for (let n = 0; n < B; n++)
        for (let j = 0; j < H; j++) {
          const dj = d[n * H + j]!;
          db![j]! += dj;
          for (let i = 0; i < I; i++) {
            dx![n * I + i]! += dj * ws[j * I + i]!;
            dw![j * I + i]! += dj * xs[n * I + i]!;
          }
          for (let k = 0; k < H; k++) {
            dh![n * H + k]! += dj * us[j * H + k]!;
            du![j * H + k]! += dj * hs[n * H + k]!;
          }
        }
      return [like(dx!, x), like(dh!, h), like(dw!, w), like(du!, u), like(bug ? new Float64Array(H) : db!, b)];
    };
    return { value: like(y, h), vjp };
  };
}

const stepArb = fc.record({
  B: fc.integer({ min: 1, max: 3 }),
  I: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});
const stepArgs = ({ B, I, H, seed }: { B: number; I: number; H: number; seed: number }) =>
  seeded(seed, () => [f64([B, I]), f64([B, H]), f64([H, I]), f64([H, H]), f64([H])]);

/** The ops recorded on the tape under `t`. */
function recordedOps(t: Tensor): string[] {
  const ops: string[] = [];
  const seen = new Set<Tensor>();
  const todo = [t];
  while (todo.length) {
    const u = todo.pop()!;
    if (seen.has(u) || !u.node) continue;
    seen.add(u);
    ops.push(u.node.op);
    todo.push(...u.node.inputs);
  }
  return ops;
}

describe('fusedStep: a hand-written step as one op on the tape', () => {
  const fused = fusedStep(elman, elmanKernel());

  it('matches the composite: value, first-order gradient (the kernel’s) and second order (the composite’s)', () => {
    fc.assert(
      fc.property(stepArb, (cfg) => {
        tidy(() => {
          const args = stepArgs(cfg) as [Tensor, Tensor, Tensor, Tensor, Tensor];
          expectClose(fused(...args), elman(...args), 'value');
          gradcheck(fused, args);
          gradcheck(fused, args, { order: 2 });
        });
      }),
      { seed: 13, numRuns: 10 },
    );
  });

  it('leaves the first-order gradient to the kernel: gradcheck catches a wrong one', () => {
    tidy(() => {
      const broken = fusedStep(elman, elmanKernel(true));
      const args = stepArgs({ B: 2, I: 2, H: 3, seed: 1 });
      expect(() => gradcheck(broken, args)).toThrow(GradcheckError);
      expect(() => gradcheck(broken, args)).toThrow(/input 4/); // the bias
    });
  });

  it('records one node per step inside Recurrent, with the same outputs and gradients', () => {
    class ElmanCell extends Module {
      w = parameter(f64([4, 3], 0.5));
      u = parameter(f64([4, 4], 0.5));
      b = parameter(f64([4], 0.5));
      constructor(readonly step: typeof elman) {
        super();
      }
      initialState(batch: number) {
        return zeros([batch, 4], { dtype: 'float64' });
      }
      forward(x: Tensor, h: Tensor) {
        return this.step(x, h, this.w, this.u, this.b);
      }
    }
    tidy(() => {
      const T = 6;
      const plain = seeded(8, () => new Recurrent(3, 4, () => new ElmanCell(elman), { bidirectional: true }));
      const fast = seeded(8, () => new Recurrent(3, 4, () => new ElmanCell(fused), { bidirectional: true }));
      const x = f64([T, 2, 3]);
      const [a, b] = [plain.forward(x), fast.forward(x)];
      expectClose(b.output, a.output, 'output');
      const ops = recordedOps(b.output);
      expect(ops.filter((op) => op === 'customGrad')).toHaveLength(2 * T);
      expect(ops).not.toContain('tanh');
      expect(recordedOps(a.output).filter((op) => op === 'tanh')).toHaveLength(2 * T);
      a.output.square().sum().backward();
      b.output.square().sum().backward();
      for (const [[n, p], [, q]] of plain.namedParameters().map((e, i) => [e, fast.namedParameters()[i]!] as const))
        expectClose(q.grad!, p.grad!, `∂/∂${n}`);
      gradcheck((xi: Tensor) => fast.forward(xi).output, [x.slice([[0, 3]])]);
    });
  });

  it('runs the composite when an input is not on the CPU (WebGPU)', async () => {
    if (!(await webgpuAvailable())) return;
    const cpuArgs = seeded(2, () => [randn([2, 3]), randn([2, 4]), randn([4, 3]), randn([4, 4]), randn([4])]);
    const expected = elman(...(cpuArgs as [Tensor, Tensor, Tensor, Tensor, Tensor])).dataSync();
    const float32 = fusedStep(elman, elmanKernel());
    await setBackend('webgpu');
    try {
      const gpuArgs = cpuArgs.map((t) => tensor(t.dataSync(), { shape: t.shape }));
      const y = float32(...(gpuArgs as [Tensor, Tensor, Tensor, Tensor, Tensor]));
      expect(y.backend).toBe('webgpu');
      const got = await y.data();
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
    } finally {
      await setBackend('cpu');
    }
  });
});
