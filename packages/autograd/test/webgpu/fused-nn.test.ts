// nn's LSTM and GRU on WebGPU take the fused kernels (the recorded graph holds lstmSequence /
// gruSequence, not the per-step composite), and their outputs, final states and every gradient
// (input, h0, c0, each parameter) match the same layer run as the composite in float64 on the CPU.
// GRU with the reset before the matmul has no fused kernel and must fall back, with the same results.
import { describe, expect, it } from 'vitest';
// nn depends on this package, so the layers are imported by path (the same modules the package loads)
import { GRU, type GRUOptions, LSTM, type LSTMOptions } from '../../../nn/src/index.js';
import { setBackend, setSeed, type Tensor, tensor, tidy } from '../../src/index.js';
import { parity, reportParity, useWebGPU, values, webgpuAvailable } from './harness.js';

const available = await webgpuAvailable();

type Layer = LSTM | GRU;
type Make = (dtype: 'float32' | 'float64', fused: boolean) => Layer;

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

interface Data {
  params: Record<string, { shape: number[]; data: number[] }>;
  x: number[];
  h0: number[];
  c0: number[];
}

/** Float32-representable parameters (the layer's own init, rounded) and inputs. */
function makeData(make: Make, T: number, B: number): Data {
  const layer = make('float64', false);
  const params = Object.fromEntries(
    Object.entries(layer.stateDict()).map(([k, t]) => [k, { shape: [...t.shape], data: Array.from(t.dataSync(), Math.fround) }]),
  );
  const L = layer.numLayers * layer.numDirections;
  const n = (m: number, seed: number) => values(m, seed, -1, 1).map(Math.fround);
  return {
    params,
    x: n(T * B * layer.inputSize, 1),
    h0: n(L * B * layer.hiddenSize, 2),
    c0: n(L * B * layer.hiddenSize, 3),
  };
}

/** Forward and backward on the active backend: results by name as float64 arrays, and the ops recorded. */
async function run(make: Make, d: Data, dtype: 'float32' | 'float64', fused: boolean, T: number, B: number) {
  const { results, ops } = tidy(() => {
    const layer = make(dtype, fused);
    const t = (data: number[], shape: number[], grad = false) => {
      const v = tensor(Float64Array.from(data), { shape, dtype });
      v.requiresGrad = grad;
      return v;
    };
    layer.loadStateDict(Object.fromEntries(Object.entries(d.params).map(([k, p]) => [k, t(p.data, p.shape)])));
    const L = layer.numLayers * layer.numDirections;
    const xShape = layer.batchFirst ? [B, T, layer.inputSize] : [T, B, layer.inputSize];
    const x = t(d.x, xShape, true);
    const h0 = t(d.h0, [L, B, layer.hiddenSize], true);
    const c0 = layer instanceof LSTM ? t(d.c0, [L, B, layer.hiddenSize], true) : undefined;
    const { output, state } = layer.forward(x, c0 ? { h: h0, c: c0 } : { h: h0 });
    const s = state as { h: Tensor; c?: Tensor };
    const cotangent = values(output.size, 4, -1, 1).map(Math.fround); // weights make each position's gradient distinct
    let loss = output
      .mul(t(cotangent, [...output.shape]))
      .sum()
      .add(s.h.square().sum());
    if (s.c) loss = loss.add(s.c.mul(s.c.tanh()).sum());
    const ops = opsUnder(loss);
    loss.backward();
    // clones: the tidy disposes the leaves, and their .grad with them
    const results: Record<string, Tensor> = { output, h: s.h, x: x.grad!.clone(), h0: h0.grad!.clone() };
    if (s.c && c0) Object.assign(results, { c: s.c, c0: c0.grad!.clone() });
    for (const [k, p] of layer.namedParameters()) results[`grad ${k}`] = p.grad!.clone();
    return { results, ops };
  });
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(results)) {
    out[k] = Float64Array.from(await v.data());
    v.dispose();
  }
  return { out, ops };
}

/** GPU fused float32 vs CPU composite float64; |Δ| ≤ 1e-5·max(1, max|ref|) + 1e-4·|ref|. */
async function compareLayers(name: string, make: Make, T: number, B: number, fusedOp: string | null): Promise<void> {
  setSeed(T * 31 + B);
  await setBackend('cpu');
  const d = makeData(make, T, B);
  const ref = await run(make, d, 'float64', false, T, B);
  await setBackend('webgpu');
  const gpu = await run(make, d, 'float32', true, T, B);
  for (const op of ['lstmSequence', 'gruSequence']) expect(gpu.ops.has(op), `${name}: ${op} recorded`).toBe(op === fusedOp);
  expect(ref.ops.has('lstmSequence') || ref.ops.has('gruSequence')).toBe(false);
  const rec = parity.get(name) ?? { maxAbs: 0, maxRel: 0, n: 0 };
  expect(Object.keys(gpu.out).sort()).toEqual(Object.keys(ref.out).sort());
  const bad: string[] = [];
  for (const [k, r] of Object.entries(ref.out)) {
    const g = gpu.out[k]!;
    const scale = Math.max(1, ...Array.from(r, Math.abs));
    r.forEach((rv, i) => {
      const diff = Math.abs(g[i]! - rv);
      rec.n++;
      rec.maxAbs = Math.max(rec.maxAbs, diff);
      if (Math.abs(rv) >= 1e-3) rec.maxRel = Math.max(rec.maxRel, diff / Math.abs(rv));
      if (!(diff <= 1e-5 * scale + 1e-4 * Math.abs(rv))) bad.push(`${k}[${i}]: CPU ${rv} vs WebGPU ${g[i]}`);
    });
  }
  parity.set(name, rec);
  expect(bad, name).toEqual([]);
}

const lstmConfigs: [string, LSTMOptions][] = [
  ['torch.nn.LSTM', {}],
  ['vanilla (peepholes), batchFirst', { variant: 'vanilla', batchFirst: true }],
  ['CIFG, no bias', { variant: 'CIFG', bias: false }],
  ['two layers, bidirectional', { numLayers: 2, bidirectional: true }],
];
const gruConfigs: [string, GRUOptions, boolean][] = [
  ['torch.nn.GRU', {}, true],
  ['bidirectional, no bias', { bidirectional: true, bias: false }, true],
  ["reset 'before' (no fused kernel: the composite)", { reset: 'before' }, false],
];

describe.skipIf(!available)('nn LSTM and GRU on WebGPU take the fused kernels', { timeout: 180_000 }, () => {
  useWebGPU();
  reportParity('nn layers on WebGPU (fused) vs float64 composite on the CPU');

  for (const [name, opts] of lstmConfigs) {
    it(`LSTM ${name}: lstmSequence is recorded; outputs, states and every gradient match`, async () => {
      const make: Make = (dtype, fused) => new LSTM(3, 5, { ...opts, dtype, fused });
      await compareLayers(`LSTM ${name}`, make, 4, 3, 'lstmSequence');
    });
  }

  for (const [name, opts, fused] of gruConfigs) {
    it(`GRU ${name}: ${fused ? 'gruSequence is recorded' : 'falls back'}; outputs, states and every gradient match`, async () => {
      const make: Make = (dtype, f) => new GRU(3, 5, { ...opts, dtype, fused: f });
      await compareLayers(`GRU ${name}`, make, 4, 3, fused ? 'gruSequence' : null);
    });
  }
});
