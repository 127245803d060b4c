// The fused LSTM and GRU kernels on WebGPU against composite cells run in float64 on the CPU, shared
// by the float32 suite (fused.test.ts, on SwiftShader) and the f16 one (f16-fused.test.ts): outputs,
// final states and every gradient (xw, W_hh, b_hh, h0, c0, peepholes) for every variant an
// LSTMCellSpec describes (the zoo's by name, then random flag combinations and sizes by
// fast-check), the same for the GRU, one dispatch per step, and that no GPU buffer outlives a tidy.
// Which backend, and at which tolerance, follows the suite's `useWebGPU` options (harness.ts).
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { activeBackend } from '../../src/backends/backend.js';
import { roundHalf } from '../../src/backends/webgpu/half.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';
import {
  type GRUSequenceInputs,
  gruSequence,
  hasFusedKernel,
  type LSTMCellSpec,
  type LSTMSequenceInputs,
  lstmSequence,
  memory,
  onesLike,
  randn,
  setBackend,
  stack,
  type Tensor,
  tensor,
  tidy,
  vjp,
} from '../../src/index.js';
import { F16, parity, values, webgpuOptions } from './harness.js';

// ---- the composite cells (the reference): the equations of LSTMCellSpec and PyTorch's GRU -------

function lstmComposite({ xw, whh, bhh, h0, c0, peep }: LSTMSequenceInputs, cell: LSTMCellSpec): Tensor {
  const H = h0.shape[1]!;
  const whhT = whh.transpose();
  const withPeep = (v: Tensor, row: number, state: Tensor) => (peep && row >= 0 ? v.add(peep.slice([row]).mul(state)) : v);
  let h = h0;
  let c = c0;
  const outs: Tensor[] = [];
  for (let t = 0; t < xw.shape[0]!; t++) {
    let pre = xw.slice([t]).add(h.matmul(whhT));
    if (bhh) pre = pre.add(bhh);
    const parts = pre.split(H, -1);
    const i = cell.i >= 0 ? withPeep(parts[cell.i]!, cell.peepI, c).sigmoid() : undefined;
    const f = cell.f >= 0 ? withPeep(parts[cell.f]!, cell.peepF, c).sigmoid() : cell.coupled ? (i ? i.neg().add(1) : c.mul(0)) : undefined;
    const g = cell.identityG ? parts[cell.g]! : parts[cell.g]!.tanh();
    const cNew = (f ? f.mul(c) : c).add(i ? i.mul(g) : g);
    const o = cell.o >= 0 ? withPeep(parts[cell.o]!, cell.peepO, cNew).sigmoid() : undefined;
    const act = cell.identityH ? cNew : cNew.tanh();
    h = o ? o.mul(act) : act;
    c = cNew;
    outs.push(h);
  }
  return stack([...outs, c], 0);
}

function gruComposite({ xw, whh, bhh, h0 }: GRUSequenceInputs): Tensor {
  const H = h0.shape[1]!;
  const whhT = whh.transpose();
  let h = h0;
  const outs: Tensor[] = [];
  for (let t = 0; t < xw.shape[0]!; t++) {
    const [xr, xz, xn] = xw.slice([t]).split(H, -1) as [Tensor, Tensor, Tensor];
    let hw = h.matmul(whhT);
    if (bhh) hw = hw.add(bhh);
    const [hr, hz, hn] = hw.split(H, -1) as [Tensor, Tensor, Tensor];
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    h = z.neg().add(1).mul(n).add(z.mul(h));
    outs.push(h);
  }
  return outs.length ? stack(outs, 0) : xw.slice([[0, 0], null, [0, H]]);
}

// ---- one comparison: the same rounded data, CPU float64 composite vs WebGPU fused ---------------

interface Case {
  name: string;
  kind: 'lstm' | 'gru';
  T: number;
  B: number;
  H: number;
  bias: boolean;
  cell?: LSTMCellSpec;
  seed: number;
}

/**
 * Tolerance scaled to each result: |Δ| ≤ atol·max(1, max|ref|) + rtol·|ref|; float32 storage
 * 1e-5 and 1e-4, f16 storage the harness's F16 (h, c and their gradients stay f32 inside the
 * kernels; outputs and gate gradients are rounded to half once).
 */
const tolerance = () => (webgpuOptions().f16 ? F16 : { atol: 1e-5, rtol: 1e-4 });
/** Inputs as the backend's float32 tensors hold them: float32, or half. */
const rounded = (v: number) => (webgpuOptions().f16 ? roundHalf(v) : Math.fround(v));

const gateCount = (c: LSTMCellSpec) => [c.i, c.f, c.g, c.o].filter((j) => j >= 0).length;
const peepRows = (c: LSTMCellSpec) => [c.peepI, c.peepF, c.peepO].filter((j) => j >= 0).length;

/** The inputs of a case as named float32-representable arrays with their shapes, and the output cotangent. */
function caseData(c: Case) {
  const { T, B, H } = c;
  const G = c.kind === 'gru' ? 3 : gateCount(c.cell!);
  const shapes: Record<string, number[]> = { xw: [T, B, G * H], whh: [G * H, H], h0: [B, H] };
  if (c.kind === 'lstm') shapes.c0 = [B, H];
  if (c.bias) shapes.bhh = [G * H];
  const P = c.cell ? peepRows(c.cell) : 0;
  if (P > 0) shapes.peep = [P, H];
  const scale: Record<string, number> = { xw: 1.5, whh: 1.5 / Math.sqrt(H), bhh: 0.5, h0: 1, c0: 1, peep: 0.5 };
  let seed = c.seed;
  const data: Record<string, number[]> = {};
  for (const [k, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    data[k] = values(n, seed++, -scale[k]!, scale[k]!).map(rounded);
  }
  const outShape = [c.kind === 'lstm' ? T + 1 : T, B, H];
  const cotangent = values(
    outShape.reduce((a, b) => a * b, 1),
    seed,
    -1,
    1,
  ).map(rounded);
  return { shapes, data, outShape, cotangent };
}

/** Runs a case on the active backend: `[out, grad of each input]` as float64 arrays, named. */
async function runCase(c: Case, fused: boolean): Promise<Record<string, Float64Array>> {
  const dtype = fused ? 'float32' : 'float64';
  const { shapes, data, outShape, cotangent } = caseData(c);
  const names = Object.keys(shapes);
  const results = tidy(() => {
    const ins = names.map((k) => tensor(Float64Array.from(data[k]!), { shape: shapes[k]!, dtype }));
    const inputs = (a: Tensor[]) => Object.fromEntries(names.map((k, i) => [k, a[i]!]));
    const f = (...a: Tensor[]) => {
      const x = inputs(a);
      if (c.kind === 'gru') return fused ? gruSequence(x as unknown as GRUSequenceInputs) : gruComposite(x as unknown as GRUSequenceInputs);
      const l = x as unknown as LSTMSequenceInputs;
      return fused ? lstmSequence(l, c.cell!) : lstmComposite(l, c.cell!);
    };
    const [out, back] = vjp(f, ...ins);
    return [out, ...back(tensor(Float64Array.from(cotangent), { shape: outShape, dtype }))];
  });
  const named: Record<string, Float64Array> = {};
  for (const [i, k] of ['out', ...names].entries()) {
    named[k] = Float64Array.from(await results[i]!.data());
    results[i]!.dispose();
  }
  return named;
}

/** Compares a case; records the worst absolute and relative errors under `group`. */
async function check(c: Case, group: string): Promise<void> {
  await setBackend('cpu');
  const ref = await runCase(c, false);
  await setBackend('webgpu', webgpuOptions());
  const gpu = await runCase(c, true);
  const { atol, rtol } = tolerance();
  const rec = parity.get(group) ?? { maxAbs: 0, maxRel: 0, n: 0 };
  const bad: string[] = [];
  for (const [k, r] of Object.entries(ref)) {
    const g = gpu[k]!;
    expect(g.length, `${c.name}: ${k}`).toBe(r.length);
    const scale = Math.max(1, ...Array.from(r, Math.abs));
    for (let i = 0; i < r.length; i++) {
      const d = Math.abs(g[i]! - r[i]!);
      rec.n++;
      rec.maxAbs = Math.max(rec.maxAbs, d);
      if (Math.abs(r[i]!) >= 1e-3) rec.maxRel = Math.max(rec.maxRel, d / Math.abs(r[i]!));
      if (!(d <= atol * scale + rtol * Math.abs(r[i]!))) bad.push(`${k}[${i}]: CPU ${r[i]} vs WebGPU ${g[i]}`);
    }
  }
  parity.set(group, rec);
  expect(bad, `${c.name} (${JSON.stringify(c)})`).toEqual([]);
}

// ---- the variants -----------------------------------------------------------------------------

export const spec = (s: Partial<LSTMCellSpec>): LSTMCellSpec => ({
  i: -1,
  f: -1,
  g: -1,
  o: -1,
  peepI: -1,
  peepF: -1,
  peepO: -1,
  coupled: false,
  identityG: false,
  identityH: false,
  ...s,
});
export const TORCH = spec({ i: 0, f: 1, g: 2, o: 3 });
export const VANILLA = spec({ i: 0, f: 1, g: 2, o: 3, peepI: 0, peepF: 1, peepO: 2 });

/** The zoo (nn's LSTM options) as cell specs; forget-bias init and no-bias are weights, not wiring. */
const ZOO: [string, LSTMCellSpec, boolean][] = [
  ['torch.nn.LSTM', TORCH, true],
  ['torch.nn.LSTM, no bias', TORCH, false],
  ['vanilla (peepholes)', VANILLA, true],
  ['NIG (no input gate)', spec({ f: 0, g: 1, o: 2, peepF: 0, peepO: 1 }), true],
  ['NFG (no forget gate)', spec({ i: 0, g: 1, o: 2, peepI: 0, peepO: 1 }), true],
  ['NOG (no output gate)', spec({ i: 0, f: 1, g: 2, peepI: 0, peepF: 1 }), true],
  ['NIAF (identity input activation)', { ...VANILLA, identityG: true }, true],
  ['NOAF (identity output activation)', { ...VANILLA, identityH: true }, true],
  ['CIFG (coupled, peepholes)', spec({ i: 0, g: 1, o: 2, peepI: 0, peepO: 1, coupled: true }), true],
  ['coupled, no peepholes', spec({ i: 0, g: 1, o: 2, coupled: true }), true],
  ['peepholes, no bias', VANILLA, false],
];

/**
 * Any valid LSTMCellSpec: gates present or not in any block order, peepholes on any of the present
 * gates in any row order, every flag (coupled only without a forget gate).
 */
const cellArb: fc.Arbitrary<LSTMCellSpec> = fc
  .record({
    gates: fc
      .shuffledSubarray(['i', 'f', 'o'] as const)
      .chain((gs) => fc.shuffledSubarray([...gs, 'g' as const], { minLength: gs.length + 1 })),
    coupled: fc.boolean(),
    identityG: fc.boolean(),
    identityH: fc.boolean(),
  })
  .chain(({ gates, coupled, ...flags }) =>
    fc
      .shuffledSubarray(gates.filter((g) => g !== 'g'))
      .map((peeps) => ({ gates, peeps, coupled: coupled && !gates.includes('f'), ...flags })),
  )
  .map(({ gates, peeps, ...flags }) => ({
    i: gates.indexOf('i'),
    f: gates.indexOf('f'),
    g: gates.indexOf('g'),
    o: gates.indexOf('o'),
    peepI: peeps.indexOf('i'),
    peepF: peeps.indexOf('f'),
    peepO: peeps.indexOf('o'),
    ...flags,
  }));

/** The comparisons, dispatch counts and memory checks: `it` blocks for the calling describe. */
export function fusedCases(): void {
  it('the WebGPU backend offers both kernels for float32', () => {
    const x = randn([1]);
    expect(hasFusedKernel('lstm', x)).toBe(true);
    expect(hasFusedKernel('gru', x)).toBe(true);
    x.dispose();
  });

  for (const [name, cell, bias] of ZOO) {
    it(`LSTM ${name}: outputs, c(T) and the gradients of xw, W_hh, b_hh, h0, c0, peepholes`, async () => {
      // the second size spans several workgroups and reduction tiles of both GEMMs
      await check({ name, kind: 'lstm', T: 4, B: 3, H: 5, bias, cell, seed: name.length }, `lstm ${name}`);
      await check({ name, kind: 'lstm', T: 3, B: 9, H: 20, bias, cell, seed: 7 * name.length }, `lstm ${name}`);
    });
  }

  it('LSTM: random variants and sizes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        cellArb,
        fc.record({ T: fc.integer({ min: 0, max: 5 }), B: fc.integer({ min: 1, max: 10 }), H: fc.integer({ min: 1, max: 24 }) }),
        fc.boolean(),
        fc.nat(1000),
        async (cell, { T, B, H }, bias, seed) => {
          await check({ name: 'random', kind: 'lstm', T, B, H, bias, cell, seed }, 'lstm random variants');
        },
      ),
      { numRuns: 16, seed: 5 },
    );
  });

  it('LSTM: several workgroups along H (70 units in 64-unit tiles) and along B (18 rows in 16-row tiles)', async () => {
    await check({ name: 'wide', kind: 'lstm', T: 2, B: 2, H: 70, bias: true, cell: VANILLA, seed: 3 }, 'lstm vanilla, large tiles');
    await check({ name: 'tall', kind: 'lstm', T: 2, B: 18, H: 6, bias: true, cell: VANILLA, seed: 4 }, 'lstm vanilla, large tiles');
  });

  it('T = 0: the LSTM returns c0 and passes its gradient to c0; every other gradient is zero', async () => {
    await check({ name: 'T = 0', kind: 'lstm', T: 0, B: 2, H: 3, bias: true, cell: VANILLA, seed: 5 }, 'lstm T = 0');
    await check({ name: 'T = 0', kind: 'gru', T: 0, B: 2, H: 3, bias: true, seed: 6 }, 'gru T = 0');
  });

  it('one dispatch per time step forward, two backward (the replay and BPTT), no matter the variant', () => {
    const gpu = activeBackend() as WebGPUBackend;
    const count = (T: number, kind: 'lstm' | 'gru') =>
      tidy(() => {
        const G = kind === 'lstm' ? 4 : 3;
        const [xw, whh, h0, c0, peep] = [randn([T, 2, G * 3]), randn([G * 3, 3]), randn([2, 3]), randn([2, 3]), randn([3, 3])];
        whh.requiresGrad = true;
        const start = gpu.stats().dispatches;
        const y = kind === 'lstm' ? lstmSequence({ xw, whh, h0, c0, peep }, VANILLA) : gruSequence({ xw, whh, h0 });
        const mid = gpu.stats().dispatches;
        y.backward(onesLike(y));
        return { forward: mid - start, backward: gpu.stats().dispatches - mid };
      });
    for (const kind of ['lstm', 'gru'] as const) {
      const [short, long] = [count(3, kind), count(8, kind)];
      expect(long.forward - short.forward, kind).toBe(5);
      expect(long.backward - short.backward, kind).toBe(10);
    }
  });

  for (const bias of [true, false]) {
    it(`GRU${bias ? '' : ', no bias'}: outputs and the gradients of xw, W_hh, b_hh, h0`, async () => {
      await check({ name: 'gru', kind: 'gru', T: 4, B: 3, H: 5, bias, seed: 11 }, `gru${bias ? '' : ' no bias'}`);
      await check({ name: 'gru', kind: 'gru', T: 3, B: 9, H: 20, bias, seed: 12 }, `gru${bias ? '' : ' no bias'}`);
    });
  }

  it('GRU: random sizes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ T: fc.integer({ min: 0, max: 5 }), B: fc.integer({ min: 1, max: 10 }), H: fc.integer({ min: 1, max: 24 }) }),
        fc.boolean(),
        fc.nat(1000),
        async ({ T, B, H }, bias, seed) => {
          await check({ name: 'random', kind: 'gru', T, B, H, bias, seed }, 'gru random sizes');
        },
      ),
      { numRuns: 8, seed: 9 },
    );
  });

  it('no GPU buffer outlives a tidy of forward and backward passes', async () => {
    const gpu = activeBackend() as WebGPUBackend;
    const step = () =>
      tidy(() => {
        const ins = [randn([5, 3, 16]), randn([16, 4]), randn([16]), randn([3, 4]), randn([3, 4]), randn([3, 4])];
        for (const t of ins) t.requiresGrad = true;
        const [xw, whh, bhh, h0, c0, peep] = ins as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
        const cell = spec({ i: 0, g: 1, o: 2, f: 3, peepI: 0, peepF: 2, peepO: 1 });
        lstmSequence({ xw, whh, bhh, h0, c0, peep }, cell).square().sum().backward();
        gruSequence({ xw: xw.slice([null, null, [0, 12]]), whh: whh.slice([[0, 12]]), h0 })
          .sum()
          .backward();
        return ins.map((t) => t.grad!.sum());
      });
    for (const t of step()) t.dispose(); // warm-up: pipelines compiled, the pool filled
    await gpu.sync();
    const before = memory();
    const live = gpu.stats().buffers.liveBuffers;
    for (let i = 0; i < 3; i++) for (const t of step()) t.dispose();
    await gpu.sync();
    expect(memory().numBytes).toBe(before.numBytes);
    expect(memory().numTensors).toBe(before.numTensors);
    expect(gpu.stats().buffers.liveBuffers).toBe(live);
  });
}
