// The structural cases of the WebGPU suite, shared by the float32 suites (structural.test.ts,
// matmul-transposed.test.ts, on SwiftShader) and the f16 one (f16-structural.test.ts, on a driver
// with shader-f16): reductions over axes (both kernel classes), argmax, cumsum, matmul (tiles,
// batches, broadcasts, operands stored transposed, with gradients), movement (slice, permute,
// expand, concat, pad, …), gather/scatterAdd, each compared with the CPU by the harness (whose
// `compare` knows which backend the suite opened, and how to compare it).
import { it } from 'vitest';
import { concat, type MatmulOptions, matmul, stack, type Tensor, tensor } from '../../src/index.js';
import { compare, EXACT, input } from './harness.js';

const idx = (shape: number[], seed: number, max: number): Tensor<'int32'> => input(shape, seed, { dtype: 'int32', lo: 0, hi: max });

/** Reductions, argmax, cumsum, matmul, movement, gather and scatterAdd: `it` blocks for the calling describe. */
export function structuralCases(): void {
  const axesCases: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [1, 2]];
  for (const op of ['sum', 'mean', 'prod', 'max', 'min'] as const) {
    it(`reduce ${op} over axes (short rows, one invocation each)`, async () => {
      for (const axis of axesCases) {
        await compare(`${op} axes`, () => {
          const x = input([3, 4, 5], 21, op === 'prod' ? { lo: 0.5, hi: 1.5 } : {});
          return [x[op](axis), x[op](axis, { keepDims: true })];
        });
      }
    });
    it(`reduce ${op} over long rows (a workgroup tree per row)`, async () => {
      await compare(`${op} long rows`, () => {
        const x = input([3, 1000], 22, op === 'prod' ? { lo: 0.999, hi: 1.001 } : {});
        return [x[op](1), x[op]()];
      });
    });
  }

  it('reduce few very long rows (chunked in two passes)', async () => {
    await compare(
      'reduce chunked rows',
      () => {
        const x = input([2, 20000], 24);
        return [x.sum(1), x.max(1), x.min(), x.mean(), input([9001], 25, { dtype: 'int32', lo: -99, hi: 99 }).sum()];
      },
      { atol: 1e-4, rtol: 1e-5 },
    );
  });

  it('reduce int32 (sum, max, min) and an empty axis', async () => {
    await compare(
      'int32 reduce',
      () => {
        const x = input([4, 300], 23, { dtype: 'int32', lo: -1000, hi: 1000 });
        return [x.sum(1), x.max(0), x.min(), x.sum(0)];
      },
      EXACT,
    );
    await compare('empty sum/prod', () => [input([3, 0], 1).sum(1), input([3, 0], 1).prod(1)], EXACT);
  });

  it('argmax/argmin along axes, with ties, short and long axes', async () => {
    await compare(
      'argmax/argmin',
      () => {
        const x = input([4, 5, 6], 31, { lo: -3, hi: 3, integer: true }); // many ties: first index wins
        return [
          x.argmax(0),
          x.argmax(1),
          x.argmin(2),
          x.argmax(),
          x.argmin(undefined, { keepDims: true }),
          x.argmax(-1, { keepDims: true }),
        ];
      },
      EXACT,
    );
    await compare(
      'argmax long rows',
      () => {
        const x = input([3, 700], 32, { lo: -50, hi: 50, integer: true });
        return [x.argmax(1), x.argmin(1), input([2, 300], 33, { dtype: 'int32', lo: -9, hi: 9 }).argmax(1)];
      },
      EXACT,
    );
  });

  it('cumsum along each axis, forward and reverse', async () => {
    await compare('cumsum', () => {
      const x = input([3, 4, 5], 41);
      return [x.cumsum(0), x.cumsum(1), x.cumsum(2, { reverse: true }), x.cumsum(-2, { reverse: true })];
    });
    await compare('cumsum int32', () => input([4, 6], 42, { dtype: 'int32', lo: -20, hi: 20 }).cumsum(1), EXACT);
  });

  it('matmul: tile edges, vectors, a folded batch, batched and broadcast batches, both kernels', async () => {
    const tol = { atol: 1e-5, rtol: 1e-5 };
    await compare('matmul 2-D', () => [input([5, 7], 1).matmul(input([7, 3], 2)), input([33, 40], 3).matmul(input([40, 35], 4))], tol);
    await compare(
      'matmul vectors',
      () => [input([7], 1).matmul(input([7, 3], 2)), input([5, 7], 3).matmul(input([7], 4)), input([6], 5).dot(input([6], 6))],
      tol,
    );
    await compare('matmul folded batch', () => input([2, 3, 17], 5).matmul(input([17, 20], 6)), tol);
    await compare('matmul batched', () => input([4, 3, 18], 7).matmul(input([4, 18, 5], 8)), tol);
    await compare(
      'matmul broadcast batch',
      () => [input([2, 1, 3, 4], 9).matmul(input([3, 4, 2], 10)), input([3, 4], 11).matmul(input([2, 4, 5], 12))],
      tol,
    );
    await compare('matmul transposed operands', () => input([6, 5], 13).T.matmul(input([6, 4], 14)), tol);
    // m, n ≥ 16 take the tiled kernel (thinner outputs the direct one): batched and broadcast there too
    await compare(
      'matmul tiled batches',
      () => [input([3, 20, 17], 15).matmul(input([3, 17, 18], 16)), input([2, 1, 16, 9], 17).matmul(input([3, 9, 33], 18))],
      tol,
    );
    await compare('matmul k = 0', () => input([2, 0], 1).matmul(input([0, 3], 2)), EXACT);
  });

  it('movement: slice, permute, transpose, expand, concat, stack, pad, flip, tile, repeat, split', async () => {
    await compare(
      'slice',
      () => {
        const x = input([4, 5, 6], 51);
        return [x.slice([1, [1, 4], [null, null, 2]]), x.slice([[null, null, -1], null, [5, 0, -2]]), x.slice([[2, 3]])];
      },
      EXACT,
    );
    await compare(
      'permute/transpose',
      () => {
        const x = input([2, 3, 4, 5], 52);
        return [x.permute([3, 1, 0, 2]), x.transpose(0, 2), x.T, x.permute([0, 1, 3, 2]).permute([2, 0, 3, 1])];
      },
      EXACT,
    );
    await compare(
      'expand',
      () => [input([3, 1], 53).expand([2, 3, 4]), input([], 54).expand([5]), input([1, 4], 55, { dtype: 'int32' }).expand([3, 4])],
      EXACT,
    );
    await compare(
      'concat/stack',
      () => {
        const a = input([2, 3], 56);
        const b = input([2, 5], 57);
        return [
          concat([a, b], 1),
          concat([a, a, input([1, 3], 58)], 0),
          stack([a, a], 1),
          concat([input([2], 59, { dtype: 'bool' }), input([3], 60, { dtype: 'bool' })]),
        ];
      },
      EXACT,
    );
    await compare(
      'pad',
      () => [
        input([2, 3], 61).pad(
          [
            [1, 2],
            [0, 3],
          ],
          -1.5,
        ),
        input([3], 62, { dtype: 'int32' }).pad([[2, 1]], 7),
      ],
      EXACT,
    );
    await compare(
      'flip/tile/repeat/split',
      () => {
        const x = input([3, 4], 63);
        return [x.flip(0), x.flip([0, 1]), x.tile([2, 1]), x.repeat(2, 1), ...x.split([1, 3], 1), ...x.chunk(3, 0)];
      },
      EXACT,
    );
  });

  it('gather, indexSelect and scatterAdd (repeated indices accumulate in order)', async () => {
    await compare(
      'gather',
      () => {
        const x = input([3, 5], 71);
        return [
          x.gather(1, idx([3, 4], 72, 5)),
          x.gather(0, idx([6, 5], 73, 3)),
          input([2, 4, 3], 74, { dtype: 'int32' }).gather(1, idx([2, 2, 3], 75, 4)),
        ];
      },
      EXACT,
    );
    await compare('indexSelect', () => input([4, 6], 76).indexSelect(1, tensor([5, 0, 0, 2], { dtype: 'int32' })), EXACT);
    await compare(
      'scatterAdd',
      () => {
        const base = input([4, 3], 77);
        return [base.scatterAdd(0, idx([9, 3], 78, 4), input([9, 3], 79)), base.scatterAdd(1, idx([4, 7], 80, 3), input([4, 7], 81))];
      },
      EXACT,
    );
    await compare(
      'scatterAdd int32',
      () => input([5], 82, { dtype: 'int32' }).scatterAdd(0, idx([12], 83, 5), input([12], 84, { dtype: 'int32' })),
      EXACT,
    );
  });
}

/** op(A) `[...ba, m, k]` · op(B) `[...bb, k, n]`, operands stored transposed per `o`. */
export function product(ba: number[], bb: number[], m: number, k: number, n: number, o: MatmulOptions, seed: number): Tensor[] {
  const a = input(o.transposeA ? [...ba, k, m] : [...ba, m, k], seed);
  const b = input(o.transposeB ? [...bb, n, k] : [...bb, k, n], seed + 1);
  a.requiresGrad = true;
  b.requiresGrad = true;
  const out = matmul(a, b, o);
  out.backward(input(out.shape, seed + 2));
  // take the gradients off the leaves: the harness's tidy disposes a leaf's .grad with it
  const grads = [a.grad!, b.grad!];
  a.grad = null;
  b.grad = null;
  return [out, ...grads];
}

export const layouts: MatmulOptions[] = [{ transposeA: true }, { transposeB: true }, { transposeA: true, transposeB: true }];

/** Matmul with operands stored transposed, both kernels, forward and backward: `it` blocks for the calling describe. */
export function transposedMatmulCases(): void {
  const tol = { atol: 1e-4, rtol: 1e-4 };
  for (const o of layouts) {
    const name = `${o.transposeA ? 'Aᵀ' : 'A'}·${o.transposeB ? 'Bᵀ' : 'B'}`;
    it(`${name}: direct and tiled kernels, batched and broadcast, with gradients`, async () => {
      await compare(`matmul ${name} direct`, () => [...product([], [], 5, 7, 3, o, 1), ...product([2, 1], [3], 4, 6, 2, o, 4)], tol);
      await compare(`matmul ${name} tiled`, () => [...product([], [], 20, 19, 17, o, 7), ...product([2], [], 16, 9, 33, o, 10)], tol);
    });
  }
}
