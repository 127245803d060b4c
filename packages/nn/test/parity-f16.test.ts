// The PyTorch parity cases (parity-cases.ts) on WebGPU with f16 storage, through the fused
// kernels and through the composite cells. Two comparisons of outputs, states, loss and every
// gradient, relative to each tensor's scale (max(1, max|ref|)):
//  - against our float64 CPU run of the same weights and inputs rounded to half (the fair
//    reference: parity.test.ts ties that run to PyTorch at 1e-10): within 4·2⁻¹¹ ≈ 2e-3, a few
//    roundings to half of values of order one;
//  - against PyTorch's float64 run of the unrounded case: within 8·2⁻¹¹ ≈ 4e-3, the rounding of every
//    weight and input (2⁻¹¹ relative each) carried through the network on top of the first.
import '../../autograd/test/webgpu/f16.js';
import { setBackend, tidy } from '@carousel/autograd';
import { closeMismatch } from '@carousel/autograd/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { roundHalf } from '../../autograd/src/backends/webgpu/half.js';
import { f16Available } from '../../autograd/test/webgpu/f16.js';
import { type Case, load, maxAbs, type Nested, reference, run } from './parity-cases.js';

const TO_ROUNDED = 4 * 2 ** -11;
const TO_TORCH = 8 * 2 ** -11;

const available = await f16Available();

const halve = (v: Nested): Nested => (Array.isArray(v) ? v.map(halve) : roundHalf(v));
/** The case with every weight and input rounded to half. */
const halved = (c: Case): Case => ({
  ...c,
  params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, halve(v)])),
  inputs: Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, halve(v as Nested)])) as Case['inputs'],
});

/** Every tensor of a run, read back as flat float64 arrays. */
async function runOn(backend: 'cpu' | 'webgpu-f16', kind: 'lstm' | 'gru', c: Case, fused: boolean): Promise<Record<string, number[]>> {
  if (backend === 'cpu') await setBackend('cpu');
  else await setBackend('webgpu', { f16: true });
  const outs = tidy(() => run(kind, c, backend === 'cpu' ? 'float64' : 'float32', fused));
  try {
    return Object.fromEntries(await Promise.all(Object.entries(outs).map(async ([k, t]) => [k, Array.from(await t.data())] as const)));
  } finally {
    for (const t of Object.values(outs)) t.dispose();
  }
}

/** Worst error relative to the tensor's scale, per comparison. */
const worst = new Map<string, number>();

function check(what: string, got: Record<string, number[]>, want: Record<string, Nested>, tol: number): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, ref] of Object.entries(want)) {
    const flat = Array.isArray(ref) ? ((ref as number[]).flat(Number.POSITIVE_INFINITY) as number[]) : [ref];
    const scale = Math.max(1, maxAbs(ref));
    const g = got[name]!;
    for (let i = 0; i < flat.length; i++) worst.set(what, Math.max(worst.get(what) ?? 0, Math.abs(g[i]! - flat[i]!) / scale));
    expect(closeMismatch(g, flat, { atol: tol * scale, rtol: 0 }), `${what}: ${name}`).toBeNull();
  }
}

for (const kind of ['lstm', 'gru'] as const) {
  describe.skipIf(!available)(
    `${kind.toUpperCase()} on webgpu-f16 matches float64 (our CPU on half inputs, and torch.nn.${kind.toUpperCase()})`,
    () => {
      afterAll(() => setBackend('cpu'));
      for (const c of load(`${kind}.json`)) {
        for (const fused of [true, false]) {
          const path = fused ? 'fused' : 'composite';
          it(`${c.name} (${path}): outputs, states, loss and every gradient`, { timeout: 60_000 }, async () => {
            const half = halved(c);
            const ours = await runOn('cpu', kind, half, fused);
            const gpu = await runOn('webgpu-f16', kind, half, fused);
            check(`${kind} ${path} vs float64 on half inputs`, gpu, ours, TO_ROUNDED);
            check(`${kind} ${path} vs torch float64`, gpu, reference(c), TO_TORCH);
          });
        }
      }
    },
  );
}

afterAll(() => {
  const rows = [...worst].map(([k, v]) => `  ${k.padEnd(44)} ${v.toExponential(2)}`);
  console.log(`[nn parity f16] worst |webgpu-f16 − float64| / max(1, max|ref|)\n${rows.join('\n')}`);
});
