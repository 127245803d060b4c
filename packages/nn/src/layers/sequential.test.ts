import { randn, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { assertAllclose, gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { Module } from '../module.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layernorm.js';
import { Linear } from './linear.js';
import { Sequential } from './sequential.js';

class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

describe('Sequential', () => {
  it("names children '0', '1', … as PyTorch state dicts do", () => {
    const mlp = new Sequential(new Linear(4, 8), new Dropout(0.1), new Linear(8, 2, { bias: false }), new Sequential(new LayerNorm(2)));
    expect(Object.keys(mlp.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '3.0.weight', '3.0.bias']);
    expect(mlp.namedModules().map(([n]) => n)).toEqual(['0', '1', '2', '3', '3.0']);
    expect(mlp.numParameters()).toBe(4 * 8 + 8 + 8 * 2 + 2 + 2);
  });

  it('keeps numeric order past 10 children', () => {
    const seq = new Sequential(...Array.from({ length: 12 }, () => new Linear(1, 1, { bias: false })));
    expect(Object.keys(seq.stateDict())).toEqual(Array.from({ length: 12 }, (_, i) => `${i}.weight`));
  });

  it('forward chains the children; indexing, at, length and iteration', () => {
    const a = new Linear(3, 5, { dtype: 'float64' });
    const b = new Linear(5, 2, { dtype: 'float64' });
    const seq = new Sequential(a, new Tanh(), b);
    const x = randn([4, 3], { dtype: 'float64' });
    assertAllclose(seq.forward(x), b.forward(a.forward(x).tanh()), { atol: 0, rtol: 0 });
    expect(seq[0]).toBe(a);
    expect(seq.at(-1)).toBe(b);
    expect(seq.length).toBe(3);
    expect([...seq]).toEqual([a, seq[1], b]);
    expect(new Sequential().forward(x)).toBe(x);
    expect(seq.append(new Tanh()).length).toBe(4);
  });

  it('gradcheck (float64) through the chain', () => {
    const seq = new Sequential(
      new Linear(3, 4, { dtype: 'float64' }),
      new Tanh(),
      new LayerNorm(4, { dtype: 'float64' }),
      new Linear(4, 2, { dtype: 'float64' }),
    );
    expect(gradcheck((x) => seq.forward(x), [randn([2, 3], { dtype: 'float64' })], { order: 2 })).toBe(true);
  });

  it('train/eval reach every child; loadStateDict takes PyTorch keys', () => {
    const seq = new Sequential(new Linear(2, 2), new Dropout(0.5), new Sequential(new Dropout(0.2)));
    seq.eval();
    expect(seq.namedModules().every(([, m]) => !m.training)).toBe(true);
    seq.train();
    expect(seq[2]!.training && seq[1]!.training).toBe(true);
    seq.loadStateDict({
      '0.weight': tensor([
        [1, 2],
        [3, 4],
      ]),
      '0.bias': tensor([0.5, -0.5]),
    });
    seq.eval();
    expect(seq.forward(tensor([[1, 1]])).arraySync()).toEqual([[3.5, 6.5]]);
    expect(() => seq.loadStateDict({ weight: tensor([1]) })).toThrow(/missing keys: 0.weight, 0.bias; unexpected keys: weight/);
  });

  it('rejects children that are not modules with forward', () => {
    expect(() => new Sequential({ forward: (x: Tensor) => x } as never)).toThrow(ValueError);
    expect(() => new Sequential(new Linear(1, 1), null as never)).toThrow(/child 1 must be a Module with a forward method, got null/);
  });
});
