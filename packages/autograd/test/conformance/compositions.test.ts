// Random compositions: chains of 3–6 op-table rows (shape-compatible, domain-safe, see chains.ts)
// with the input and every leaf a gradcheck input, checked by finite differences in float64 to
// first and second order, and forward against the composed float64 references.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { type Tensor, tensor, tidy } from '../../src/index.js';
import { closeMismatch, gradcheck } from '../../src/testing/index.js';
import { type Chain, chainCaseArb, chainFn, chainIsSmooth, type LeafSpec } from './chains.js';
import { rowNamed } from './ops.js';
import * as R from './reference.js';

/** Generous: a property runs dozens of gradchecks, and CI machines are shared. */
const TIMEOUT = 120_000;

interface ChainCase {
  chain: Chain;
  specs: LeafSpec[];
  values: number[][];
}

const inputs = (c: ChainCase): Tensor[] =>
  c.specs.map((s, i) => tensor(Float64Array.from(c.values[i]!), { shape: s.shape, dtype: 'float64' }));

function checkChains(numRuns: number, check: (c: ChainCase, xs: Tensor[]) => void): void {
  fc.assert(
    fc.property(chainCaseArb, (c) => {
      tidy(() => {
        const xs = inputs(c);
        // near-ties and vanishing spreads the interval tracking cannot see: draw another case
        fc.pre(chainIsSmooth(c.chain, xs));
        check(c, xs);
      });
    }),
    { seed: 42, numRuns },
  );
}

describe('random compositions of table ops', () => {
  it('forward matches the composed float64 references', { timeout: TIMEOUT }, () => {
    checkChains(40, (c, xs) => {
      const out = chainFn(c.chain)(...xs);
      let want = R.nd(c.specs[0]!.shape, c.values[0]!);
      let at = 1;
      for (const link of c.chain.links) {
        const leaves = c.specs.slice(at, at + link.leaves.length).map((s, i) => R.nd(s.shape, c.values[at + i]!));
        at += link.leaves.length;
        want = rowNamed(link.row).ref([want, ...leaves], link.p);
      }
      const mismatch = closeMismatch(out.dataSync() as ArrayLike<number>, want.data, { atol: 1e-9, rtol: 1e-8 });
      if (mismatch || out.shape.join() !== want.shape.join()) throw new Error(`chain forward differs: ${mismatch ?? 'shape'}`);
    });
  });

  it('gradients match finite differences (order 1)', { timeout: TIMEOUT }, () => {
    checkChains(40, (c, xs) => gradcheck(chainFn(c.chain), xs));
  });

  it('gradients of gradients match finite differences (order 2)', { timeout: TIMEOUT }, () => {
    checkChains(20, (c, xs) => gradcheck(chainFn(c.chain), xs, { order: 2 }));
  });
});
