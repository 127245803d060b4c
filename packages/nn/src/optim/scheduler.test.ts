import { tensor, ValueError } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { CosineAnnealingLR, ExponentialLR, LinearWarmup, SGD, StepLR } from './index.js';

const param = () => tensor([0], { dtype: 'float64', requiresGrad: true });
const sgd = (lr = 0.1, ...more: number[]) =>
  more.length ? new SGD([{ params: [param()] }, ...more.map((l) => ({ params: [param()], lr: l }))], { lr }) : new SGD([param()], { lr });

/** The learning rates the optimizer sees at steps 0..n (stepping the schedule in between). */
const lrs = (sched: { step(): void; optimizer: { lr: number } }, n: number) => {
  const out = [sched.optimizer.lr];
  for (let i = 0; i < n; i++) {
    sched.step();
    out.push(sched.optimizer.lr);
  }
  return out;
};
const expectClose = (got: number[], want: number[]) => {
  for (const [i, v] of got.entries()) expect(v, `step ${i}`).toBeCloseTo(want[i]!, 14);
};

describe('StepLR', () => {
  it('lr₀·γ^⌊t/stepSize⌋', () => {
    const s = new StepLR(sgd(0.1), { stepSize: 3, gamma: 0.5 });
    expectClose(lrs(s, 7), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
    expect(s.getLr()).toBeCloseTo(0.025, 15);
    expect(new StepLR(sgd(1), { stepSize: 1 }).gamma).toBe(0.1);
  });
  it('schedules every group from its own base rate', () => {
    const s = new StepLR(sgd(0.1, 1), { stepSize: 1, gamma: 0.5 });
    s.step();
    expectClose(s.getLastLrs(), [0.05, 0.5]);
    expectClose(
      s.optimizer.paramGroups.map((g) => g.lr),
      [0.05, 0.5],
    );
  });
  it('rejects bad options', () => {
    expect(() => new StepLR(sgd(), { stepSize: 0 })).toThrow(ValueError);
    expect(() => new StepLR(sgd(), { stepSize: 1.5 })).toThrow(/StepLR: stepSize must be a positive integer, got 1.5/);
  });
});

describe('ExponentialLR', () => {
  it('lr₀·γᵗ', () => {
    expectClose(
      lrs(new ExponentialLR(sgd(0.2), { gamma: 0.9 }), 5),
      [0, 1, 2, 3, 4, 5].map((t) => 0.2 * 0.9 ** t),
    );
  });
});

describe('CosineAnnealingLR', () => {
  it('η_min + (lr₀ − η_min)(1 + cos(πt/T))/2, hitting η_min at T', () => {
    const s = new CosineAnnealingLR(sgd(0.1), { tMax: 4, etaMin: 0.01 });
    const got = lrs(s, 4);
    expectClose(
      got,
      [0, 1, 2, 3, 4].map((t) => 0.01 + (0.09 * (1 + Math.cos((Math.PI * t) / 4))) / 2),
    );
    expect(got[4]).toBeCloseTo(0.01, 15);
    expect(got[2]).toBeCloseTo(0.055, 15);
  });
  it('agrees with PyTorch’s recursive get_lr over three periods', () => {
    const T = 5;
    const base = 0.3;
    const etaMin = 0.02;
    // torch.optim.lr_scheduler.CosineAnnealingLR.get_lr, transcribed
    const torchLrs = [base];
    for (let e = 1; e <= 3 * T; e++) {
      const prev = torchLrs[e - 1]!;
      if ((e - 1 - T) % (2 * T) === 0) torchLrs.push(prev + ((base - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
      else torchLrs.push(((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (prev - etaMin) + etaMin);
    }
    const got = lrs(new CosineAnnealingLR(sgd(base), { tMax: T, etaMin }), 3 * T);
    for (const [i, v] of got.entries()) expect(v, `epoch ${i}`).toBeCloseTo(torchLrs[i]!, 12);
  });
});

describe('LinearWarmup', () => {
  it('ramps linearly from startFactor·lr₀ to lr₀, then holds (PyTorch LinearLR formula)', () => {
    const s = new LinearWarmup(sgd(0.1), { warmupSteps: 4, startFactor: 0.2 });
    expectClose(lrs(s, 6), [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1]);
    // the default start factor is torch's 1/3
    expect(new LinearWarmup(sgd(0.3), { warmupSteps: 2 }).getLr()).toBeCloseTo(0.1, 15);
  });
  it('hands over to another schedule, which counts from the end of the warm-up', () => {
    const opt = sgd(1);
    const after = new CosineAnnealingLR(opt, { tMax: 4 });
    const s = new LinearWarmup(opt, { warmupSteps: 2, startFactor: 0, after });
    const cos = (t: number) => (1 + Math.cos((Math.PI * t) / 4)) / 2;
    expectClose(lrs(s, 6), [0, 0.5, cos(0), cos(1), cos(2), cos(3), cos(4)]);
    expect(() => new LinearWarmup(sgd(), { warmupSteps: 2, after })).toThrow(/must drive the same optimizer/);
    expect(() => new LinearWarmup(sgd(), { warmupSteps: 2, startFactor: 2 })).toThrow(/startFactor must be in \[0, 1\], got 2/);
  });
  it('the optimizer uses the scheduled rate', () => {
    const p = param();
    const opt = new SGD([p], { lr: 1 });
    const s = new LinearWarmup(opt, { warmupSteps: 2, startFactor: 0.5 });
    for (let i = 0; i < 3; i++) {
      p.sum().backward(); // gradient 1
      opt.step();
      opt.zeroGrad();
      s.step();
    }
    expect(p.item()).toBeCloseTo(-(0.5 + 0.75 + 1), 15);
  });
  it('stateDict / loadStateDict restores the position', () => {
    const s = new StepLR(sgd(0.1), { stepSize: 2, gamma: 0.5 });
    for (let i = 0; i < 5; i++) s.step();
    const t = new StepLR(sgd(0.1), { stepSize: 2, gamma: 0.5 });
    t.loadStateDict(s.stateDict());
    expect(t.optimizer.lr).toBeCloseTo(0.025, 15);
    t.step();
    s.step();
    expect(t.getLr()).toBe(s.getLr());
  });
});
