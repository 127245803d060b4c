// The pointwise half of a fused LSTM or GRU step in WebAssembly: from the step's input projection
// and recurrent product (both [B, G·H], gates side by side in each row) to the gates and the new
// state, and back from the state gradients to the pre-activation gradients. The products
// themselves run on the GEMM kernel (sgemm.ts); fused/wasm.ts drives both, step by step.
//
// The LSTM's code is emitted for one cell layout at a time (which gates exist, peepholes, coupled
// or identity activations), so a variant costs nothing for what it lacks. Each row runs four units
// per f32x4 vector, its last vector changing only the units the row has (lanes.ts), so any H works;
// the last iteration reads, and writes back unchanged, up to 28 bytes past the row's end, which
// the caller keeps addressable (and touches nothing else there during the call).
// Every argument is a byte address in the kernel's memory, or B and H.
import type { LSTMCellSpec } from '../../backend.js';
import { type Expr, type FuncBuilder, f32x4, for_, get, i32, inc, type Local, ModuleBuilder, type Stmt, set } from './emit.js';
import { laneMask, tableInit, VectorCode } from './lanes.js';

const c = i32.const;
const { add, sub, mul } = f32x4;
type V = Expr<'v128'>;
type Builder = FuncBuilder<readonly ('i32' | 'f32' | 'v128')[]>;

/** Which half of a cell's code a module holds (see {@link lstmModule}). */
export type Half = 'forward' | 'backward';

/** One vector of units: `m` builds its code; `unit(p)`, `perK(p)` and `inRow(p)` address arrays from base pointers. */
interface Units {
  m: VectorCode;
  /** In a [B, H] array (all states and gates). */
  unit(p: Local<'i32'>): Expr<'i32'>;
  /** In a [H] block (a bias or peephole row). */
  perK(p: Local<'i32'>): Expr<'i32'>;
  /** In a [B, ·] array with rows of G·H floats (projections, products, their gradients). */
  inRow(p: Local<'i32'>): Expr<'i32'>;
}

/**
 * Vectors of four units per loop iteration: 2 interleaves two vectors' code statement by
 * statement. A vector's code is one long dependency chain (each exp is a chain of multiply–adds,
 * then a division, and tanh(c) waits for the gates) about as long as the out-of-order window, so
 * one vector per iteration leaves the CPU waiting on latencies: two independent chains side by
 * side took an LSTM forward step from 18 to 14 ns per unit (Zen 3; 3 or 4 gained nothing more).
 * The code is about twice as large, though (see {@link lstmModule}).
 */
export type Unroll = 1 | 2;

/**
 * Emits `for b < B: for k < H: body` for a function with parameters B and H, where each row of the
 * [B, G·H] arrays is G·H floats; `unroll` vectors of units per iteration. Returns the function's
 * statements, after `pre`.
 */
function unitLoop(fb: Builder, B: Local<'i32'>, H: Local<'i32'>, G: number, unroll: Unroll, pre: Stmt[], body: (u: Units) => void): Stmt[] {
  const L = () => fb.local('i32');
  const [b, h4, u, kk, row] = [L(), L(), L(), L(), L()];
  const step = 16 * unroll;
  // vector v covers the units 16v bytes past (u, kk); its mask selects those inside the row
  const vectors = Array.from({ length: unroll }, (_, v) => {
    const mask = fb.local('v128');
    const m = new VectorCode(fb, mask, 16 * v);
    body({
      m,
      unit: (p) => i32.add(get(p), get(u)),
      perK: (p) => i32.add(get(p), get(kk)),
      inRow: (p) => i32.add(i32.add(get(p), get(row)), get(kk)),
    });
    return { setMask: set(mask, laneMask(i32.sub(get(h4), i32.add(get(kk), c(16 * v))))), code: m.body };
  });
  // the same code for every vector (the same cell), so the statements line up one for one
  const interleaved = vectors[0]!.code.flatMap((_, i) => vectors.map((v) => v.code[i]!));
  return [
    ...pre,
    set(h4, i32.mul(get(H), c(4))),
    set(u, c(0)),
    set(row, c(0)),
    for_(b, c(0), get(B), 1, [
      for_(kk, c(0), get(h4), step, [
        ...vectors.map((v) => v.setMask),
        ...interleaved,
        inc(u, i32.min(c(step), i32.sub(get(h4), get(kk)))),
      ]),
      inc(row, i32.mul(get(h4), c(G))),
    ]),
  ];
}

/** Declares an exported function of i32 parameters, returning them by name, and a pointer maker. */
function declare<const N extends readonly string[]>(mod: ModuleBuilder, name: string, names: N) {
  const f = mod.declare(
    names.map(() => 'i32' as const),
    name,
  );
  const p = Object.fromEntries(names.map((n, i) => [n, f.builder.params[i]!])) as Record<N[number], Local<'i32'>>;
  const pre: Stmt[] = [];
  const H = p['H' as N[number]];
  /** A pointer to block `g` (of H floats) of the [·, G·H] or [G·H] array at `base`, set once before the loop. */
  const block = (base: Local<'i32'>, g: number): Local<'i32'> => {
    const q = f.builder.local('i32');
    pre.push(set(q, i32.add(get(base), i32.mul(get(H), c(4 * g)))));
    return q;
  };
  return { f, p, pre, block };
}

/** The flags of an LSTM cell that shape its code (and key its module). */
export interface LSTMCode {
  spec: LSTMCellSpec;
  /** Whether peephole weights are given (the spec's peephole rows are used only then). */
  peep: boolean;
}

/**
 * A module with `lstmStep` (the forward half) or `lstmStepBack` (the backward half) for one cell
 * layout, on `env.memory`, and `init` (the constant table). The halves are separate modules: with
 * `unroll` 1 each is under 4 KB, the most a browser's main thread may compile synchronously (with
 * 2, the forward is not; the caller falls back to 1 where a compile is refused).
 *
 * lstmStep(xw, pre, bias, peep, cPrev, I, F, G, O, A, C, Hh, B, H): gates from xw + pre + bias
 * ([B, G·H] each but bias [G·H]), c = f·cPrev + i·g, h = o·act(c); each output [B, H].
 *
 * lstmStepBack(gOut, dhRec, dc, I, F, G, O, A, cPrev, C, peep, dPeep, dpre, dcOut, B, H): from
 * dh = gOut + dhRec and dc, the gate gradients into dpre [B, G·H] and dc(t−1) into dcOut (not in
 * place: a row's last vector reads the next row's units), adding the peephole gradients into dPeep.
 */
export function lstmModule(code: LSTMCode, half: Half, unroll: Unroll, shared: boolean): Uint8Array<ArrayBuffer> {
  const { spec } = code;
  const gates = (spec.i >= 0 ? 1 : 0) + (spec.f >= 0 ? 1 : 0) + 1 + (spec.o >= 0 ? 1 : 0);
  const peepRow = { i: code.peep ? spec.peepI : -1, f: code.peep ? spec.peepF : -1, o: code.peep ? spec.peepO : -1 };
  const mod = new ModuleBuilder(shared);
  if (half === 'forward') {
    const names = ['xw', 'pre', 'bias', 'peep', 'cPrev', 'I', 'F', 'G', 'O', 'A', 'C', 'Hh', 'B', 'H'] as const;
    const { f, p, pre, block } = declare(mod, 'lstmStep', names);
    const gate = (g: number) => (g >= 0 ? { xw: block(p.xw, g), pre: block(p.pre, g), bias: block(p.bias, g) } : null);
    const [gi, gf, gg, go] = [spec.i, spec.f, spec.g, spec.o].map(gate);
    const [pI = null, pF = null, pO = null] = [peepRow.i, peepRow.f, peepRow.o].map((r) => (r >= 0 ? block(p.peep, r) : null));
    mod.define(
      f,
      unitLoop(f.builder, p.B, p.H, gates, unroll, pre, ({ m, unit, perK, inRow }) => {
        type Gate = NonNullable<typeof gi>;
        const preAct = (g: Gate, peep: Local<'i32'> | null, c: V) => {
          const v = add(add(m.load(inRow(g.xw)), m.load(inRow(g.pre))), m.load(perK(g.bias)));
          return peep ? add(v, mul(m.load(perK(peep)), c)) : v;
        };
        const cp = m.let(m.load(unit(p.cPrev)));
        const iv = gi ? m.sigmoid(preAct(gi, pI, cp)) : null;
        if (iv) m.store(unit(p.I), iv);
        const fv = gf ? m.sigmoid(preAct(gf, pF, cp)) : spec.coupled ? m.let(sub(m.const(1), iv ?? m.const(1))) : null;
        if (gf && fv) m.store(unit(p.F), fv);
        const gPre = preAct(gg!, null, cp);
        const gv = spec.identityG ? m.let(gPre) : m.tanh(gPre);
        m.store(unit(p.G), gv);
        const cv = m.let(add(fv ? mul(fv, cp) : cp, iv ? mul(iv, gv) : gv));
        const ov = go ? m.sigmoid(preAct(go, pO, cv)) : null;
        if (ov) m.store(unit(p.O), ov);
        const a = spec.identityH ? cv : m.tanh(cv);
        m.store(unit(p.A), a);
        m.store(unit(p.C), cv);
        m.store(unit(p.Hh), ov ? mul(ov, a) : a);
      }),
    );
  } else {
    const names = ['gOut', 'dhRec', 'dc', 'I', 'F', 'G', 'O', 'A', 'cPrev', 'C', 'peep', 'dPeep', 'dpre', 'dcOut', 'B', 'H'] as const;
    const { f, p, pre, block } = declare(mod, 'lstmStepBack', names);
    const [di, df, dg, dO] = [spec.i, spec.f, spec.g, spec.o].map((g) => (g >= 0 ? block(p.dpre, g) : null));
    const peeps = (['i', 'f', 'o'] as const).map((g) =>
      peepRow[g] >= 0 ? { w: block(p.peep, peepRow[g]), d: block(p.dPeep, peepRow[g]) } : null,
    );
    const [pI, pF, pO] = peeps;
    mod.define(
      f,
      unitLoop(f.builder, p.B, p.H, gates, unroll, pre, ({ m, unit, perK, inRow }) => {
        const one = m.const(1);
        /** x·(1 − x) */
        const dSigmoid = (x: V) => mul(x, sub(one, x));
        /** Adds the peephole's share to the state gradient `into` and its weight's gradient to dPeep. */
        const peephole = (q: NonNullable<typeof pI>, dGate: V, into: V, state: V): V => {
          m.store(perK(q.d), add(m.load(perK(q.d)), mul(dGate, state)));
          return m.let(add(into, mul(dGate, m.load(perK(q.w)))));
        };
        const dht = m.let(add(m.load(unit(p.gOut)), m.load(unit(p.dhRec))));
        const cp = m.let(m.load(unit(p.cPrev)));
        const cv = m.let(m.load(unit(p.C)));
        const a = m.let(m.load(unit(p.A)));
        const iv = di ? m.let(m.load(unit(p.I))) : null;
        const fv = df ? m.let(m.load(unit(p.F))) : spec.coupled ? m.let(sub(one, iv ?? one)) : null;
        const gv = m.let(m.load(unit(p.G)));
        const ov = dO ? m.let(m.load(unit(p.O))) : null;
        const da = m.let(ov ? mul(dht, ov) : dht);
        let dcs = m.let(add(m.load(unit(p.dc)), spec.identityH ? da : mul(da, sub(one, mul(a, a)))));
        if (dO && ov) {
          const dpo = m.let(mul(mul(dht, a), dSigmoid(ov)));
          m.store(inRow(dO), dpo);
          if (pO) dcs = peephole(pO, dpo, dcs, cv);
        }
        const dgv = iv ? mul(dcs, iv) : dcs;
        m.store(inRow(dg!), spec.identityG ? dgv : mul(dgv, sub(one, mul(gv, gv))));
        let dIn = m.let(mul(dcs, gv));
        const dfv = m.let(mul(dcs, cp));
        let dcPrev = m.let(fv ? mul(dcs, fv) : dcs);
        if (df && fv) {
          const dpf = m.let(mul(dfv, dSigmoid(fv)));
          m.store(inRow(df), dpf);
          if (pF) dcPrev = peephole(pF, dpf, dcPrev, cp);
        } else if (spec.coupled) dIn = m.let(sub(dIn, dfv));
        if (di && iv) {
          const dpi = m.let(mul(dIn, dSigmoid(iv)));
          m.store(inRow(di), dpi);
          if (pI) dcPrev = peephole(pI, dpi, dcPrev, cp);
        }
        m.store(unit(p.dcOut), dcPrev);
      }),
    );
  }
  mod.define(mod.declare([] as const, 'init'), tableInit());
  return mod.encode();
}

/**
 * A module with the GRU's forward or backward step (PyTorch's cell: gates r, z, n; reset after
 * the product), and `init`.
 *
 * gruStep(xw, pre, bias, hPrev, R, Z, N, HN, Hh, B, H): r, z from xw + pre + bias, hn = pre_n +
 * b_n, n = tanh(xw_n + r·hn), h = (1 − z)·n + z·hPrev.
 *
 * gruStepBack(gOut, dhRec, dhNext, R, Z, N, HN, hPrev, dxw, dhw, dhNextOut, B, H): from dh = gOut
 * + dhRec + dhNext, the gradients of xw's and of the product's pre-activations ([B, 3H] each; they
 * differ in the n block by the factor r), and dhNextOut = dh·z (h(t−1)'s share through the z mix).
 */
export function gruModule(half: Half, unroll: Unroll, shared: boolean): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder(shared);
  if (half === 'forward') {
    const { f, p, pre, block } = declare(mod, 'gruStep', ['xw', 'pre', 'bias', 'hPrev', 'R', 'Z', 'N', 'HN', 'Hh', 'B', 'H']);
    const [x, q, b] = [p.xw, p.pre, p.bias].map(
      (base) => [0, 1, 2].map((g) => block(base, g)) as [Local<'i32'>, Local<'i32'>, Local<'i32'>],
    );
    mod.define(
      f,
      unitLoop(f.builder, p.B, p.H, 3, unroll, pre, ({ m, unit, perK, inRow }) => {
        const row = (r: Local<'i32'>) => m.load(inRow(r));
        const bias = (r: Local<'i32'>) => m.load(perK(r));
        const r = m.sigmoid(add(row(x![0]), add(row(q![0]), bias(b![0]))));
        const z = m.sigmoid(add(row(x![1]), add(row(q![1]), bias(b![1]))));
        const hn = m.let(add(row(q![2]), bias(b![2])));
        const n = m.tanh(add(row(x![2]), mul(r, hn)));
        m.store(unit(p.R), r);
        m.store(unit(p.Z), z);
        m.store(unit(p.N), n);
        m.store(unit(p.HN), hn);
        m.store(unit(p.Hh), add(mul(sub(m.const(1), z), n), mul(z, m.load(unit(p.hPrev)))));
      }),
    );
  } else {
    const names = ['gOut', 'dhRec', 'dhNext', 'R', 'Z', 'N', 'HN', 'hPrev', 'dxw', 'dhw', 'dhNextOut', 'B', 'H'] as const;
    const { f, p, pre, block } = declare(mod, 'gruStepBack', names);
    const [dx, dh] = [p.dxw, p.dhw].map((base) => [0, 1, 2].map((g) => block(base, g)) as [Local<'i32'>, Local<'i32'>, Local<'i32'>]);
    mod.define(
      f,
      unitLoop(f.builder, p.B, p.H, 3, unroll, pre, ({ m, unit, inRow }) => {
        const one = m.const(1);
        const dht = m.let(add(add(m.load(unit(p.gOut)), m.load(unit(p.dhRec))), m.load(unit(p.dhNext))));
        const r = m.let(m.load(unit(p.R)));
        const z = m.let(m.load(unit(p.Z)));
        const nv = m.let(m.load(unit(p.N)));
        const dpn = m.let(mul(mul(dht, sub(one, z)), sub(one, mul(nv, nv))));
        const dpz = m.let(mul(mul(mul(dht, sub(m.load(unit(p.hPrev)), nv)), z), sub(one, z)));
        const dpr = m.let(mul(mul(mul(dpn, m.load(unit(p.HN))), r), sub(one, r)));
        m.store(inRow(dx![0]), dpr);
        m.store(inRow(dx![1]), dpz);
        m.store(inRow(dx![2]), dpn);
        m.store(inRow(dh![0]), dpr);
        m.store(inRow(dh![1]), dpz);
        m.store(inRow(dh![2]), mul(dpn, r));
        m.store(unit(p.dhNextOut), mul(dht, z));
      }),
    );
  }
  mod.define(mod.declare([] as const, 'init'), tableInit());
  return mod.encode();
}
