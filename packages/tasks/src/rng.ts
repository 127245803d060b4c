import { ValueError } from '@carousel/autograd';

/**
 * A small seeded generator for data (sFC32-like "mulberry32"): fast, reproducible, independent
 * of the tensor stream, so generating data never shifts weight initialisation.
 *
 * @example
 * const rng = new Rng(1);
 * rng.int(7); // an integer in [0, 7)
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new ValueError(`seed must be an integer, got ${seed}`, 'Rng');
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A new generator whose stream depends on this one's seed and `salt` (e.g. a trial index). */
  fork(salt: number): Rng {
    return new Rng((Math.imul(this.#state ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(salt + 1, 0xc2b2ae35)) >>> 0);
  }
}
