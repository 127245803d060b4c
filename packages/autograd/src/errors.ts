/**
 * Base class of every error Carousel throws on purpose. `op` names the operation at fault, and
 * the message starts with it.
 *
 * @example
 * try {
 *   ones([2, 3]).matmul(ones([2, 3]));
 * } catch (e) {
 *   if (e instanceof ShapeError) console.log(e.op, e.message); // 'matmul', 'matmul: inner dimensions differ: …'
 * }
 */
export class CarouselError extends Error {
  constructor(
    message: string,
    readonly op?: string,
  ) {
    super(op ? `${op}: ${message}` : message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op: mismatched, non-broadcastable, bad axis, bad size. */
export class ShapeError extends CarouselError {}

/** A dtype the op does not accept, or two dtypes mixed without an explicit `cast`. */
export class DTypeError extends CarouselError {}

/** An argument with a bad value: NaN seed, negative count, index out of range, bad option. */
export class ValueError extends CarouselError {}

/** Misuse of the autograd tape: backward twice, backward on a tensor with no graph, … */
export class GradError extends CarouselError {}

/** A backend is missing, unavailable, or cannot do what was asked (e.g. sync reads on WebGPU). */
export class BackendError extends CarouselError {}

/** A tensor used after `dispose()` (or after the `tidy` that owned it ended). */
export class DisposedError extends CarouselError {}

/** Raised in anomaly mode when an op's forward or backward produces NaN or Inf. */
export class AnomalyError extends CarouselError {}

/**
 * Formats a shape the way every message prints it.
 *
 * @example
 * formatShape([2, 3]); // '[2, 3]'
 */
export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
