// Each importer is tested two ways: (1) a model's own weights, permuted by hand into the foreign
// layout, import back to the same outputs; (2) random foreign weights run through a plain-JS
// transcription of the foreign framework's equations (Keras's cells, the ONNX operator spec)
// give the same outputs as this package's layer loaded with the imported weights.
import { randn, ShapeError, setSeed, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { assertAllclose } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import type { StateDict } from '../module.js';
import { GRU } from '../rnn/gru.js';
import { LSTM } from '../rnn/lstm.js';
import { fromKeras, fromOnnx, fromPyTorch, type WeightLike } from './convert.js';

type M = number[][];
const I = 3;
const H = 4;
const T = 5;
const B = 2;
const TOL = { atol: 1e-12, rtol: 1e-10 };

const arr = (t: Tensor) => t.arraySync() as never;
const f64 = (v: unknown) => tensor(v as number[], { dtype: 'float64' });
const transpose = (m: M): M => m[0]!.map((_, j) => m.map((row) => row[j]!));
/** Reorders the `size`-blocks of a vector or of a matrix's rows. */
const blocks = (rows: never[], order: number[]): never => {
  const size = rows.length / order.length;
  return order.flatMap((k) => rows.slice(k * size, (k + 1) * size)) as never;
};
const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]!);
/** A model's state dict as nested arrays, by name (typed loosely: vectors and matrices alike). */
const arrays = (m: { stateDict(): StateDict }): Record<string, WeightLike> =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.arraySync() as WeightLike]));
const sd = (m: { stateDict(): StateDict }) => {
  const o = arrays(m);
  return (k: string): never => o[k] as never;
};

/** A seeded uniform(−0.6, 0.6) matrix (a tiny LCG, independent of the library). */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 1.2 - 0.6;
  };
  return (rows: number, cols: number): M => Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const vecmat = (v: number[], m: M) => m[0]!.map((_, j) => v.reduce((a, x, i) => a + x * m[i]![j]!, 0)); // v · m
const matvec = (m: M, v: number[]) => m.map((row) => row.reduce((a, x, i) => a + x * v[i]!, 0)); // m · v
const part = (v: number[], k: number) => v.slice(k * H, (k + 1) * H);

/** Runs `step` over x [T, B, I] (optionally reversed in time); returns [T, B, H]. */
function scan(x: M[], step: (xt: number[], h: number[], c: number[]) => [number[], number[]], reverse = false): M[] {
  const out: M[] = x.map(() => []);
  for (let b = 0; b < B; b++) {
    let h = new Array(H).fill(0);
    let c = new Array(H).fill(0);
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      [h, c] = step(x[t]![b]!, h, c);
      out[t]![b] = h;
    }
  }
  return out;
}

function load<L extends LSTM | GRU>(layer: L, state: StateDict): L {
  layer.loadStateDict(state);
  return layer;
}

describe('fromPyTorch', () => {
  it('is the identity layout: nested arrays under a prefix load into LSTM and GRU', () => {
    setSeed(0);
    for (const make of [
      () => new LSTM(I, H, { numLayers: 2, bidirectional: true, dtype: 'float64' }),
      () => new GRU(I, H, { numLayers: 2, dtype: 'float64' }),
    ]) {
      const original = make();
      const torch = Object.fromEntries(Object.entries(arrays(original)).map(([k, v]) => [`encoder.rnn.${k}`, v]));
      torch['head.weight'] = [[1, 2]] as never;
      const imported = fromPyTorch(torch, { prefix: 'encoder.rnn', dtype: 'float64' });
      expect(Object.keys(imported)).toEqual(Object.keys(original.stateDict()));
      const x = randn([T, B, I], { dtype: 'float64' });
      assertAllclose(load(make(), imported).forward(x).output, original.forward(x).output, { atol: 0, rtol: 0 });
    }
  });

  it('keeps tensors, casts, and reports a prefix that matches nothing', () => {
    const w = randn([4 * H, I]);
    expect(fromPyTorch({ weight_ih_l0: w }).weight_ih_l0).toBe(w);
    expect(fromPyTorch({ weight_ih_l0: w }, { dtype: 'float64' }).weight_ih_l0!.dtype).toBe('float64');
    expect(() => fromPyTorch({ 'a.b': w }, { prefix: 'lstm.' })).toThrow(/no key starts with 'lstm\.' \(keys: a\.b\)/);
    expect(() => fromPyTorch({ a: 'x' as never })).toThrow(ValueError);
  });
});

describe('fromKeras', () => {
  it('LSTM: kernel/recurrent_kernel [*, 4H] in i,f,c,o, one bias — round trip of a model', () => {
    setSeed(1);
    const original = new LSTM(I, H, { numLayers: 2, dtype: 'float64' });
    const s = sd(original);
    const keras = (k: number) => [
      transpose(s(`weight_ih_l${k}`)),
      transpose(s(`weight_hh_l${k}`)),
      add(s(`bias_ih_l${k}`), s(`bias_hh_l${k}`)),
    ];
    const imported = { ...fromKeras(keras(0), { cell: 'lstm' }), ...fromKeras(keras(1), { cell: 'lstm', layer: 1, dtype: 'float64' }) };
    expect(arr(imported.bias_hh_l1!)).toEqual(new Array(4 * H).fill(0));
    const x = randn([T, B, I], { dtype: 'float64' });
    assertAllclose(load(new LSTM(I, H, { numLayers: 2, dtype: 'float64' }), imported).forward(x).output, original.forward(x).output, TOL);
  });

  it("LSTM: matches Keras's LSTMCell equations on random Keras weights", () => {
    const r = rng(7);
    const [kernel, rec, bias] = [r(I, 4 * H), r(H, 4 * H), r(1, 4 * H)[0]!];
    const x = Array.from({ length: T }, () => r(B, I));
    const expected = scan(x, (xt, h, c) => {
      const z = add(add(vecmat(xt, kernel), vecmat(h, rec)), bias);
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => part(z, k)) as [number[], number[], number[], number[]];
      const c2 = c.map((cv, j) => sigmoid(f[j]!) * cv + sigmoid(i[j]!) * Math.tanh(g[j]!));
      return [c2.map((cv, j) => sigmoid(o[j]!) * Math.tanh(cv)), c2];
    });
    const lstm = load(
      new LSTM(I, H, { dtype: 'float64' }),
      fromKeras(
        { 'lstm/lstm_cell/kernel:0': kernel, 'lstm/lstm_cell/recurrent_kernel:0': rec, 'lstm/lstm_cell/bias:0': bias },
        { cell: 'lstm', dtype: 'float64' },
      ),
    );
    assertAllclose(lstm.forward(f64(x)).output, expected, TOL);
  });

  it('GRU reset_after=True: bias (2, 3H), gates z,r,h — round trip and Keras equations', () => {
    setSeed(2);
    const original = new GRU(I, H, { dtype: 'float64' });
    const s = sd(original);
    const zrh = [1, 0, 2]; // r,z,n → z,r,h
    const keras = [
      transpose(blocks(s('weight_ih_l0'), zrh)),
      transpose(blocks(s('weight_hh_l0'), zrh)),
      [blocks(s('bias_ih_l0'), zrh), blocks(s('bias_hh_l0'), zrh)],
    ];
    const x = randn([T, B, I], { dtype: 'float64' });
    const imported = fromKeras(keras as never, { cell: 'gru' });
    assertAllclose(load(new GRU(I, H, { dtype: 'float64' }), imported).forward(x).output, original.forward(x).output, { atol: 0, rtol: 0 });

    const r = rng(8);
    const [kernel, rec, bias] = [r(I, 3 * H), r(H, 3 * H), r(2, 3 * H)];
    const xs = Array.from({ length: T }, () => r(B, I));
    const expected = scan(xs, (xt, h) => {
      const mx = add(vecmat(xt, kernel), bias[0]!);
      const mi = add(vecmat(h, rec), bias[1]!);
      const z = part(mx, 0).map((v, j) => sigmoid(v + part(mi, 0)[j]!));
      const rr = part(mx, 1).map((v, j) => sigmoid(v + part(mi, 1)[j]!));
      const hh = part(mx, 2).map((v, j) => Math.tanh(v + rr[j]! * part(mi, 2)[j]!));
      return [h.map((hv, j) => z[j]! * hv + (1 - z[j]!) * hh[j]!), []];
    });
    const gru = load(new GRU(I, H, { dtype: 'float64' }), fromKeras([kernel, rec, bias], { cell: 'gru', dtype: 'float64' }));
    assertAllclose(gru.forward(f64(xs)).output, expected, TOL);
  });

  it("GRU reset_after=False: bias [3H] — matches GRU { reset: 'before' } and Keras's equations", () => {
    setSeed(3);
    const original = new GRU(I, H, { reset: 'before', dtype: 'float64' });
    const s = sd(original);
    const zrh = [1, 0, 2];
    const keras = [
      transpose(blocks(s('weight_ih_l0'), zrh)),
      transpose(blocks(s('weight_hh_l0'), zrh)),
      blocks(add(s('bias_ih_l0'), s('bias_hh_l0')) as never, zrh),
    ];
    const x = randn([T, B, I], { dtype: 'float64' });
    const imported = fromKeras(keras, { cell: 'gru' });
    assertAllclose(load(new GRU(I, H, { reset: 'before', dtype: 'float64' }), imported).forward(x).output, original.forward(x).output, TOL);

    const r = rng(9);
    const [kernel, rec, bias] = [r(I, 3 * H), r(H, 3 * H), r(1, 3 * H)[0]!];
    const recT = transpose(rec); // [3H, H]
    const xs = Array.from({ length: T }, () => r(B, I));
    const expected = scan(xs, (xt, h) => {
      const mx = add(vecmat(xt, kernel), bias);
      const z = part(mx, 0).map((v, j) => sigmoid(v + matvec(recT.slice(0, H), h)[j]!));
      const rr = part(mx, 1).map((v, j) => sigmoid(v + matvec(recT.slice(H, 2 * H), h)[j]!));
      const rh = matvec(
        recT.slice(2 * H),
        h.map((hv, j) => rr[j]! * hv),
      );
      const hh = part(mx, 2).map((v, j) => Math.tanh(v + rh[j]!));
      return [h.map((hv, j) => z[j]! * hv + (1 - z[j]!) * hh[j]!), []];
    });
    const gru = load(
      new GRU(I, H, { reset: 'before', dtype: 'float64' }),
      fromKeras([kernel, rec, bias], { cell: 'gru', dtype: 'float64' }),
    );
    assertAllclose(gru.forward(f64(xs)).output, expected, TOL);
  });

  it('Bidirectional: one call per direction; use_bias=False; LSTMCell suffix', () => {
    setSeed(4);
    const original = new LSTM(I, H, { bidirectional: true, bias: false, dtype: 'float64' });
    const s = sd(original);
    const imported = {
      ...fromKeras([transpose(s('weight_ih_l0')), transpose(s('weight_hh_l0'))], { cell: 'lstm' }),
      ...fromKeras([transpose(s('weight_ih_l0_reverse')), transpose(s('weight_hh_l0_reverse'))], { cell: 'lstm', reverse: true }),
    };
    const x = randn([T, B, I], { dtype: 'float64' });
    assertAllclose(
      load(new LSTM(I, H, { bidirectional: true, bias: false, dtype: 'float64' }), imported).forward(x).output,
      original.forward(x).output,
      { atol: 0, rtol: 0 },
    );
    expect(Object.keys(fromKeras([transpose(s('weight_ih_l0')), transpose(s('weight_hh_l0'))], { cell: 'lstm', suffix: '' }))).toEqual([
      'weight_ih',
      'weight_hh',
    ]);
  });

  it('rejects inconsistent shapes and options with clear errors', () => {
    const r = rng(1);
    expect(() => fromKeras([r(I, 4 * H), r(H, 4 * H)], { cell: 'rnn' as never })).toThrow(/options.cell must be 'lstm' or 'gru'/);
    expect(() => fromKeras([r(I, 4 * H), r(H, 3 * H)], { cell: 'lstm' })).toThrow(ShapeError);
    expect(() => fromKeras([r(I, 3 * H), r(H, 4 * H)], { cell: 'lstm' })).toThrow(/kernel must be \[I, 16\] \(H = 4\), got \[3, 12\]/);
    expect(() => fromKeras([r(I, 4 * H), r(H, 4 * H), r(2, 4 * H)], { cell: 'lstm' })).toThrow(/bias must be \[16\], got \[2, 16\]/);
    expect(() => fromKeras([r(I, 3 * H), r(H, 3 * H), r(3, 3 * H)], { cell: 'gru' })).toThrow(/\[12\] or \[2, 12\] \(reset_after\)/);
    expect(() => fromKeras([r(I, 4 * H)], { cell: 'lstm' })).toThrow(/got 1 arrays/);
    expect(() => fromKeras({ kernel: r(I, 4 * H) }, { cell: 'lstm' })).toThrow(/no key names the recurrent_kernel/);
    expect(() => fromKeras({ 'a/kernel': r(I, 4 * H), 'b/kernel': r(I, 4 * H), recurrent_kernel: r(H, 4 * H) }, { cell: 'lstm' })).toThrow(
      /several keys/,
    );
    expect(() => fromKeras([r(I, 4 * H), r(H, 4 * H)], { cell: 'lstm', layer: -1 })).toThrow(/layer must be a non-negative integer/);
  });
});

describe('fromOnnx', () => {
  const iofc = [0, 3, 1, 2]; // i,f,g,o → i,o,f,c
  const zrh = [1, 0, 2]; // r,z,n → z,r,h

  it('LSTM: W/R [D, 4H, *] in i,o,f,c, B = [Wb, Rb], P in i,o,f — bidirectional, 2 layers, peepholes (round trip)', () => {
    setSeed(5);
    const opts = { numLayers: 2, bidirectional: true, peephole: true, dtype: 'float64' } as const;
    const original = new LSTM(I, H, opts);
    const s = sd(original);
    const imported: StateDict = {};
    for (const layer of [0, 1]) {
      const dirs = [`_l${layer}`, `_l${layer}_reverse`];
      const onnx = {
        W: dirs.map((d) => blocks(s(`weight_ih${d}`), iofc)),
        R: dirs.map((d) => blocks(s(`weight_hh${d}`), iofc)),
        B: dirs.map((d) => [...blocks(s(`bias_ih${d}`), iofc), ...blocks(s(`bias_hh${d}`), iofc)]),
        P: dirs.map((d) => (blocks(s(`weight_peephole${d}`), [0, 2, 1]) as M).flat()),
      };
      Object.assign(imported, fromOnnx(onnx, { cell: 'lstm', layer, dtype: 'float64' }));
    }
    expect(Object.keys(imported).sort()).toEqual(Object.keys(original.stateDict()).sort());
    const x = randn([T, B, I], { dtype: 'float64' });
    assertAllclose(load(new LSTM(I, H, opts), imported).forward(x).output, original.forward(x).output, { atol: 0, rtol: 0 });
  });

  it('LSTM: matches the ONNX operator equations on random ONNX weights (bidirectional, peepholes)', () => {
    const r = rng(11);
    const D = 2;
    const W = Array.from({ length: D }, () => r(4 * H, I));
    const R = Array.from({ length: D }, () => r(4 * H, H));
    const Bias = Array.from({ length: D }, () => r(1, 8 * H)[0]!);
    const P = Array.from({ length: D }, () => r(1, 3 * H)[0]!);
    const xs = Array.from({ length: T }, () => r(B, I));
    const Y = [0, 1].map((d) =>
      scan(
        xs,
        (xt, h, c) => {
          const g = add(add(matvec(W[d]!, xt), matvec(R[d]!, h)), add(Bias[d]!.slice(0, 4 * H), Bias[d]!.slice(4 * H)));
          const [pi, po, pf] = [0, 1, 2].map((k) => part(P[d]!, k));
          const it = part(g, 0).map((v, j) => sigmoid(v + pi![j]! * c[j]!));
          const ft = part(g, 2).map((v, j) => sigmoid(v + pf![j]! * c[j]!));
          const ct = part(g, 3).map(Math.tanh);
          const C = c.map((cv, j) => ft[j]! * cv + it[j]! * ct[j]!);
          const ot = part(g, 1).map((v, j) => sigmoid(v + po![j]! * C[j]!));
          return [C.map((cv, j) => ot[j]! * Math.tanh(cv)), C];
        },
        d === 1,
      ),
    );
    // ONNX Y is [T, D, B, H]; this package concatenates the directions: [T, B, 2H]
    const expected = Y[0]!.map((yt, t) => yt.map((row, b) => [...row, ...Y[1]![t]![b]!]));
    const lstm = load(
      new LSTM(I, H, { bidirectional: true, peephole: true, dtype: 'float64' }),
      fromOnnx({ W, R, B: Bias, P }, { cell: 'lstm', dtype: 'float64' }),
    );
    assertAllclose(lstm.forward(f64(xs)).output, expected, TOL);
  });

  for (const lbr of [1, 0]) {
    const reset = lbr ? 'after' : 'before';
    it(`GRU linear_before_reset=${lbr} ↔ GRU { reset: '${reset}' }: round trip and the ONNX equations`, () => {
      setSeed(6 + lbr);
      const original = new GRU(I, H, { reset, dtype: 'float64' });
      const s = sd(original);
      const onnx = {
        W: [blocks(s('weight_ih_l0'), zrh)],
        R: [blocks(s('weight_hh_l0'), zrh)],
        B: [[...blocks(s('bias_ih_l0'), zrh), ...blocks(s('bias_hh_l0'), zrh)]],
      };
      const x = randn([T, B, I], { dtype: 'float64' });
      const imported = fromOnnx(onnx, { cell: 'gru' });
      assertAllclose(load(new GRU(I, H, { reset, dtype: 'float64' }), imported).forward(x).output, original.forward(x).output, {
        atol: 0,
        rtol: 0,
      });

      const r = rng(20 + lbr);
      const [Wm, Rm, Bv] = [r(3 * H, I), r(3 * H, H), r(1, 6 * H)[0]!];
      const [Wb, Rb] = [Bv.slice(0, 3 * H), Bv.slice(3 * H)];
      const xs = Array.from({ length: T }, () => r(B, I));
      const expected = scan(xs, (xt, h) => {
        const xw = add(matvec(Wm, xt), Wb);
        const hr = add(matvec(Rm, h), Rb);
        const z = part(xw, 0).map((v, j) => sigmoid(v + part(hr, 0)[j]!));
        const rt = part(xw, 1).map((v, j) => sigmoid(v + part(hr, 1)[j]!));
        const Rh = Rm.slice(2 * H);
        const rec = lbr
          ? part(hr, 2).map((v, j) => rt[j]! * v)
          : add(
              matvec(
                Rh,
                h.map((hv, j) => rt[j]! * hv),
              ),
              part(Rb, 2),
            );
        const ht = part(xw, 2).map((v, j) => Math.tanh(v + rec[j]!));
        return [h.map((hv, j) => (1 - z[j]!) * ht[j]! + z[j]! * hv), []];
      });
      const gru = load(
        new GRU(I, H, { reset, dtype: 'float64' }),
        fromOnnx({ W: [Wm], R: [Rm], B: [Bv] }, { cell: 'gru', dtype: 'float64' }),
      );
      assertAllclose(gru.forward(f64(xs)).output, expected, TOL);
    });
  }

  it('without B there are no bias keys (build with bias: false)', () => {
    const r = rng(3);
    expect(Object.keys(fromOnnx({ W: [r(4 * H, I)], R: [r(4 * H, H)] }, { cell: 'lstm' }))).toEqual(['weight_ih_l0', 'weight_hh_l0']);
  });

  it('rejects inconsistent shapes and options with clear errors', () => {
    const r = rng(2);
    const W = [r(4 * H, I)];
    const R = [r(4 * H, H)];
    expect(() => fromOnnx({ W, R: [r(3 * H, H)] }, { cell: 'lstm' })).toThrow(/R must be \[D, 4·H, H\], got \[1, 12, 4\]/);
    expect(() => fromOnnx({ W: [r(4 * H, I), r(4 * H, I)], R }, { cell: 'lstm' })).toThrow(/W must be \[1, 16, I\]/);
    expect(() => fromOnnx({ W: [W[0]!, W[0]!, W[0]!], R: [R[0]!, R[0]!, R[0]!] }, { cell: 'lstm' })).toThrow(/must be 1 or 2, got 3/);
    expect(() => fromOnnx({ W, R, B: [r(1, 4 * H)[0]!] }, { cell: 'lstm' })).toThrow(/B must be \[1, 32\], got \[1, 16\]/);
    expect(() => fromOnnx({ W, R, P: [r(1, 4 * H)[0]!] }, { cell: 'lstm' })).toThrow(ShapeError);
    expect(() => fromOnnx({ W: [r(3 * H, I)], R: [r(3 * H, H)], P: [r(1, 3 * H)[0]!] }, { cell: 'gru' })).toThrow(/a GRU has no peepholes/);
    expect(() => fromOnnx({ W } as never, { cell: 'lstm' })).toThrow(/missing the R initializer/);
  });
});
