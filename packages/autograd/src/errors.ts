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

/**
 * The WebGPU device was lost: the driver reset or crashed, the GPU went away, or the backend was
 * destroyed. Every tensor on it is gone; `op` names the operation that found out. The message
 * carries the browser's or Dawn's reason.
 *
 * @example
 * async function lossOf(t: Tensor): Promise<number | null> {
 *   try {
 *     return (await t.data())[0] ?? null;
 *   } catch (e) {
 *     if (e instanceof WebGPUDeviceLostError) return null; // start over, e.g. on the CPU
 *     throw e;
 *   }
 * }
 */
export class WebGPUDeviceLostError extends BackendError {}

/**
 * The GPU rejected a command: a WGSL kernel that failed to compile, or a dispatch that broke
 * WebGPU's validation rules (a bug in a kernel or in the code calling it). GPU errors arrive
 * asynchronously, so this is thrown by the next allocation, upload, read or `sync` after the
 * faulty dispatch; `op` names the op of the kernel at fault (the message names the kernel).
 *
 * @example
 * async function read(t: Tensor): Promise<TypedArray> {
 *   try {
 *     return await t.data();
 *   } catch (e) {
 *     if (e instanceof WebGPUValidationError) console.error(`a kernel of ${e.op} failed:`, e.message);
 *     throw e;
 *   }
 * }
 */
export class WebGPUValidationError extends BackendError {}

/**
 * The GPU could not allocate a buffer. Thrown like {@link WebGPUValidationError}, by the next
 * allocation, upload, read or `sync`; `op` names the op that was running.
 *
 * @example
 * async function fits(rows: number): Promise<boolean> {
 *   try {
 *     await zeros([rows, 1024]).sum().data();
 *     return true;
 *   } catch (e) {
 *     if (e instanceof WebGPUOutOfMemoryError) return false; // try fewer rows
 *     throw e;
 *   }
 * }
 */
export class WebGPUOutOfMemoryError extends BackendError {}

/** A tensor used after `dispose()` (or after the `tidy` that owned it ended). */
export class DisposedError extends CarouselError {}

/** Raised in anomaly mode when an op's forward or backward produces NaN or Inf. */
export class AnomalyError extends CarouselError {}

/**
 * Formats a shape the way every message prints it. Anything but an array is described instead
 * (see {@link describeValue}): a message about a wrong argument, which may print the shape of
 * something that is not a tensor, must not itself throw.
 *
 * @param shape - the shape to print.
 * @example
 * formatShape([2, 3]); // '[2, 3]'
 */
export function fmt(shape: readonly number[]): string {
  return Array.isArray(shape) ? `[${shape.join(', ')}]` : describeValue(shape);
}

// The brand Tensor.prototype carries (memory.ts): read here by name, as errors.ts imports nothing.
const TENSOR = Symbol.for('carousel.tensor');

/**
 * Describes a value for an error message about a wrong argument: what it is, not just its
 * `typeof` (which calls arrays, null and tensors alike "object").
 *
 * @param x - any value.
 * @returns a short phrase that completes "got …".
 * @example
 * describeValue(undefined);   // 'undefined'
 * describeValue([1, 2]);      // 'an array of length 2'
 * describeValue('abc');       // 'string "abc"'
 * describeValue(new Map());   // 'an object of class Map'
 * describeValue(ones([2]));   // 'a float32 Tensor of shape [2]'
 */
export function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  switch (typeof x) {
    case 'string':
      return `string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof x} ${String(x)}`;
    case 'symbol':
      return `symbol ${x.description ?? ''}`.trimEnd();
    case 'function':
      return x.name ? `function ${x.name}` : 'a function';
  }
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  const o = x as { [TENSOR]?: boolean; dtype?: string; shape?: number[] };
  if (o[TENSOR] === true) return `${o.dtype === 'int32' ? 'an' : 'a'} ${o.dtype} Tensor of shape ${fmt(o.shape ?? [])}`;
  const proto = Object.getPrototypeOf(x);
  if (proto === null || proto === Object.prototype) return 'a plain object';
  return `an object of class ${proto.constructor?.name || '(anonymous)'}`;
}

/** Throws a ValueError naming `op` and the argument `arg` unless `fn` is a function. */
export function checkFunction(fn: unknown, op: string, arg: string): asserts fn is (...args: never[]) => unknown {
  if (typeof fn !== 'function') throw new ValueError(`${arg} must be a function, got ${describeValue(fn)}`, op);
}

/**
 * Throws a ValueError naming `op` unless `options` is a plain object (an options bag, not null,
 * an array, a Tensor or another class's instance); `fields` says what it takes, for the message.
 */
export function checkOptions(options: unknown, op: string, fields = ''): asserts options is Record<string, unknown> {
  const proto = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null)
    throw new ValueError(`options must be a plain object${fields && ` ${fields}`}, got ${describeValue(options)}`, op);
}
