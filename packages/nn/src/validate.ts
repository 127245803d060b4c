import { ValueError } from '@carousel/autograd';

/** Checks constructor sizes are positive integers, naming the layer and the option. */
export function checkPositiveInt(layer: string, sizes: Record<string, number>): void {
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${name} must be a positive integer, got ${v}`, layer);
  }
}

/** Checks a probability-like option is in [0, 1). */
export function checkProbability(layer: string, name: string, p: number): void {
  if (!(p >= 0 && p < 1)) throw new ValueError(`${name} must be in [0, 1), got ${p}`, layer);
}
