import { describe, expect, it } from 'vitest';
import { gradientFlow } from './flow.js';

describe('gradient flow (§3)', () => {
  it("Elman's error vanishes exponentially with the lag; the CEC holds LSTM's", () => {
    const { norms } = gradientFlow({ lags: 20, hidden: 16, seed: 1 });
    for (const n of Object.values(norms)) {
      expect(n).toHaveLength(21);
      expect(n.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    }
    const ratio = (n: number[], q: number, from = 0) => n[q]! / n[from]!;
    expect(ratio(norms.elman, 20)).toBeLessThan(1e-4);
    // LSTM 1997: beyond the output path at q = 0, error reaches every step back through the CEC
    expect(ratio(norms.lstm1997, 20)).toBeGreaterThan(0.03);
    expect(ratio(norms.lstm1997, 20, 1)).toBeGreaterThan(0.5);
    expect(ratio(norms.lstm1997, 20, 1)).toBeLessThan(2);
    // a forget gate leaks the carousel: it decays, slower than Elman
    expect(ratio(norms.lstm, 20)).toBeLessThan(0.1);
    expect(ratio(norms.lstm, 20)).toBeGreaterThan(ratio(norms.elman, 20) * 100);
  });

  it('is deterministic for a seed and rejects bad sizes', () => {
    expect(gradientFlow({ lags: 5, seed: 3 })).toEqual(gradientFlow({ lags: 5, seed: 3 }));
    expect(() => gradientFlow({ lags: -1 })).toThrow(/lags must be a non-negative integer/);
    expect(() => gradientFlow({ hidden: 0 })).toThrow(/hidden must be a positive integer/);
  });
});
