// Shared by the recurrent layers' tests (not part of the package's API).
import { concat, setSeed, type Tensor } from '@carousel/autograd';
import { closeMismatch } from '@carousel/autograd/testing';
import { expect } from 'vitest';
import type { Module } from '../module.js';

/** Generous per-test limit: these run many float64 forwards and the CPU may be shared. */
export const SLOW = 60_000;

/** Runs `fn` with the module's named parameter fields swapped for `ps` (gradcheck through forward). */
export function withParams<T>(m: Module, names: string[], ps: readonly Tensor[], fn: () => T): T {
  const rec = m as unknown as Record<string, Tensor>;
  const saved = names.map((n) => rec[n]!);
  names.forEach((n, i) => {
    rec[n] = ps[i]!;
  });
  try {
    return fn();
  } finally {
    names.forEach((n, i) => {
      rec[n] = saved[i]!;
    });
  }
}

/** All tensors flattened into one vector (missing ones skipped). */
export const flat = (ts: (Tensor | undefined)[]) =>
  concat(
    ts.filter((t): t is Tensor => t !== undefined).map((t) => t.reshape([-1])),
    0,
  );

/** Runs `fn` right after `setSeed(seed)`. */
export const seeded = <T>(seed: number, fn: () => T): T => {
  setSeed(seed);
  return fn();
};

/** Same shape (or both missing) and every element within `tol`. */
export const expectClose = (ours: Tensor | undefined, theirs: Tensor | undefined, what: string, tol = 1e-12) => {
  expect(ours?.shape, what).toEqual(theirs?.shape);
  if (ours && theirs) expect(closeMismatch(ours, theirs, { atol: tol, rtol: tol }), what).toBeNull();
};
