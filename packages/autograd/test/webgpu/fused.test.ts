// The fused LSTM and GRU kernels on WebGPU against composite cells run in float64 on the CPU
// (fused-cases.ts, shared with the f16 suite): outputs, final states and every gradient for every
// variant an LSTMCellSpec describes, dispatch counts and memory; here also the named errors of bad
// input. nn's layers taking the fused path on WebGPU is in fused-nn.test.ts.
import { describe, expect, it } from 'vitest';
import { DisposedError, DTypeError, gruSequence, lstmSequence, randn, ShapeError, setBackend, tidy, ValueError } from '../../src/index.js';
import { fusedCases, TORCH, VANILLA } from './fused-cases.js';
import { reportParity, useWebGPU, webgpuAvailable } from './harness.js';

const available = await webgpuAvailable();
/** SwiftShader compiles each tile shape's pipelines in seconds (more on a loaded machine). */
const SLOW = { timeout: 180_000 };

describe.skipIf(!available)('fused recurrent kernels on WebGPU = composite cells (float64 CPU reference)', SLOW, () => {
  useWebGPU();
  reportParity('fused LSTM/GRU vs float64 composite');
  fusedCases();
});

describe.skipIf(!available)('fused kernels on WebGPU: errors and memory', SLOW, () => {
  useWebGPU();

  it('bad input gets the same named errors as on the CPU', async () => {
    const cases: [string, () => unknown, new (...a: never[]) => Error][] = [
      ['xw rank', () => lstmSequence({ xw: randn([2, 8]), whh: randn([8, 2]), h0: randn([1, 2]), c0: randn([1, 2]) }, TORCH), ShapeError],
      ['G·H', () => lstmSequence({ xw: randn([2, 1, 7]), whh: randn([8, 2]), h0: randn([1, 2]), c0: randn([1, 2]) }, TORCH), ShapeError],
      ['whh', () => lstmSequence({ xw: randn([2, 1, 8]), whh: randn([8, 3]), h0: randn([1, 2]), c0: randn([1, 2]) }, TORCH), ShapeError],
      [
        'missing peep',
        () => lstmSequence({ xw: randn([2, 1, 8]), whh: randn([8, 2]), h0: randn([1, 2]), c0: randn([1, 2]) }, VANILLA),
        ValueError,
      ],
      ['int32 xw', () => gruSequence({ xw: randn([2, 1, 6]).cast('int32'), whh: randn([6, 2]), h0: randn([1, 2]) }), DTypeError],
      ['GRU 3·H', () => gruSequence({ xw: randn([2, 1, 7]), whh: randn([6, 2]), h0: randn([1, 2]) }), ShapeError],
    ];
    for (const backend of ['cpu', 'webgpu'] as const) {
      await setBackend(backend);
      for (const [name, run, type] of cases) {
        tidy(() => {
          const call = () => run();
          expect(call, `${backend}: ${name}`).toThrow(type);
          expect(call, `${backend}: ${name}`).toThrow(/lstmSequence|gruSequence/);
        });
      }
    }
  });

  it('an input disposed before the backward is a DisposedError (the backward replays the forward)', () => {
    tidy(() => {
      const whh = randn([6, 2]);
      whh.requiresGrad = true;
      const y = gruSequence({ xw: randn([3, 1, 6]), whh, h0: randn([1, 2]) });
      whh.dispose();
      expect(() => y.sum().backward()).toThrow(DisposedError);
      expect(() => y.sum().backward()).toThrow(/gruSequence.*whh was disposed/);
    });
  });
});
