import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DisposedError } from './errors.js';
import { ones, randn, setSeed, tensor, uniform, zeros } from './index.js';
import { dispose, keep, type MemoryInfo, memory, tidy } from './memory.js';
import { noGrad, valueAndGrad } from './tape.js';
import type { Tensor } from './tensor.js';

/** The counters that must not drift (numFinalized counts leaks the garbage collector caught). */
const live = (m: MemoryInfo = memory()) => ({
  numTensors: m.numTensors,
  numBuffers: m.numBuffers,
  numBytes: m.numBytes,
  numFinalized: m.numFinalized,
});

describe('a training loop inside tidy', () => {
  it('keeps the live-tensor count flat over 1,000 steps of forward + backward', { timeout: 60_000 }, () => {
    setSeed(7);
    const x = randn([16, 4]);
    const y = randn([16, 2]).tanh().mul(0.5);
    let w: Tensor<'float32'> = uniform([4, 2], -0.5, 0.5, { requiresGrad: true });
    let b: Tensor<'float32'> = zeros([2], { requiresGrad: true });
    const lr = 0.1;
    const before = live();
    const seen: ReturnType<typeof live>[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 1000; step++) {
      const [nextW, nextB, loss] = tidy(() => {
        const l = x.matmul(w).add(b).tanh().sub(y).square().mean();
        l.backward();
        // new parameters (leaves), computed untracked from the gradients
        return noGrad(() => [w.sub(w.grad!.mul(lr)), b.sub(b.grad!.mul(lr)), l.item()] as const);
      });
      nextW.requiresGrad = true;
      nextB.requiresGrad = true;
      dispose([w, b]); // the old parameters, and with them their .grad
      w = nextW;
      b = nextB;
      losses.push(loss);
      seen.push(live());
    }
    for (const m of seen) expect(m).toEqual(before);
    expect(losses[999]!).toBeLessThan(losses[0]! * 0.9); // it did learn (the parameters changed)
    dispose([x, y, w, b]);
  });

  it('keeps it flat with valueAndGrad too (the gradients are disposed by tidy)', { timeout: 60_000 }, () => {
    setSeed(8);
    const x = randn([8, 3]);
    const t = randn([8, 1]);
    let w: Tensor<'float32'> = randn([3, 1]);
    const loss = (p: Tensor<'float32'>) => x.matmul(p).sub(t).square().mean();
    const step = valueAndGrad(loss);
    const before = live();
    const values: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const [next, l] = tidy(() => {
        const [value, g] = step(w);
        return [w.sub(g.mul(0.05)), Number(value.item())] as const;
      });
      w.dispose();
      w = next;
      values.push(l);
      expect(live()).toEqual(before);
    }
    expect(values[999]!).toBeLessThan(values[0]!);
    dispose([x, t, w]);
  });
});

describe('tidy', () => {
  it('disposes intermediates and keeps what fn returns', () => {
    const before = live();
    const a = ones([3]);
    let inner: Tensor | undefined;
    const out = tidy(() => {
      inner = a.mul(2);
      return inner.add(1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
    expect([...out.dataSync()]).toEqual([3, 3, 3]);
    expect(a.isDisposed).toBe(false); // created outside: not tidy's to dispose
    dispose([a, out]);
    expect(live()).toEqual(before);
  });

  it('returns tensors nested in arrays and plain objects, with other values', () => {
    const before = live();
    const result = tidy(() => {
      const t = ones([2]);
      t.add(1); // dropped
      return { list: [t.mul(2), [t.mul(3)]] as const, obj: { deep: { v: t.mul(4) } }, n: 5, s: 'x', nil: null };
    });
    expect(result.n).toBe(5);
    expect(result.s).toBe('x');
    expect([...result.list[0].dataSync()]).toEqual([2, 2]);
    expect([...result.list[1][0].dataSync()]).toEqual([3, 3]);
    expect([...result.obj.deep.v.dataSync()]).toEqual([4, 4]);
    expect(memory().numTensors).toBe(before.numTensors + 3);
    dispose(result);
    expect(live()).toEqual(before);
  });

  it('moves returned tensors to the enclosing scope, which disposes them unless it returns them too', () => {
    const before = live();
    let fromInner: Tensor | undefined;
    const kept = tidy(() => {
      fromInner = tidy(() => ones([2]).mul(5));
      expect(fromInner.isDisposed).toBe(false);
      const survivor = tidy(() => ones([2]).mul(7));
      return survivor.add(0);
    });
    expect(fromInner!.isDisposed).toBe(true);
    expect([...kept.dataSync()]).toEqual([7, 7]);
    kept.dispose();
    expect(live()).toEqual(before);
  });

  it('keep() exempts a tensor from every enclosing tidy', () => {
    const before = live();
    let k1: Tensor | undefined;
    let k2: Tensor | undefined;
    tidy(() => {
      k1 = keep(ones([1]));
      tidy(() => {
        k2 = keep(ones([1]).mul(2));
      });
      expect(k2!.isDisposed).toBe(false);
    });
    expect(k1!.isDisposed).toBe(false);
    expect(k2!.isDisposed).toBe(false);
    expect(k2!.item()).toBe(2);
    dispose([k1!, k2!]);
    expect(live()).toEqual(before);
  });

  it('refuses an async fn', () => {
    expect(() => tidy(async () => 1)).toThrow(/must be synchronous/);
  });

  it('regression: disposes what a throwing fn created, and stays usable', () => {
    const before = live();
    let made: Tensor | undefined;
    expect(() =>
      tidy(() => {
        made = ones([100]).mul(2);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(made!.isDisposed).toBe(true);
    expect(live()).toEqual(before);
    // nested: the inner throw frees the inner scope, the outer keeps its own
    const out = tidy(() => {
      const mine = ones([2]);
      expect(() =>
        tidy(() => {
          mine.mul(3);
          throw new Error('inner');
        }),
      ).toThrow('inner');
      expect(mine.isDisposed).toBe(false);
      return mine;
    });
    expect([...out.dataSync()]).toEqual([1, 1]);
    out.dispose();
    expect(live()).toEqual(before);
  });
});

describe('dispose', () => {
  it('frees tensors in any container, once', () => {
    const before = live();
    const a = ones([4]);
    const b = zeros([2, 2], { dtype: 'float64' });
    expect(memory().numBytes).toBe(before.numBytes + 4 * 4 + 4 * 8);
    dispose({ a, list: [b, 3, null, undefined, 'x'] });
    expect(a.isDisposed).toBe(true);
    expect(b.isDisposed).toBe(true);
    expect(live()).toEqual(before);
    a.dispose(); // idempotent
    dispose([a, b]);
    expect(live()).toEqual(before);
  });

  it('makes every later use throw a DisposedError', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => t.dataSync()).toThrow(DisposedError);
    expect(() => t.arraySync()).toThrow(DisposedError);
    expect(() => t.add(1)).toThrow(DisposedError);
    expect(() => ones([3]).add(t)).toThrow(DisposedError);
    expect(() => t.reshape([3, 1])).toThrow(DisposedError);
    expect(() => t.detach()).toThrow(DisposedError);
    expect(() => t.sum()).toThrow(DisposedError);
    expect(() => t.dataSync()).toThrow(/disposed/);
    expect(t.toString()).toMatch(/disposed/);
    expect(t.shape).toEqual([3]); // metadata stays readable
  });

  it('disposes a tensor’s .grad with it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.square().sum().backward();
    const g = x.grad!;
    x.dispose();
    expect(g.isDisposed).toBe(true);
    expect(x.grad).toBeNull();
  });

  it('a tensor disposed by tidy throws a DisposedError', () => {
    let inner: Tensor | undefined;
    tidy(() => {
      inner = ones([2]);
    });
    expect(() => inner!.mul(2)).toThrow(DisposedError);
  });
});

describe('views share storage', () => {
  it('reshape shares the buffer: disposing one view keeps the other alive', () => {
    const before = live();
    const a = tensor([1, 2, 3, 4, 5, 6]);
    const b = a.reshape([2, 3]);
    expect(b.storage).toBe(a.storage);
    expect(memory().numTensors).toBe(before.numTensors + 2);
    expect(memory().numBuffers).toBe(before.numBuffers + 1);
    expect(memory().numBytes).toBe(before.numBytes + 24);
    a.dispose();
    expect(b.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(memory().numTensors).toBe(before.numTensors + 1);
    expect(memory().numBytes).toBe(before.numBytes + 24); // still held by b
    b.dispose();
    expect(live()).toEqual(before);
  });

  it('the other order, and detach, behave the same', () => {
    const before = live();
    const a = zeros([4], { dtype: 'float64' });
    const v = a.reshape([2, 2]);
    const d = v.detach();
    expect(d.storage).toBe(a.storage);
    v.dispose();
    a.dispose();
    expect(memory().numBytes).toBe(before.numBytes + 32);
    expect([...d.dataSync()]).toEqual([0, 0, 0, 0]);
    d.dispose();
    expect(live()).toEqual(before);
  });

  it('a view returned from tidy keeps its buffer after the source is disposed', () => {
    const before = live();
    const v = tidy(() => tensor([1, 2, 3, 4]).reshape([2, 2]));
    expect(v.arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(memory().numTensors).toBe(before.numTensors + 1);
    expect(memory().numBuffers).toBe(before.numBuffers + 1);
    v.dispose();
    expect(live()).toEqual(before);
  });
});

describe('the garbage-collection safety net', () => {
  it('returns the buffers of tensors dropped without dispose, and counts them', { timeout: 60_000 }, () => {
    // in a child process, to call gc() and not disturb this process's counters
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `
      const { memory, zeros } = await import(${JSON.stringify(index)});
      const before = memory();
      (() => { for (let i = 0; i < 10; i++) zeros([1000]); })();
      const mid = memory();
      for (let i = 0; i < 50 && memory().numFinalized < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify({ before, mid, after: memory() }));`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    const { before, mid, after } = JSON.parse(out) as Record<string, MemoryInfo>;
    expect(mid!.numTensors - before!.numTensors).toBe(10);
    expect(mid!.numBytes - before!.numBytes).toBe(40_000);
    expect(after!.numFinalized - before!.numFinalized).toBe(10);
    expect(after!.numTensors).toBe(before!.numTensors);
    expect(after!.numBytes).toBe(before!.numBytes);
  });

  it('also catches tensors that left tidy scopes (returned from the outermost, or kept) and were dropped', { timeout: 60_000 }, () => {
    // tensors inside a scope are not registered with the safety net (the scope frees them); the ones
    // that escape must be registered when they do
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `
      const { keep, memory, tidy, zeros } = await import(${JSON.stringify(index)});
      const before = memory();
      (() => {
        for (let i = 0; i < 4; i++) tidy(() => tidy(() => zeros([1000]).add(1)));
        for (let i = 0; i < 3; i++) tidy(() => { keep(zeros([1000]).mul(2)); });
      })();
      const mid = memory();
      for (let i = 0; i < 50 && memory().numFinalized - before.numFinalized < 7; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify({ before, mid, after: memory() }));`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    const { before, mid, after } = JSON.parse(out) as Record<string, MemoryInfo>;
    expect(mid!.numTensors - before!.numTensors).toBe(7);
    expect(after!.numFinalized - before!.numFinalized).toBe(7);
    expect(after!.numTensors).toBe(before!.numTensors);
    expect(after!.numBytes).toBe(before!.numBytes);
  });
});
