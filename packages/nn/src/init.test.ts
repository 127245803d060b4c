import { setSeed, zeros } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { constant, kaimingUniform, orthogonal, rnnDefault, uniform, xavierUniform } from './init.js';
import { parameter } from './module.js';

const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
const maxAbs = (v: number[]) => Math.max(...v.map(Math.abs));

describe('init', () => {
  it('uniform(r) fills U(−r, r) in place (the paper’s ±0.1 / ±0.2), spread over the range', () => {
    const p = parameter(zeros([200, 50]));
    expect(uniform(0.2)(p)).toBe(p);
    const v = values(p);
    expect(maxAbs(v)).toBeLessThanOrEqual(0.2);
    expect(maxAbs(v)).toBeGreaterThan(0.19);
    expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length)).toBeLessThan(0.01);
  });

  it('uniform(low, high) takes explicit bounds', () => {
    const v = values(uniform(1, 3)(parameter(zeros([1000]))));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...v)).toBeLessThan(3);
  });

  it('constant fills one value', () => {
    expect(values(constant(-2)(parameter(zeros([3]))))).toEqual([-2, -2, -2]);
  });

  it('xavierUniform and kaimingUniform use the fan-in/fan-out bounds', () => {
    const x = values(xavierUniform()(parameter(zeros([30, 20]))));
    expect(maxAbs(x)).toBeLessThanOrEqual(Math.sqrt(6 / 50) + 1e-7);
    expect(maxAbs(x)).toBeGreaterThan(0.9 * Math.sqrt(6 / 50));
    const k = values(kaimingUniform()(parameter(zeros([30, 20]))));
    expect(maxAbs(k)).toBeLessThanOrEqual(Math.sqrt(6 / 20) + 1e-7);
    expect(() => xavierUniform()(parameter(zeros([3])))).toThrow(/rank ≥ 2/);
  });

  it('orthogonal gives orthonormal rows (wide) or columns (tall), times gain', () => {
    setSeed(1);
    for (const [rows, cols] of [
      [4, 4],
      [3, 6],
      [6, 3],
    ] as const) {
      const w = orthogonal(2)(parameter(zeros([rows, cols], { dtype: 'float64' })));
      const gram = rows <= cols ? w.matmul(w.T) : w.T.matmul(w);
      const n = Math.min(rows, cols);
      const g = values(gram);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g[i * n + j]!).toBeCloseTo(i === j ? 4 : 0, 10);
    }
  });

  it('rnnDefault(H) is PyTorch’s U(±1/√H)', () => {
    const v = values(rnnDefault(16)(parameter(zeros([64, 8]))));
    expect(maxAbs(v)).toBeLessThanOrEqual(0.25);
    expect(maxAbs(v)).toBeGreaterThan(0.23);
    expect(() => rnnDefault(0)).toThrow(/hiddenSize must be positive/);
  });
});
