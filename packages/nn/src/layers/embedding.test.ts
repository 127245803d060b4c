import { DTypeError, ShapeError, setSeed, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { assertAllclose, gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { Embedding } from './embedding.js';

const ids = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' }) as Tensor<'int32'>;

describe('Embedding', () => {
  it('has one parameter named weight, [num, dim], initialised N(0, 1)', () => {
    setSeed(0);
    const emb = new Embedding(200, 50);
    expect(Object.keys(emb.stateDict())).toEqual(['weight']);
    expect(emb.weight.shape).toEqual([200, 50]);
    expect(emb.weight.requiresGrad).toBe(true);
    const w = Array.from(emb.weight.dataSync());
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
  });

  it('looks up rows for any index shape: [...indices.shape, dim]', () => {
    const emb = new Embedding(5, 3, { dtype: 'float64' });
    const w = emb.weight.arraySync() as number[][];
    const out = emb.forward(
      ids([
        [4, 0],
        [2, 2],
      ]),
    );
    expect(out.shape).toEqual([2, 2, 3]);
    expect(out.dtype).toBe('float64');
    expect(out.arraySync()).toEqual([
      [w[4], w[0]],
      [w[2], w[2]],
    ]);
    expect(emb.forward(tensor(1, { dtype: 'int32' }) as Tensor<'int32'>).arraySync()).toEqual(w[1]);
    expect(emb.forward(ids([])).shape).toEqual([0, 3]);
  });

  it('gradcheck (float64): the gradient is a scatter-add, repeated indices accumulate', () => {
    const emb = new Embedding(4, 3, { dtype: 'float64' });
    const index = ids([
      [1, 3, 1],
      [0, 1, 2],
    ]);
    const f = (w: Tensor) => {
      emb.weight = w;
      return emb.forward(index).tanh();
    };
    expect(gradcheck(f, [emb.weight.detach()], { order: 2 })).toBe(true);
    const fresh = new Embedding(4, 2, { dtype: 'float64' });
    fresh.forward(index).sum().backward();
    assertAllclose(fresh.weight.grad!, [
      [1, 1],
      [3, 3],
      [1, 1],
      [1, 1],
    ]);
  });

  it('paddingIdx: the row starts at zero and never receives a gradient', () => {
    const emb = new Embedding(6, 4, { paddingIdx: 2, dtype: 'float64' });
    expect(emb.paddingIdx).toBe(2);
    expect(emb.weight.slice([2]).arraySync()).toEqual([0, 0, 0, 0]);
    expect((emb.weight.slice([3]).dataSync() as Float64Array).some((v) => v !== 0)).toBe(true);
    const out = emb.forward(ids([2, 3, 2, 5]));
    out.square().sum().add(out.sum()).backward();
    const g = emb.weight.grad!.arraySync() as number[][];
    expect(g[2]).toEqual([0, 0, 0, 0]);
    expect(g[3]!.some((v) => v !== 0)).toBe(true);
    // a loaded non-zero padding row is still returned as it is (only its gradient is cut)
    emb.loadStateDict({ weight: emb.weight.detach().add(1) });
    expect(emb.forward(ids([2])).arraySync()).toEqual([[1, 1, 1, 1]]);
  });

  it('negative paddingIdx counts from the end', () => {
    expect(new Embedding(6, 2, { paddingIdx: -1 }).paddingIdx).toBe(5);
  });

  it('rejects bad sizes, padding, index dtype and range', () => {
    expect(() => new Embedding(0, 3)).toThrow(ValueError);
    expect(() => new Embedding(3, 1.5)).toThrow(/embeddingDim must be a positive integer/);
    expect(() => new Embedding(3, 2, { paddingIdx: 3 })).toThrow(ValueError);
    expect(() => new Embedding(3, 2, { paddingIdx: -4 })).toThrow(/paddingIdx must be an integer in \[-3, 3\)/);
    const emb = new Embedding(3, 2);
    expect(() => emb.forward(tensor([0, 1]))).toThrow(DTypeError);
    expect(() => emb.forward(ids([0, 3]))).toThrow(ValueError);
    expect(() => emb.forward(ids([-1]))).toThrow(/out of range/);
  });

  it('fromPretrained copies the table and freezes it by default', () => {
    const table = tensor([
      [0, 0],
      [1, 2],
      [3, 4],
    ]);
    const frozen = Embedding.fromPretrained(table);
    expect(frozen.forward(ids([2, 1])).arraySync()).toEqual([
      [3, 4],
      [1, 2],
    ]);
    expect(frozen.parameters()).toEqual([]);
    expect(Object.keys(frozen.stateDict())).toEqual(['weight']);
    const trainable = Embedding.fromPretrained(table, { freeze: false, paddingIdx: 0 });
    expect(trainable.numParameters()).toBe(6);
    expect(trainable.weight.slice([0]).arraySync()).toEqual([0, 0]);
    expect(() => Embedding.fromPretrained(tensor([1, 2]))).toThrow(ShapeError);
  });
});
