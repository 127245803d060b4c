import { DTypeError, memory, ones, randn, ShapeError, type Tensor, tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { Linear } from './layers/linear.js';
import { Module, parameter } from './module.js';

class Block extends Module {
  first = new Linear(2, 3);
  layers = [new Linear(3, 3), new Linear(3, 1, { bias: false })];
  scale = parameter(ones([1]));
  runningMean = zeros([3]); // a buffer: saved, not trained
  #cache = parameter(zeros([5])); // private: invisible
  forward(x: Tensor) {
    return this.layers.reduce((h, l) => l.forward(h).tanh(), this.first.forward(x)).mul(this.scale);
  }
  cacheSize() {
    return this.#cache.size;
  }
}

describe('Module', () => {
  it('finds parameters, children and buffers by walking its fields, in PyTorch order', () => {
    const m = new Block();
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'first.weight',
      'first.bias',
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'scale',
    ]);
    expect(Object.keys(m.stateDict())).toEqual([
      'first.weight',
      'first.bias',
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'scale',
      'runningMean',
    ]);
    expect(m.namedModules().map(([n]) => n)).toEqual(['first', 'layers.0', 'layers.1']);
    expect(m.numParameters()).toBe(2 * 3 + 3 + 9 + 3 + 3 + 1);
    expect(m.cacheSize()).toBe(5);
  });

  it('round-trips a state dict and copies values in place', () => {
    const a = new Block();
    const b = new Block();
    const weightBefore = b.first.weight;
    b.loadStateDict(a.stateDict());
    expect(b.first.weight).toBe(weightBefore); // same tensor, new values
    const x = randn([4, 2]);
    expect([...b.forward(x).dataSync()]).toEqual([...a.forward(x).dataSync()]);
  });

  it('is strict by default: missing and unexpected keys are listed', () => {
    const m = new Block();
    const { scale: _, ...missing } = m.stateDict();
    expect(() => m.loadStateDict(missing)).toThrow(ValueError);
    expect(() => m.loadStateDict(missing)).toThrow(/missing keys: scale/);
    expect(() => m.loadStateDict({ ...m.stateDict(), extra: ones([1]) })).toThrow(/unexpected keys: extra/);
    expect(() => m.loadStateDict(missing, { strict: false })).not.toThrow();
  });

  it('rejects a shape mismatch even when not strict, naming the key and both shapes', () => {
    const m = new Block();
    const bad = { ...m.stateDict(), 'first.weight': ones([2, 3]) };
    expect(() => m.loadStateDict(bad, { strict: false })).toThrow(ShapeError);
    expect(() => m.loadStateDict(bad)).toThrow(/'first\.weight' has shape \[2, 3\], the module expects \[3, 2\]/);
  });

  it('casts float64 values into float32 parameters', () => {
    const l = new Linear(1, 1);
    l.loadStateDict({ weight: tensor([[0.5]], { dtype: 'float64' }), bias: tensor([0.25], { dtype: 'float64' }) });
    expect(l.weight.dtype).toBe('float32');
    expect([...l.forward(tensor([[2]])).dataSync()]).toEqual([1.25]);
  });

  it('train() and eval() reach every child', () => {
    const m = new Block().eval();
    expect([m, ...m.namedModules().map(([, c]) => c)].every((c) => !c.training)).toBe(true);
    m.train();
    expect(m.layers[1]!.training).toBe(true);
  });

  it('zeroGrad clears and frees gradients', () => {
    const m = new Block();
    m.forward(randn([2, 2]))
      .sum()
      .backward();
    expect(m.first.weight.grad).not.toBeNull();
    const before = memory().numTensors;
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    expect(memory().numTensors).toBeLessThan(before);
  });

  it('parameter() makes a trainable leaf, detaching a computed tensor', () => {
    const x = ones([2], { requiresGrad: true });
    const p = parameter(x.mul(2));
    expect(p.isLeaf && p.requiresGrad).toBe(true);
    expect(() => parameter(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
  });

  it('a forward/backward loop in tidy leaks nothing', () => {
    const m = new Linear(3, 2);
    const x = randn([4, 3]);
    const step = () =>
      tidy(() => {
        m.forward(x).square().mean().backward();
        m.zeroGrad();
      });
    step();
    const before = memory();
    for (let i = 0; i < 200; i++) step();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});

describe('regression: building layers leaks no tensors', () => {
  it('LSTM, GRU and Linear construction leaves exactly their parameters alive', async () => {
    const { LSTM } = await import('./rnn/lstm.js');
    const { GRU } = await import('./rnn/gru.js');
    for (const build of [() => new Linear(4, 3), () => new LSTM(7, 8, { numLayers: 2 }), () => new GRU(3, 5, { bidirectional: true })]) {
      const before = memory().numTensors;
      const m = build();
      expect(memory().numTensors - before).toBe(m.parameters().length);
    }
  });
});
