// The LSTM zoo: every variant gradchecked in float64 end to end (input, initial state and every
// parameter) over fast-check-drawn sizes, and compared with a hand-unrolled composite written
// from the equations (per gate, per step, per layer and direction); state_dict layout and
// parameter counts; LSTMCell against one step of LSTM; bad input.
import { concat, randn, ShapeError, setSeed, stack, type Tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { closeMismatch, gradcheck } from '@carousel/autograd/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GreffVariant, LSTM, LSTMCell, type LSTMCellOptions, type LSTMOptions } from './lstm.js';
import { expectClose, flat, type LayerConfig, layerConfigArb, SLOW, seeded, withParams } from './test-helpers.js';

// ---- helpers ------------------------------------------------------------------------------------

/** Runs `fn` with the module's parameters temporarily replaced by `ps` (in namedParameters order). */

const configArb = layerConfigArb; // (its `bias` is unused: the variants set their own)
type Config = LayerConfig;

// ---- the reference: a hand-unrolled composite, written from the equations ------------------------

/** Greff et al. (2015), §3: every variant is the vanilla LSTM (with peepholes) minus one thing. */
const GREFF_REF: Record<GreffVariant, LSTMCellOptions> = {
  vanilla: {},
  NIG: { inputGate: false },
  NFG: { forgetGate: false },
  NOG: { outputGate: false },
  NIAF: { inputActivation: 'identity' },
  NOAF: { outputActivation: 'identity' },
  NP: { peephole: false },
  CIFG: { coupled: true },
  FGR: { fullGateRecurrence: true },
};

interface RefSpec {
  i: boolean;
  /** Forget gate with its own weights. */
  f: boolean;
  coupled: boolean;
  o: boolean;
  peephole: boolean;
  gIdentity: boolean;
  hIdentity: boolean;
  fgr: boolean;
  ln: boolean;
  zoneout: number;
}

function refSpec(opts: LSTMOptions): RefSpec {
  const o: LSTMOptions = { ...(opts.variant ? { peephole: true, ...GREFF_REF[opts.variant] } : {}) };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  const coupled = o.coupled ?? false;
  return {
    i: o.inputGate ?? true,
    f: !coupled && (o.forgetGate ?? true),
    coupled,
    o: o.outputGate ?? true,
    peephole: o.peephole ?? false,
    gIdentity: o.inputActivation === 'identity',
    hIdentity: o.outputActivation === 'identity',
    fgr: o.fullGateRecurrence ?? false,
    ln: o.layerNorm ?? false,
    zoneout: o.zoneout ?? 0,
  };
}

const sigma = (t: Tensor) => t.neg().exp().add(1).reciprocal();
/** (v − mean) / √(biased var + 1e-5) · w + b over the last axis. */
function ln(v: Tensor, w: Tensor, b: Tensor): Tensor {
  const n = v.shape.at(-1)!;
  const d = v.sub(v.sum(-1, { keepDims: true }).div(n));
  const variance = d.mul(d).sum(-1, { keepDims: true }).div(n);
  return d.div(variance.add(1e-5).sqrt()).mul(w).add(b);
}

type Gate = 'i' | 'f' | 'g' | 'o';

/**
 * One direction of one layer, step by step:
 *   i = σ(W_i x + b_ii + U_i h + b_hi + p_i ⊙ c [+ R_i a])   (1 without an input gate)
 *   f = σ(W_f x + b_if + U_f h + b_hf + p_f ⊙ c [+ R_f a])   (1 − i coupled, 1 without)
 *   g = tanh(W_g x + b_ig + U_g h + b_hg)                    (identity: NIAF)
 *   c' = f ⊙ c + i ⊙ g
 *   o = σ(W_o x + b_io + U_o h + b_ho + p_o ⊙ c' [+ R_o a])  (1 without an output gate)
 *   h' = o ⊙ tanh(LN(c'))  [· W_hrᵀ]                          (identity: NOAF)
 * with a the previous step's gate activations (FGR), LN applied to W x, U h and c' when enabled,
 * and in eval zoneout h' ← z·h + (1 − z)·h', c' ← z·c + (1 − z)·c'.
 */
function refDirection(
  sd: Record<string, Tensor>,
  sfx: string,
  s: RefSpec,
  H: number,
  xs: Tensor[],
  h0: Tensor,
  c0: Tensor,
): { outs: Tensor[]; h: Tensor; c: Tensor } {
  const p = (name: string) => sd[name + sfx];
  const gates = (['i', 'f', 'g', 'o'] as const).filter((g) => g === 'g' || s[g]);
  const sigGates = gates.filter((g) => g !== 'g');
  const rows = (t: Tensor, g: Gate) => t.slice([[gates.indexOf(g) * H, (gates.indexOf(g) + 1) * H]]);
  const peeps = s.peephole ? (['i', 'f', 'o'] as const).filter((g) => s[g]) : [];
  const peep = (g: 'i' | 'f' | 'o', cell: Tensor) =>
    peeps.includes(g)
      ? p('weight_peephole')!
          .slice([peeps.indexOf(g)])
          .mul(cell)
      : undefined;
  const project = (v: Tensor, w: Tensor, lnName: string): Record<string, Tensor> => {
    const parts = gates.map((g) => v.matmul(rows(w, g).transpose()));
    if (!s.ln) return Object.fromEntries(gates.map((g, k) => [g, parts[k]!]));
    const normed = ln(concat(parts, -1), p(`ln_${lnName}_weight`)!, p(`ln_${lnName}_bias`)!);
    return Object.fromEntries(gates.map((g, k) => [g, normed.slice([null, [k * H, (k + 1) * H]])]));
  };
  const B = h0.shape[0]!;
  let h = h0;
  let c = c0;
  let a = zeros([B, sigGates.length * H], { dtype: 'float64' }) as Tensor;
  const outs: Tensor[] = [];
  for (const x of xs) {
    const ax = project(x, p('weight_ih')!, 'ih');
    const ah = project(h, p('weight_hh')!, 'hh');
    const z = (g: Gate, extra?: Tensor) => {
      let v = ax[g]!.add(ah[g]!);
      if (p('bias_ih')) v = v.add(rows(p('bias_ih')!, g)).add(rows(p('bias_hh')!, g));
      if (s.fgr && g !== 'g') {
        const k = sigGates.indexOf(g);
        v = v.add(
          a.matmul(
            p('weight_gate_hh')!
              .slice([[k * H, (k + 1) * H]])
              .transpose(),
          ),
        );
      }
      return extra ? v.add(extra) : v;
    };
    const i = s.i ? sigma(z('i', peep('i', c))) : undefined;
    const f = s.f ? sigma(z('f', peep('f', c))) : s.coupled ? i!.mul(-1).add(1) : undefined;
    const g = s.gIdentity ? z('g') : z('g').tanh();
    const cNew = (f ? f.mul(c) : c).add(i ? i.mul(g) : g);
    const o = s.o ? sigma(z('o', peep('o', cNew))) : undefined;
    const cAct = s.ln ? ln(cNew, p('ln_c_weight')!, p('ln_c_bias')!) : cNew;
    const act = s.hIdentity ? cAct : cAct.tanh();
    let hNew = o ? o.mul(act) : act;
    if (p('weight_hr')) hNew = hNew.matmul(p('weight_hr')!.transpose());
    if (s.fgr)
      a = concat(
        [i, s.f ? f : undefined, o].filter((t): t is Tensor => t !== undefined),
        -1,
      );
    if (s.zoneout > 0) {
      h = h.mul(s.zoneout).add(hNew.mul(1 - s.zoneout));
      c = c.mul(s.zoneout).add(cNew.mul(1 - s.zoneout));
    } else {
      h = hNew;
      c = cNew;
    }
    outs.push(h);
  }
  return { outs, h, c };
}

/** The whole stacked, optionally bidirectional LSTM from {@link refDirection}; x is [T, B, I]. */
function refLSTM(m: LSTM, opts: LSTMOptions, x: Tensor, h0: Tensor, c0: Tensor) {
  const sd = m.stateDict();
  const s = refSpec(opts);
  const D = m.bidirectional ? 2 : 1;
  let xs = Array.from({ length: x.shape[0]! }, (_, t) => x.slice([t]));
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const perDir: Tensor[][] = [];
    for (let d = 0; d < D; d++) {
      const k = l * D + d;
      const input = d === 1 ? [...xs].reverse() : xs;
      const r = refDirection(sd, `_l${l}${d === 1 ? '_reverse' : ''}`, s, m.hiddenSize, input, h0.slice([k]), c0.slice([k]));
      perDir.push(d === 1 ? r.outs.reverse() : r.outs);
      hs.push(r.h);
      cs.push(r.c);
    }
    xs = xs.map((_, t) => (D === 1 ? perDir[0]![t]! : concat([perDir[0]![t]!, perDir[1]![t]!], -1)));
  }
  return { output: stack(xs), h: stack(hs), c: stack(cs) };
}

// ---- the variants ---------------------------------------------------------------------------------

interface Variant {
  name: string;
  opts: (H: number) => LSTMOptions;
  minH?: number;
  /** Stochastic in training: compare and gradcheck in eval. */
  eval?: boolean;
}
const fixed = (name: string, o: LSTMOptions): Variant => ({ name, opts: () => o });
const VARIANTS: Variant[] = [
  fixed('default (torch.nn.LSTM)', {}),
  fixed('peephole', { peephole: true }),
  fixed('coupled (CIFG)', { coupled: true }),
  fixed('coupled + peephole', { coupled: true, peephole: true }),
  fixed('forgetGate: false', { forgetGate: false }),
  fixed('inputGate: false', { inputGate: false }),
  fixed('outputGate: false', { outputGate: false }),
  fixed("inputActivation: 'identity'", { inputActivation: 'identity' }),
  fixed("outputActivation: 'identity'", { outputActivation: 'identity' }),
  ...(Object.keys(GREFF_REF) as GreffVariant[]).map((v) => fixed(`variant '${v}'`, { variant: v })),
  fixed('variant NIG with inputGate: true overridden', { variant: 'NIG', inputGate: true }),
  fixed('fullGateRecurrence without peepholes', { fullGateRecurrence: true }),
  fixed('fullGateRecurrence + coupled', { fullGateRecurrence: true, coupled: true }),
  fixed('layerNorm', { layerNorm: true }),
  fixed('layerNorm + peephole + no bias', { layerNorm: true, peephole: true, bias: false }),
  { name: 'projSize', opts: (H) => ({ projSize: H - 1 }), minH: 2 },
  { name: 'projSize + peephole + zoneout', opts: () => ({ projSize: 1, peephole: true, zoneout: 0.25 }), minH: 2, eval: true },
  fixed('forgetBias', { forgetBias: 1 }),
  fixed('bias: false', { bias: false }),
  { name: 'zoneout (eval: the expectation)', opts: () => ({ zoneout: 0.3 }), eval: true },
  { name: 'recurrentDropout (eval: none)', opts: () => ({ recurrentDropout: 0.4 }), eval: true },
];

function build(v: Variant, cfg: Config) {
  setSeed(cfg.seed);
  const opts: LSTMOptions = { ...v.opts(cfg.H), numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, dtype: 'float64' };
  const m = new LSTM(cfg.I, cfg.H, opts);
  if (v.eval) m.eval();
  const L = cfg.numLayers * (cfg.bidirectional ? 2 : 1);
  const x = randn([cfg.T, cfg.B, cfg.I], { dtype: 'float64' });
  const h0 = randn([L, cfg.B, m.outputSize], { dtype: 'float64' }).mul(0.5);
  const c0 = randn([L, cfg.B, cfg.H], { dtype: 'float64' }).mul(0.5);
  return { m, opts, x, h0, c0 };
}

describe('LSTM variants: float64 gradcheck of input, initial state and every parameter', () => {
  for (const v of VARIANTS) {
    it(
      v.name,
      () => {
        fc.assert(
          fc.property(configArb(v.minH), (cfg) => {
            tidy(() => {
              const { m, x, h0, c0 } = build(v, cfg);
              const names = m.namedParameters().map(([n]) => n);
              const f = (xi: Tensor, hi: Tensor, ci: Tensor, ...ps: Tensor[]) =>
                withParams(m, names, ps, () => {
                  const { output, state } = m.forward(xi, { h: hi, c: ci });
                  return flat([output, state.h, state.c]);
                });
              gradcheck(f, [x, h0, c0, ...m.parameters().map((p) => p.detach())]);
            });
          }),
          { seed: 11, numRuns: 2 },
        );
      },
      SLOW,
    );
  }
});

describe('LSTM variants equal the hand-unrolled composite', () => {
  for (const v of VARIANTS) {
    it(
      v.name,
      () => {
        fc.assert(
          fc.property(configArb(v.minH), (cfg) => {
            tidy(() => {
              const { m, opts, x, h0, c0 } = build(v, cfg);
              const ours = m.forward(x, { h: h0, c: c0 });
              const ref = refLSTM(m, opts, x, h0, c0);
              expectClose(ours.output, ref.output, 'output');
              expectClose(ours.state.h, ref.h, 'h');
              expectClose(ours.state.c, ref.c, 'c');
            });
          }),
          { seed: 5, numRuns: 6 },
        );
      },
      SLOW,
    );
  }

  it('a peephole LSTM is not the plain one (the composite is sensitive to the peepholes)', () => {
    tidy(() => {
      const { m, x, h0, c0 } = build(fixed('peephole', { peephole: true }), {
        I: 2,
        H: 3,
        T: 3,
        B: 2,
        numLayers: 1,
        bidirectional: false,
        bias: true,
        seed: 1,
      });
      const ref = refLSTM(m, {}, x, h0, c0);
      expect(closeMismatch(m.forward(x, { h: h0, c: c0 }).output, ref.output, { atol: 1e-6 })).not.toBeNull();
    });
  });
});

// ---- layout -----------------------------------------------------------------------------------------

describe('LSTM state_dict layout and parameter counts', () => {
  it('PyTorch key order: weight_ih, weight_hh, bias_ih, bias_hh per layer, then _reverse', () => {
    const m = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const keys = Object.keys(m.stateDict());
    const per = (s: string) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => n + s);
    expect(keys).toEqual([...per('_l0'), ...per('_l0_reverse'), ...per('_l1'), ...per('_l1_reverse')]);
    expect(m.stateDict().weight_ih_l1!.shape).toEqual([16, 8]);
    expect(m.stateDict().weight_hh_l1_reverse!.shape).toEqual([16, 4]);
  });

  it('4H(I + H + 2) parameters per layer and direction, upper layers see D·H inputs', () => {
    for (const [I, H, L, bi] of [
      [3, 4, 1, false],
      [3, 4, 2, false],
      [5, 2, 3, true],
      [1, 1, 1, true],
    ] as const) {
      const D = bi ? 2 : 1;
      let expected = D * 4 * H * (I + H + 2);
      for (let l = 1; l < L; l++) expected += D * 4 * H * (D * H + H + 2);
      expect(new LSTM(I, H, { numLayers: L, bidirectional: bi }).numParameters(), `${I},${H},${L},${bi}`).toBe(expected);
    }
    expect(new LSTM(3, 4, { bias: false }).numParameters()).toBe(4 * 4 * (3 + 4));
  });

  it('projSize: weight_hr_l0 [P, H] after the biases; weight_hh [4H, P]; upper layers see D·P', () => {
    const m = new LSTM(3, 5, { projSize: 2, numLayers: 2, bidirectional: true });
    const sd = m.stateDict();
    expect(Object.keys(sd).slice(0, 5)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_hr_l0']);
    expect(sd.weight_hr_l0_reverse!.shape).toEqual([2, 5]);
    expect(sd.weight_hh_l0!.shape).toEqual([20, 2]);
    expect(sd.weight_ih_l1!.shape).toEqual([20, 4]);
    // torch: 4H(I + P + 2) + P·H per layer and direction
    expect(m.numParameters()).toBe(2 * (20 * (3 + 2 + 2) + 10) + 2 * (20 * (4 + 2 + 2) + 10));
    const { output, state } = m.forward(randn([3, 2, 3]));
    expect(output.shape).toEqual([3, 2, 4]);
    expect(state.h.shape).toEqual([4, 2, 2]);
    expect(state.c.shape).toEqual([4, 2, 5]);
  });

  it('variant parameters: weight_peephole [#peepholes, H], weight_gate_hh, ln_*; gate rows shrink with missing gates', () => {
    const shapes = (o: LSTMOptions) => Object.fromEntries(Object.entries(new LSTM(3, 4, o).stateDict()).map(([k, t]) => [k, t.shape]));
    expect(shapes({ peephole: true }).weight_peephole_l0).toEqual([3, 4]);
    expect(shapes({ variant: 'vanilla' }).weight_peephole_l0).toEqual([3, 4]);
    expect(shapes({ variant: 'NIG' })).toMatchObject({ weight_ih_l0: [12, 3], weight_peephole_l0: [2, 4] });
    expect(shapes({ variant: 'NFG' })).toMatchObject({ weight_ih_l0: [12, 3], weight_peephole_l0: [2, 4] });
    expect(shapes({ variant: 'NOG' })).toMatchObject({ weight_ih_l0: [12, 3], weight_peephole_l0: [2, 4] });
    expect(shapes({ variant: 'CIFG' })).toMatchObject({ weight_ih_l0: [12, 3], weight_hh_l0: [12, 4], weight_peephole_l0: [2, 4] });
    expect(shapes({ variant: 'NP' }).weight_peephole_l0).toBeUndefined();
    expect(shapes({ variant: 'FGR' }).weight_gate_hh_l0).toEqual([12, 12]);
    expect(shapes({ fullGateRecurrence: true, coupled: true }).weight_gate_hh_l0).toEqual([8, 8]);
    expect(Object.keys(shapes({ layerNorm: true, bidirectional: true }))).toEqual(
      ['', '_reverse'].flatMap((r) =>
        [
          'weight_ih',
          'weight_hh',
          'bias_ih',
          'bias_hh',
          'ln_ih_weight',
          'ln_ih_bias',
          'ln_hh_weight',
          'ln_hh_bias',
          'ln_c_weight',
          'ln_c_bias',
        ].map((n) => `${n}_l0${r}`),
      ),
    );
    expect(Object.keys(shapes({ variant: 'FGR', bidirectional: true }))).toEqual(
      ['', '_reverse'].flatMap((r) =>
        ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_peephole', 'weight_gate_hh'].map((n) => `${n}_l0${r}`),
      ),
    );
  });

  it('forgetBias sets the f rows of bias_ih to the value and of bias_hh to 0, the other rows untouched', () => {
    setSeed(4);
    const m = new LSTM(2, 3, { forgetBias: 1.5, numLayers: 2 });
    for (const l of [0, 1]) {
      const bih = [...m.stateDict()[`bias_ih_l${l}`]!.dataSync()];
      const bhh = [...m.stateDict()[`bias_hh_l${l}`]!.dataSync()];
      expect(bih.slice(3, 6)).toEqual([1.5, 1.5, 1.5]);
      expect(bhh.slice(3, 6)).toEqual([0, 0, 0]);
      for (const v of [...bih.slice(0, 3), ...bih.slice(6), ...bhh.slice(0, 3), ...bhh.slice(6)]) {
        expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(3));
        expect(v).not.toBe(0);
      }
    }
    // with an input gate missing the forget gate is the first block of rows
    const nig = new LSTM(2, 3, { inputGate: false, forgetBias: -2 });
    expect([...nig.stateDict().bias_ih_l0!.dataSync()].slice(0, 3)).toEqual([-2, -2, -2]);
  });
});

// ---- LSTMCell ---------------------------------------------------------------------------------------

describe('LSTMCell', () => {
  const cellVariants: [string, LSTMCellOptions][] = [
    ['default', {}],
    ['peephole', { peephole: true }],
    ['CIFG', { variant: 'CIFG' }],
    ['NFG', { variant: 'NFG' }],
    ['NOG', { variant: 'NOG' }],
    ['NIAF', { variant: 'NIAF' }],
    ['NOAF', { variant: 'NOAF' }],
    ['layerNorm', { layerNorm: true }],
    ['bias: false', { bias: false }],
  ];
  for (const [name, opts] of cellVariants) {
    it(`${name}: one step equals one step of LSTM with the same weights (batched and unbatched)`, () => {
      tidy(() => {
        setSeed(9);
        const cell = new LSTMCell(3, 4, { ...opts, dtype: 'float64' });
        const layer = new LSTM(3, 4, { ...opts, dtype: 'float64' });
        layer.loadStateDict(Object.fromEntries(Object.entries(cell.stateDict()).map(([k, t]) => [`${k}_l0`, t])));
        const x = randn([2, 3], { dtype: 'float64' });
        const h = randn([2, 4], { dtype: 'float64' });
        const c = randn([2, 4], { dtype: 'float64' });
        const ours = cell.forward(x, { h, c });
        const ref = layer.forward(x.unsqueeze(0), { h: h.unsqueeze(0), c: c.unsqueeze(0) });
        expectClose(ours.h, ref.output.squeeze(0), 'h');
        expectClose(ours.c, ref.state.c.squeeze(0), 'c');
        const one = cell.forward(x.slice([1]), { h: h.slice([1]), c: c.slice([1]) });
        expect(one.h.shape).toEqual([4]);
        expectClose(one.h, ours.h.slice([1]), 'unbatched h');
        expectClose(one.c, ours.c.slice([1]), 'unbatched c');
        // zero default state
        expectClose(cell.forward(x).h, layer.forward(x.unsqueeze(0)).state.h.squeeze(0), 'zero state');
      });
    });
  }

  it(
    'peephole cell passes gradcheck w.r.t. input, state and parameters',
    () => {
      tidy(() => {
        setSeed(2);
        const cell = new LSTMCell(2, 3, { peephole: true, layerNorm: true, dtype: 'float64' });
        const names = cell.namedParameters().map(([n]) => n);
        const f = (x: Tensor, h: Tensor, c: Tensor, ...ps: Tensor[]) =>
          withParams(cell, names, ps, () => {
            const r = cell.forward(x, { h, c });
            return flat([r.h, r.c]);
          });
        const args = [randn([2, 2], { dtype: 'float64' }), randn([2, 3], { dtype: 'float64' }), randn([2, 3], { dtype: 'float64' })];
        expect(gradcheck(f, [...args, ...cell.parameters().map((p) => p.detach())])).toBe(true);
      });
    },
    SLOW,
  );

  it('zoneout in training: every unit either keeps its previous value or takes the new one', () => {
    tidy(() => {
      setSeed(3);
      const zoned = new LSTMCell(2, 16, { zoneout: 0.5 });
      const plain = new LSTMCell(2, 16);
      plain.loadStateDict(zoned.stateDict());
      const x = randn([4, 2]);
      const state: { h: Tensor; c: Tensor } = { h: randn([4, 16]), c: randn([4, 16]) };
      const next = plain.forward(x, state);
      const z = zoned.forward(x, state);
      for (const k of ['h', 'c'] as const) {
        const [zv, prev, nv] = [z[k].dataSync(), state[k].dataSync(), next[k].dataSync()];
        let kept = 0;
        for (let i = 0; i < zv.length; i++) {
          expect(zv[i] === prev[i] || zv[i] === nv[i], `${k}[${i}]`).toBe(true);
          if (zv[i] === prev[i]) kept++;
        }
        expect(kept).toBeGreaterThan(10);
        expect(kept).toBeLessThan(54);
      }
      // eval: the expectation p·prev + (1 − p)·new
      zoned.eval();
      const e = zoned.forward(x, state);
      expectClose(e.h, state.h.mul(0.5).add(next.h.mul(0.5) as Tensor), 'eval h', 1e-6);
      expectClose(e.c, state.c.mul(0.5).add(next.c.mul(0.5) as Tensor), 'eval c', 1e-6);
    });
  });
});

describe('LSTM training-mode regularisers', () => {
  it('recurrentDropout: eval equals the plain LSTM; training draws a mask (differs, reproducible by seed)', () => {
    tidy(() => {
      setSeed(1);
      const m = new LSTM(2, 8, { recurrentDropout: 0.5, numLayers: 2, bidirectional: true });
      const plain = new LSTM(2, 8, { numLayers: 2, bidirectional: true });
      plain.loadStateDict(m.stateDict());
      const x = randn([5, 3, 2]);
      const train1 = seeded(7, () => m.forward(x).output);
      const train2 = seeded(7, () => m.forward(x).output);
      expectClose(train1, train2, 'same seed, same mask', 0);
      expect(closeMismatch(train1, plain.forward(x).output, { atol: 1e-4 })).not.toBeNull();
      m.eval();
      expectClose(m.forward(x).output, plain.forward(x).output, 'eval', 0);
      expectClose(m.forward(x).output, m.forward(x).output, 'eval is deterministic', 0);
    });
  });

  it(
    'recurrentDropout in training passes gradcheck with the mask fixed by the seed',
    () => {
      tidy(() => {
        setSeed(2);
        const m = new LSTM(2, 3, { recurrentDropout: 0.3, zoneout: 0.2, dtype: 'float64' });
        const names = m.namedParameters().map(([n]) => n);
        const x = randn([3, 2, 2], { dtype: 'float64' });
        const f = (xi: Tensor, ...ps: Tensor[]) =>
          withParams(m, names, ps, () => {
            setSeed(99);
            const r = m.forward(xi);
            return flat([r.output, r.state.c]);
          });
        expect(gradcheck(f, [x, ...m.parameters().map((p) => p.detach())])).toBe(true);
      });
    },
    SLOW,
  );
});

// ---- bad input --------------------------------------------------------------------------------------

describe('LSTM / LSTMCell bad options and input', () => {
  const cases: [string, () => unknown, typeof ValueError | typeof ShapeError, RegExp][] = [
    [
      'unknown variant',
      () => new LSTM(2, 3, { variant: 'XYZ' as GreffVariant }),
      ValueError,
      /LSTM: unknown variant 'XYZ'; expected one of vanilla, NIG, NFG/,
    ],
    [
      'unknown variant on the cell',
      () => new LSTMCell(2, 3, { variant: 'nope' as GreffVariant }),
      ValueError,
      /LSTMCell: unknown variant 'nope'/,
    ],
    ['projSize = hiddenSize', () => new LSTM(2, 3, { projSize: 3 }), ValueError, /projSize must be an integer in \[0, hiddenSize\), got 3/],
    ['projSize > hiddenSize', () => new LSTM(2, 3, { projSize: 7 }), ValueError, /projSize .* got 7/],
    ['projSize negative', () => new LSTM(2, 3, { projSize: -1 }), ValueError, /projSize .* got -1/],
    ['projSize fractional', () => new LSTM(2, 3, { projSize: 1.5 }), ValueError, /projSize .* got 1.5/],
    [
      'coupled without a forget gate',
      () => new LSTM(2, 3, { coupled: true, forgetGate: false }),
      ValueError,
      /coupled .* needs both an input gate and a forget gate/,
    ],
    ['coupled without an input gate', () => new LSTM(2, 3, { coupled: true, inputGate: false }), ValueError, /coupled/],
    ['CIFG with forgetGate: false', () => new LSTMCell(2, 3, { variant: 'CIFG', forgetGate: false }), ValueError, /LSTMCell: coupled/],
    [
      'LSTMCell with fullGateRecurrence',
      () => new LSTMCell(2, 3, { fullGateRecurrence: true }),
      ValueError,
      /LSTMCell: fullGateRecurrence .* use the LSTM layer/,
    ],
    ['LSTMCell with variant FGR', () => new LSTMCell(2, 3, { variant: 'FGR' }), ValueError, /fullGateRecurrence/],
    [
      'inputActivation relu',
      () => new LSTM(2, 3, { inputActivation: 'relu' as 'tanh' }),
      ValueError,
      /inputActivation must be 'tanh' or 'identity', got 'relu'/,
    ],
    [
      'outputActivation sigmoid',
      () => new LSTMCell(2, 3, { outputActivation: 'sigmoid' as 'tanh' }),
      ValueError,
      /outputActivation must be/,
    ],
    ['recurrentDropout 1', () => new LSTM(2, 3, { recurrentDropout: 1 }), ValueError, /recurrentDropout must be in \[0, 1\), got 1/],
    ['zoneout −0.5', () => new LSTMCell(2, 3, { zoneout: -0.5 }), ValueError, /zoneout must be in \[0, 1\), got -0.5/],
    ['LSTMCell hiddenSize 0', () => new LSTMCell(2, 0), ValueError, /LSTMCell: hiddenSize must be a positive integer, got 0/],
    ['LSTM hiddenSize 0', () => new LSTM(2, 0), ValueError, /LSTM: hiddenSize must be a positive integer, got 0/],
    ['LSTM numLayers 0', () => new LSTM(2, 3, { numLayers: 0 }), ValueError, /numLayers must be a positive integer, got 0/],
    ['LSTM dropout 1', () => new LSTM(2, 3, { dropout: 1 }), ValueError, /dropout must be in \[0, 1\), got 1/],
    [
      'regression: LSTMCell input feature size is a ShapeError',
      () => new LSTMCell(2, 3).forward(zeros([4, 5])),
      ShapeError,
      /LSTMCell.forward: input must be \[B, 2\] or \[2\], got \[4, 5\]/,
    ],
    [
      'regression: LSTMCell input rank 3 is a ShapeError',
      () => new LSTMCell(2, 3).forward(zeros([1, 4, 2])),
      ShapeError,
      /input must be \[B, 2\]/,
    ],
    [
      'regression: LSTMCell state batch mismatch is a ShapeError',
      () => new LSTMCell(2, 3).forward(zeros([4, 2]), { h: zeros([2, 3]), c: zeros([4, 3]) }),
      ShapeError,
      /state h must be \[4, 3\], got \[2, 3\]/,
    ],
    [
      'regression: LSTMCell state c size is a ShapeError',
      () => new LSTMCell(2, 3).forward(zeros([4, 2]), { h: zeros([4, 3]), c: zeros([4, 2]) }),
      ShapeError,
      /state c must be \[4, 3\], got \[4, 2\]/,
    ],
    [
      'regression: LSTMCell input dtype is checked (ValueError naming both)',
      () => new LSTMCell(2, 3, { dtype: 'float64' }).forward(zeros([4, 2])),
      ValueError,
      /LSTMCell.forward: input is float32, the cell's parameters are float64/,
    ],
    [
      'regression: LSTMCell state dtype is checked (ValueError naming both)',
      () => new LSTMCell(2, 3).forward(zeros([1, 2]), { h: zeros([1, 3], { dtype: 'float64' }), c: zeros([1, 3]) }),
      ValueError,
      /state h is float64, expected float32/,
    ],
    [
      'LSTM state c shape',
      () => new LSTM(2, 3, { numLayers: 2 }).forward(zeros([2, 1, 2]), { c: zeros([1, 1, 3]) }),
      ShapeError,
      /initial state c has shape \[1, 1, 3\], expected \[2, 1, 3\]/,
    ],
    [
      'LSTM projSize: h state is [L, B, P]',
      () => new LSTM(2, 3, { projSize: 1 }).forward(zeros([2, 1, 2]), { h: zeros([1, 1, 3]) }),
      ShapeError,
      /initial state h has shape \[1, 1, 3\], expected \[1, 1, 1\]/,
    ],
  ];
  for (const [name, fn, cls, msg] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(msg);
    });
  }

  it("regression: an Object.prototype name is not a variant ('toString', 'constructor')", () => {
    for (const v of ['toString', 'constructor', 'hasOwnProperty']) {
      expect(() => new LSTM(2, 3, { variant: v as GreffVariant }), v).toThrow(/unknown variant/);
    }
  });
});
