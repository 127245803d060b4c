import { memory, randn, setSeed, type Tensor, tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { mseLoss } from '../losses.js';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from './index.js';

// A separable test objective with a parameter-dependent gradient: L(θ) = Σ aᵢθᵢ² + bᵢθᵢ, ∇L = 2aθ + b.
const A = [0.5, 2, 1.5];
const B = [-1, 0.3, 2];
const INIT = [1, -2, 0.5];
const gradOf = (p: number[]) => p.map((v, i) => 2 * A[i]! * v + B[i]!);
const lossOf = (p: Tensor) =>
  p
    .square()
    .mul(tensor(A, { dtype: 'float64' }))
    .add(p.mul(tensor(B, { dtype: 'float64' })))
    .sum();

/** Runs `steps` optimizer steps on the objective, returning θ after each step. */
function trajectory(make: (params: Tensor[]) => Optimizer, steps: number): number[][] {
  const p = tensor(INIT, { dtype: 'float64', requiresGrad: true });
  const opt = make([p]);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      lossOf(p).backward();
      opt.step();
    });
    opt.zeroGrad();
    out.push(Array.from(p.dataSync()));
  }
  opt.dispose();
  return out;
}

/** The same trajectory with a hand-written update rule in plain float64 JS. */
function reference(update: (p: number[], g: number[], t: number) => number[], steps: number): number[][] {
  let p = [...INIT];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    p = update(p, gradOf(p), t);
    out.push([...p]);
  }
  return out;
}

const expectTrajectory = (got: number[][], want: number[][], digits = 13) => {
  expect(got.length).toBe(want.length);
  for (const [s, row] of got.entries()) {
    for (const [i, v] of row.entries()) expect(v, `step ${s + 1}, element ${i}`).toBeCloseTo(want[s]![i]!, digits);
  }
};

describe('SGD', () => {
  it('plain SGD on ½aθ² follows the closed form θₜ = θ₀(1 − lr·2a)ᵗ − …', () => {
    // with b = 0 the iteration is geometric: θₜ = θ₀·(1 − 2a·lr)ᵗ
    const p = tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const a = tensor([0.5, 2], { dtype: 'float64' });
    const opt = new SGD([p], { lr: 0.1 });
    for (let t = 0; t < 5; t++) {
      tidy(() => {
        p.square().mul(a).sum().backward();
        opt.step();
      });
      opt.zeroGrad();
    }
    expect(p.dataSync()[0]).toBeCloseTo(1 * (1 - 0.1) ** 5, 14);
    expect(p.dataSync()[1]).toBeCloseTo(-2 * (1 - 0.4) ** 5, 14);
  });
  it('defaults to PyTorch’s lr 1e-3', () => {
    expect(new SGD([zeros([1], { requiresGrad: true })]).lr).toBe(1e-3);
  });

  const sgdRef = (lr: number, mu: number, tau: number, wd: number, nesterov: boolean) => {
    let buf: number[] | null = null;
    return (p: number[], g0: number[]) => {
      const g = g0.map((v, i) => v + wd * p[i]!);
      buf = buf === null ? [...g] : buf.map((b, i) => mu * b + (1 - tau) * g[i]!);
      const d = nesterov ? g.map((v, i) => v + mu * buf![i]!) : buf;
      return p.map((v, i) => v - lr * d[i]!);
    };
  };
  it('momentum and dampening match a hand computation over 6 steps (buffer starts at g₁)', () => {
    expectTrajectory(
      trajectory((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3 }), 6),
      reference(sgdRef(0.05, 0.9, 0.3, 0, false), 6),
    );
  });
  it('Nesterov momentum with weight decay matches a hand computation', () => {
    expectTrajectory(
      trajectory((ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, weightDecay: 0.1, nesterov: true }), 6),
      reference(sgdRef(0.05, 0.8, 0, 0.1, true), 6),
    );
  });
  it('float32 parameters (the in-place CPU loop) follow the float64 reference to float32 precision', () => {
    const p = tensor(INIT, { dtype: 'float32', requiresGrad: true });
    const a = tensor(A, { dtype: 'float32' });
    const b = tensor(B, { dtype: 'float32' });
    const opt = new SGD([p], { lr: 0.05, momentum: 0.8, weightDecay: 0.1, nesterov: true });
    const got: number[][] = [];
    for (let s = 0; s < 6; s++) {
      tidy(() => {
        p.square().mul(a).add(p.mul(b)).sum().backward();
        opt.step();
      });
      opt.zeroGrad();
      got.push(Array.from(p.dataSync()));
    }
    expect(p.dtype).toBe('float32');
    expectTrajectory(got, reference(sgdRef(0.05, 0.8, 0, 0.1, true), 6), 5);
    opt.dispose();
  });
  it('three steps of momentum written out by hand', () => {
    // θ = 1, ∇ = 2·0.5·θ − 1 = θ − 1; lr 0.1, μ 0.5
    // t1: g = 0,       b = 0,                  θ = 1
    // use θ₀ = 3 instead: t1: g = 2, b = 2, θ = 2.8; t2: g = 1.8, b = 2.8, θ = 2.52; t3: g = 1.52, b = 2.92, θ = 2.228
    const p = tensor([3], { dtype: 'float64', requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.5 });
    const seen: number[] = [];
    for (let t = 0; t < 3; t++) {
      tidy(() => {
        p.square().mul(0.5).sub(p).sum().backward();
        opt.step();
      });
      opt.zeroGrad();
      seen.push(p.item() as number);
    }
    for (const [i, v] of [2.8, 2.52, 2.228].entries()) expect(seen[i]).toBeCloseTo(v, 14);
  });
  it('maximize ascends', () => {
    expectTrajectory(
      trajectory((ps) => new SGD(ps, { lr: 0.01, maximize: true }), 3),
      reference((p, g) => p.map((v, i) => v + 0.01 * g[i]!), 3),
    );
  });
  it('rejects bad hyperparameters with ValueErrors naming them', () => {
    const ps = [zeros([2], { requiresGrad: true })];
    expect(() => new SGD(ps, { lr: -1 })).toThrow(/SGD: lr must be a finite number ≥ 0, got -1/);
    expect(() => new SGD(ps, { nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0 and dampening 0/);
    expect(() => new SGD(ps, { momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(ValueError);
    expect(() => new SGD(ps, { weight_decay: 0.1 } as never)).toThrow(/unknown option 'weight_decay'/);
    expect(() => new SGD([])).toThrow(/needs a non-empty list/);
    expect(() => new SGD([zeros([2])])).toThrow(/must be a leaf that requires grad/);
    expect(() => new SGD([ps[0]!, ps[0]!])).toThrow(/appears more than once/);
  });
});

describe('Adam and AdamW', () => {
  const adamRef = (lr: number, b1: number, b2: number, eps: number, wd: number, opts: { decoupled?: boolean; amsgrad?: boolean } = {}) => {
    let m = [0, 0, 0];
    let v = [0, 0, 0];
    let vmax = [0, 0, 0];
    return (p: number[], g0: number[], t: number) => {
      let q = p;
      let g = g0;
      if (opts.decoupled) q = p.map((x) => x * (1 - lr * wd));
      else g = g0.map((x, i) => x + wd * p[i]!);
      m = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
      v = v.map((x, i) => b2 * x + (1 - b2) * g[i]! ** 2);
      vmax = vmax.map((x, i) => Math.max(x, v[i]!));
      const second = opts.amsgrad ? vmax : v;
      // the textbook form: m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), θ ← θ − lr·m̂ / (√v̂ + ε)
      return q.map((x, i) => x - (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(second[i]! / (1 - b2 ** t)) + eps));
    };
  };
  it('the first step moves each coordinate by lr·g/(|g| + ε) (the bias correction cancels)', () => {
    const [first] = trajectory((ps) => new Adam(ps, { lr: 0.1 }), 1);
    const g = gradOf(INIT);
    for (const [i, v] of first!.entries()) expect(v).toBeCloseTo(INIT[i]! - (0.1 * g[i]!) / (Math.abs(g[i]!) + 1e-8), 14);
  });
  it('bias-corrected updates match a float64 hand computation over 3 (and 8) steps', () => {
    expectTrajectory(
      trajectory((ps) => new Adam(ps, { lr: 0.1 }), 3),
      reference(adamRef(0.1, 0.9, 0.999, 1e-8, 0), 3),
    );
    expectTrajectory(
      trajectory((ps) => new Adam(ps, { lr: 0.05, betas: [0.8, 0.9], eps: 1e-3 }), 8),
      reference(adamRef(0.05, 0.8, 0.9, 1e-3, 0), 8),
    );
  });
  it('Adam’s weight decay enters the gradient (L2)', () => {
    expectTrajectory(
      trajectory((ps) => new Adam(ps, { lr: 0.1, weightDecay: 0.2 }), 5),
      reference(adamRef(0.1, 0.9, 0.999, 1e-8, 0.2), 5),
    );
  });
  it('AMSGrad keeps the largest second moment', () => {
    expectTrajectory(
      trajectory((ps) => new Adam(ps, { lr: 0.1, betas: [0.5, 0.6], amsgrad: true }), 8),
      reference(adamRef(0.1, 0.5, 0.6, 1e-8, 0, { amsgrad: true }), 8),
    );
  });
  it('AdamW decays the weights directly (decoupled), default λ = 1e-2', () => {
    expectTrajectory(
      trajectory((ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.3 }), 5),
      reference(adamRef(0.1, 0.9, 0.999, 1e-8, 0.3, { decoupled: true }), 5),
    );
    expectTrajectory(
      trajectory((ps) => new AdamW(ps, { lr: 0.1 }), 3),
      reference(adamRef(0.1, 0.9, 0.999, 1e-8, 1e-2, { decoupled: true }), 3),
    );
    const ps = [zeros([1], { requiresGrad: true })];
    expect(new AdamW(ps).paramGroups[0]!.weightDecay).toBe(1e-2);
    expect(new Adam(ps).paramGroups[0]!.weightDecay).toBe(0);
    expect(() => new AdamW(ps, { lr: -1 })).toThrow(/^AdamW: lr/);
  });
  it('rejects betas outside [0, 1)', () => {
    const ps = [zeros([1], { requiresGrad: true })];
    expect(() => new Adam(ps, { betas: [0.9, 1] })).toThrow(/Adam: betas\[1\] must be a finite number ≥ 0 and < 1, got 1/);
    expect(() => new Adam(ps, { eps: -1 })).toThrow(ValueError);
  });
});

describe('RMSprop', () => {
  const rmsRef = (lr: number, alpha: number, eps: number, wd: number, mu: number, centered: boolean) => {
    let sq = [0, 0, 0];
    let ga = [0, 0, 0];
    let buf = [0, 0, 0];
    return (p: number[], g0: number[]) => {
      const g = g0.map((x, i) => x + wd * p[i]!);
      sq = sq.map((s, i) => alpha * s + (1 - alpha) * g[i]! ** 2);
      ga = ga.map((a, i) => alpha * a + (1 - alpha) * g[i]!);
      const avg = sq.map((s, i) => Math.sqrt(centered ? s - ga[i]! ** 2 : s) + eps);
      if (mu > 0) {
        buf = buf.map((b, i) => mu * b + g[i]! / avg[i]!);
        return p.map((x, i) => x - lr * buf[i]!);
      }
      return p.map((x, i) => x - (lr * g[i]!) / avg[i]!);
    };
  };
  it('matches a hand computation (plain, PyTorch defaults)', () => {
    expectTrajectory(
      trajectory((ps) => new RMSprop(ps), 6),
      reference(rmsRef(1e-2, 0.99, 1e-8, 0, 0, false), 6),
    );
  });
  it('matches a hand computation with momentum, centering and weight decay', () => {
    expectTrajectory(
      trajectory((ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, momentum: 0.7, centered: true, weightDecay: 0.05, eps: 1e-6 }), 6),
      reference(rmsRef(0.01, 0.9, 1e-6, 0.05, 0.7, true), 6),
    );
  });
});

describe('Adagrad', () => {
  const adagradRef = (lr: number, lrDecay: number, wd: number, init: number, eps: number) => {
    let sum = [init, init, init];
    return (p: number[], g0: number[], t: number) => {
      const g = g0.map((x, i) => x + wd * p[i]!);
      sum = sum.map((s, i) => s + g[i]! ** 2);
      const clr = lr / (1 + (t - 1) * lrDecay);
      return p.map((x, i) => x - (clr * g[i]!) / (Math.sqrt(sum[i]!) + eps));
    };
  };
  it('matches a hand computation (defaults)', () => {
    expectTrajectory(
      trajectory((ps) => new Adagrad(ps), 6),
      reference(adagradRef(1e-2, 0, 0, 0, 1e-10), 6),
    );
  });
  it('matches a hand computation with lr decay, weight decay and an initial accumulator', () => {
    expectTrajectory(
      trajectory((ps) => new Adagrad(ps, { lr: 0.5, lrDecay: 0.1, weightDecay: 0.2, initialAccumulatorValue: 0.3 }), 6),
      reference(adagradRef(0.5, 0.1, 0.2, 0.3, 1e-10), 6),
    );
  });
});

describe('Optimizer mechanics', () => {
  it('updates parameters in place: same tensor, views see the change', () => {
    const p = tensor([1, 2, 3, 4], { requiresGrad: true });
    const view = p.detach().reshape([2, 2]);
    const opt = new SGD([p], { lr: 0.5 });
    p.square().sum().backward();
    opt.step();
    expect(Array.from(p.dataSync())).toEqual([0, 0, 0, 0]);
    expect(view.arraySync()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(p.requiresGrad && p.isLeaf).toBe(true);
  });
  it('skips parameters without a gradient (their step count does not advance)', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const opt = new Adam([a, b], { lr: 0.1 });
    a.sum().backward();
    opt.step();
    expect(b.item()).toBe(1);
    expect(opt.stateOf(a)?.step).toBe(1);
    expect(opt.stateOf(b)).toBeUndefined();
    expect(opt.stepCount).toBe(1);
  });
  it('zeroGrad clears and disposes the gradients', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new SGD([p]);
    p.sum().backward();
    const g = p.grad!;
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
  });
  it('param groups: own learning rates and options; the lr setter sets every group', () => {
    const a = tensor([1], { dtype: 'float64', requiresGrad: true });
    const b = tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([
      [0.1, 0],
      [0.5, 0.9],
    ]);
    a.add(b).sum().backward();
    opt.step();
    expect([a.item(), b.item()]).toEqual([0.9, 0.5]);
    opt.lr = 0.01;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.01]);
    expect(() => new SGD([{ params: [a], foo: 1 } as never])).toThrow(/unknown option 'foo' in parameter group 0/);
  });
  it('a changed lr takes effect on the next step', () => {
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = new SGD([p], { lr: 1 });
    p.sum().backward();
    opt.step();
    opt.lr = 0.25;
    opt.step(); // the same gradient, still there
    expect(p.item()).toBeCloseTo(-1.25, 15);
  });
  it('stateDict / loadStateDict round-trips: a restored optimizer continues identically', () => {
    for (const make of [
      (ps: Tensor[]) => new Adam(ps, { lr: 0.05, amsgrad: true }),
      (ps: Tensor[]) => new AdamW(ps, { lr: 0.05 }),
      (ps: Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
      (ps: Tensor[]) => new RMSprop(ps, { momentum: 0.5, centered: true }),
      (ps: Tensor[]) => new Adagrad(ps, { lrDecay: 0.01 }),
    ]) {
      const p = tensor(INIT, { dtype: 'float64', requiresGrad: true });
      const opt = make([p]);
      const stepOnce = (o: Optimizer, q: Tensor) => {
        tidy(() => {
          lossOf(q).backward();
          o.step();
        });
        o.zeroGrad();
      };
      for (let i = 0; i < 3; i++) stepOnce(opt, p);
      const sd = opt.stateDict();
      expect(sd.step).toBe(3);
      expect(sd.state[0]!.step).toBe(3);
      expect(sd.paramGroups[0]!.params).toEqual([0]);
      const q = tensor(Array.from(p.dataSync()), { dtype: 'float64', requiresGrad: true });
      const restored = make([q]);
      restored.loadStateDict(sd);
      expect(restored.stepCount).toBe(3);
      for (const [k, v] of Object.entries(sd.state[0]!)) {
        if (typeof v === 'number') continue;
        const mine = restored.stateOf(q)![k] as Tensor;
        expect(mine).not.toBe(v); // a copy
        expect(Array.from(mine.dataSync())).toEqual(Array.from(v.dataSync()));
      }
      for (let i = 0; i < 3; i++) {
        stepOnce(opt, p);
        stepOnce(restored, q);
      }
      expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
      opt.dispose();
      restored.dispose();
    }
  });
  it('loadStateDict restores hyperparameters and checks the layout', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.5, betas: [0.8, 0.9] });
    const other = new Adam([tensor([0, 0], { requiresGrad: true })]);
    other.loadStateDict(opt.stateDict());
    expect(other.lr).toBe(0.5);
    expect(other.paramGroups[0]!.betas).toEqual([0.8, 0.9]);
    const two = new Adam([tensor([0], { requiresGrad: true }), tensor([0], { requiresGrad: true })]);
    expect(() => two.loadStateDict(opt.stateDict())).toThrow(
      /Adam.loadStateDict: the state dict has groups of sizes \[1\], this optimizer \[2\]/,
    );
    p.sum().backward();
    opt.step();
    const small = new Adam([tensor([0], { requiresGrad: true })]);
    expect(() => small.loadStateDict(opt.stateDict())).toThrow(/'expAvg' of parameter 0 has shape \[2\], the parameter \[1\]/);
  });
  it('a step allocates state once and frees every temporary', () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    const opt = new Adam([p], { amsgrad: true, weightDecay: 0.1 });
    p.square().sum().backward();
    opt.step();
    const after1 = memory().numTensors;
    opt.step();
    opt.step();
    expect(memory().numTensors).toBe(after1);
    opt.dispose();
    expect(memory().numTensors).toBe(after1 - 3); // m, v, max v
  });
});

describe('memory over long training', () => {
  it('10,000 Adam steps on a Linear-like parameter set inside tidy keep memory().numTensors flat', () => {
    setSeed(1);
    const w = randn([4, 3], { requiresGrad: true });
    const b = zeros([4], { requiresGrad: true });
    const x = randn([8, 3]);
    const y = randn([8, 4]);
    const opt = new Adam([w, b], { lr: 1e-2, amsgrad: true, weightDecay: 1e-3 });
    const iteration = () => {
      tidy(() => {
        mseLoss(x.matmul(w.transpose()).add(b), y).backward();
        opt.step();
      });
      opt.zeroGrad();
    };
    iteration();
    const tensors = memory().numTensors;
    const buffers = memory().numBuffers;
    const first = tidy(() => mseLoss(x.matmul(w.transpose()).add(b), y).item() as number);
    for (let i = 1; i < 10_000; i++) {
      iteration();
      if (i % 2500 === 0) expect(memory().numTensors, `after ${i + 1} steps`).toBe(tensors);
    }
    expect(memory().numTensors).toBe(tensors);
    expect(memory().numBuffers).toBe(buffers);
    const last = tidy(() => mseLoss(x.matmul(w.transpose()).add(b), y).item() as number);
    expect(last).toBeLessThan(first); // and it trained
    expect(opt.stepCount).toBe(10_000);
  }, 60_000);
  it('every optimizer (all options on) keeps memory flat', () => {
    const makers = [
      (ps: Tensor[]) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
      (ps: Tensor[]) => new AdamW(ps, { amsgrad: true }),
      (ps: Tensor[]) => new RMSprop(ps, { momentum: 0.5, centered: true, weightDecay: 0.01 }),
      (ps: Tensor[]) => new Adagrad(ps, { lrDecay: 0.01, weightDecay: 0.01 }),
    ];
    for (const make of makers) {
      const w = randn([4, 3], { requiresGrad: true });
      const b = zeros([4], { requiresGrad: true });
      const opt = make([w, b]);
      const x = randn([8, 3]);
      const iteration = () => {
        tidy(() => {
          x.matmul(w.transpose()).add(b).square().mean().backward();
          opt.step();
        });
        opt.zeroGrad();
      };
      iteration();
      const tensors = memory().numTensors;
      for (let i = 0; i < 500; i++) iteration();
      expect(memory().numTensors, opt.name).toBe(tensors);
    }
  });
});
