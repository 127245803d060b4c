import { ValueError } from './errors.js';

/**
 * A counter-based generator: element `i` of a draw is a pure function of (key, counter + i), so
 * every backend (a CPU loop, a WGSL kernel) produces the same stream, in any order, in parallel.
 * The mixer is Chris Wellons' lowbias32 — statistical quality, not cryptographic.
 */
export function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** 32 random bits for position `counter` of stream `key`. */
export const randomBits = (key: number, counter: number): number => hash32((hash32(counter >>> 0) ^ key) + 0x6a09e667);

/** A uniform float in [0, 1) with 24 bits (float32) from one counter. */
export const uniform24 = (key: number, counter: number): number => (randomBits(key, counter) >>> 8) * 2 ** -24;

/** A uniform float in [0, 1) with 53 bits (float64) from two counters. */
export const uniform53 = (key: number, counter: number): number =>
  ((randomBits(key, counter) >>> 5) * 2 ** 26 + (randomBits(key, counter + 1) >>> 6)) * 2 ** -53;

let key = hash32(0);
let counter = 0;

/**
 * Seeds the global stream. The same seed gives bit-identical random tensors, in every run and on
 * every backend.
 *
 * @example
 * setSeed(42);
 * const a = randn([3]);
 * setSeed(42);
 * const b = randn([3]); // identical to a
 */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new ValueError(`seed must be a finite integer, got ${seed}`, 'setSeed');
  }
  key = hash32((seed >>> 0) ^ hash32(Math.floor(seed / 2 ** 32) >>> 0));
  counter = 0;
}

/** @internal Reserves `n` counters of the global stream and returns where they start. */
export function takeCounters(n: number): { key: number; counter: number } {
  const start = counter;
  counter = (counter + n) % 2 ** 32;
  return { key, counter: start };
}
