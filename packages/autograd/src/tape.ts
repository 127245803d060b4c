import type { DType } from './dtype.js';
import { AnomalyError, checkFunction, DTypeError, describeValue, fmt, GradError, ShapeError, ValueError } from './errors.js';
import { keep, type Storage, tidy } from './memory.js';
import * as ops from './ops/index.js';
import { checkTensor } from './ops/util.js';
import { type Region, sameShape, sizeOf } from './shape.js';
import { isTensor, type Tensor } from './tensor.js';

/**
 * A gradient that covers only a strided region of its input — what a slice's rule returns. The
 * tape collects the parts and writes them into one buffer when it reaches the input, so the T
 * per-step slices of a sequence cost O(size) in backward, not T zero-padded full-size copies.
 */
export interface RegionGrad {
  readonly region: Region;
  readonly value: Tensor;
}

/** Gradients for each input of an op, given the gradient of its output; null = no contribution. */
export type VJP = (g: Tensor) => readonly (Tensor | RegionGrad | null | undefined)[];

/** One recorded op: its inputs and its vector-Jacobian product (null once the graph is freed). */
export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  vjp: VJP | null;
}

let gradEnabled = true;
let anomaly = false;

/**
 * True unless inside `noGrad`.
 *
 * @example
 * noGrad(() => isGradEnabled()); // false
 */
export const isGradEnabled = (): boolean => gradEnabled;

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs `fn` without recording ops on the tape: results do not require grad. Use it for
 * evaluation and for in-place-style parameter updates.
 *
 * @example
 * const w = ones([2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T {
  checkFunction(fn, 'noGrad', 'fn');
  return withGradMode(false, fn);
}

/**
 * Runs `fn` in anomaly mode: the first op whose forward or backward produces NaN or Inf throws
 * an {@link AnomalyError} naming it. Slow (reads every result); for debugging.
 *
 * @example
 * try {
 *   detectAnomaly(() => tensor([-1]).log());
 * } catch (e) {
 *   if (e instanceof AnomalyError) console.log(e.message); // 'log: forward produced NaN (shape [1], element 0)'
 * }
 */
export function detectAnomaly<T>(fn: () => T): T {
  checkFunction(fn, 'detectAnomaly', 'fn');
  return withAnomaly(true, fn);
}

function withAnomaly<T>(enabled: boolean, fn: () => T): T {
  const prev = anomaly;
  anomaly = enabled;
  try {
    return fn();
  } finally {
    anomaly = prev;
  }
}

function checkFinite(t: Tensor, op: string, phase: string): void {
  if (!anomaly || (t.dtype !== 'float32' && t.dtype !== 'float64') || t.backend !== 'cpu') return;
  const data = t.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new AnomalyError(`${phase} produced ${Number.isNaN(v) ? 'NaN' : 'Inf'} (shape ${fmt(t.shape)}, element ${i})`, op);
    }
  }
}

/**
 * Whether {@link record} will put a node for `inputs` on the tape (grad mode on and some input
 * requiring grad): ops whose forward keeps state only for a backward skip keeping it otherwise.
 * @internal
 */
export const willRecord = (inputs: readonly Tensor[]): boolean => gradEnabled && anyRequiresGrad(inputs);

/**
 * @internal Every op ends here: records `out` on the tape when grad is on and an input requires
 * grad, and checks for NaN/Inf in anomaly mode.
 */
export function record<T extends Tensor>(op: string, out: T, inputs: readonly Tensor[], vjp: VJP | null): T {
  if (anomaly) checkFinite(out, op, 'forward');
  if (vjp && willRecord(inputs)) out.attach({ op, inputs, vjp });
  return out;
}

function anyRequiresGrad(inputs: readonly Tensor[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (inputs[i]!.requiresGrad) return true;
  return false;
}

interface BackwardOpts {
  retainGraph?: boolean;
  createGraph?: boolean;
}

/** Reverse topological order of the graph under `root`, not descending past `stops` (iterative: RNN graphs are deep). */
function topoOrder(root: Tensor, stops: ReadonlySet<Tensor>): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node && !stops.has(t) ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i]!;
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

/**
 * @internal The engine: gradients of `root` (seeded with `seed`) with respect to `targets`, or to
 * every leaf when `targets` is undefined. Unbroadcasting and gradient shape/dtype checks happen
 * here, once, for every op.
 */
function gradients(root: Tensor, seed: Tensor, targets: readonly Tensor[] | undefined, opts: BackwardOpts): Map<Tensor, Tensor> {
  const stops = new Set(targets ?? []);
  const order = topoOrder(root, stops);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const parts = new Map<Tensor, RegionGrad[]>();
  // every contribution to t has arrived once t comes up in the order: sum the region parts now
  const gradOf = (t: Tensor): Tensor | undefined => {
    const regionParts = parts.get(t);
    if (!regionParts) return grads.get(t);
    parts.delete(t);
    const g = ops.accumulateRegions(t, grads.get(t), regionParts);
    grads.set(t, g);
    return g;
  };
  const results = new Map<Tensor, Tensor>();
  const run = () => {
    for (const t of order) {
      const g = gradOf(t);
      if (!g) continue;
      if (stops.has(t) || !t.node) {
        if (targets ? stops.has(t) : t.requiresGrad) results.set(t, g);
        continue;
      }
      const node = t.node;
      if (!node.vjp) {
        throw new GradError(
          `the graph through '${node.op}' was already freed by a previous backward(); pass { retainGraph: true } to the first call`,
          'backward',
        );
      }
      // the rule's own ops may pass through Inf (e.g. masked by a where); anomaly mode judges the
      // gradients it returns, below, and names this op's backward rather than an op inside the rule
      const inputGrads = anomaly ? withAnomaly(false, () => node.vjp!(g)) : node.vjp(g);
      if (!opts.retainGraph) node.vjp = null;
      const inputs = node.inputs;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i]!;
        let gi = inputGrads[i];
        if (!gi || !input.requiresGrad) continue;
        if (!isTensor(gi)) {
          checkRegion(gi, input, node.op);
          if (anomaly) checkFinite(gi.value, node.op, `backward (gradient of input ${i})`);
          parts.set(input, [...(parts.get(input) ?? []), gi]);
          continue;
        }
        if (anomaly) checkFinite(gi, node.op, `backward (gradient of input ${i})`);
        gi = unbroadcast(gi, input, node.op);
        const prev = grads.get(input);
        grads.set(input, prev ? prev.add(gi as Tensor<DType>) : gi);
      }
    }
    return [...results.values()];
  };
  if (opts.createGraph) withGradMode(true, run);
  else withGradMode(false, () => tidy(run));
  return results;
}

/** A region gradient must fit inside its input and match its dtype. */
function checkRegion(part: RegionGrad, input: Tensor, op: string): void {
  if (part.value.dtype !== input.dtype)
    throw new DTypeError(`gradient rule returned ${part.value.dtype} for a ${input.dtype} input`, `${op} (backward)`);
  if (!sameShape(part.value.shape, part.region.shape) || sizeOf(part.region.shape) > input.size) {
    throw new ShapeError(
      `region gradient of shape ${fmt(part.value.shape)} does not fit an input of shape ${fmt(input.shape)}`,
      `${op} (backward)`,
    );
  }
}

/** Sums a gradient over broadcast axes back to the input's shape and checks its dtype. */
function unbroadcast(g: Tensor, input: Tensor, op: string): Tensor {
  if (g.dtype !== input.dtype) {
    throw new DTypeError(`gradient rule returned ${g.dtype} for a ${input.dtype} input`, `${op} (backward)`);
  }
  if (sameShape(g.shape, input.shape)) return g;
  const extra = g.rank - input.rank;
  if (extra < 0)
    throw new ShapeError(`gradient rule returned shape ${fmt(g.shape)} for an input of shape ${fmt(input.shape)}`, `${op} (backward)`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < extra || (input.shape[i - extra] === 1 && g.shape[i] !== 1)) axes.push(i);
    else if (input.shape[i - extra] !== g.shape[i]) {
      throw new ShapeError(`gradient rule returned shape ${fmt(g.shape)} for an input of shape ${fmt(input.shape)}`, `${op} (backward)`);
    }
  }
  return ops.sum(g, axes, { keepDims: true }).reshape(input.shape);
}

function seedFor(root: Tensor, seed: Tensor | undefined, op: string): Tensor {
  if (!root.requiresGrad) {
    throw new GradError(
      'this tensor does not require grad: no input of its graph had requiresGrad = true (or it was computed under noGrad)',
      op,
    );
  }
  if (seed === undefined) {
    if (root.size !== 1)
      throw new GradError(`a seed gradient is needed for a non-scalar output of shape ${fmt(root.shape)}; pass one of that shape`, op);
    return ops.onesLike(root);
  }
  if (!isTensor(seed)) throw new ValueError(`the seed gradient must be a Tensor, got ${describeValue(seed)}`, op);
  if (!sameShape(seed.shape, root.shape))
    throw new ShapeError(`seed gradient has shape ${fmt(seed.shape)}, expected ${fmt(root.shape)}`, op);
  if (seed.dtype !== root.dtype) throw new DTypeError(`seed gradient is ${seed.dtype}, expected ${root.dtype}`, op);
  if (seed.backend === 'cpu') {
    const data = seed.dataSync();
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i]!))
        throw new ValueError(`seed gradient has ${data[i]} at element ${i} (shape ${fmt(seed.shape)}); expected finite values`, op);
  }
  return seed;
}

/** @internal `Tensor.backward`: accumulates into `.grad` of every reachable leaf. */
export function backward(root: Tensor, seed: Tensor | undefined, opts: BackwardOpts): void {
  const seedTensor = seedFor(root, seed, 'backward');
  const results = gradients(root, seedTensor, undefined, opts);
  const used = new Set<Storage>([seedTensor.storage]);
  for (const [leaf, found] of results) {
    // one buffer may reach several leaves (add's rule returns g twice, reshape's a view of g):
    // each .grad owns its own, so in-place updates of one (clipGradNorm) never touch another
    const g = used.has(found.storage) ? noGrad(() => ops.clone(found)) : found;
    used.add(g.storage);
    const prev = leaf.grad as Tensor | null;
    const next = prev ? (opts.createGraph ? prev.add(g as Tensor<DType>) : noGrad(() => prev.add(g as Tensor<DType>))) : g;
    if (prev) prev.dispose();
    leaf.grad = keep(next) as never;
  }
}

/** The tensor arguments of a function passed to `grad`, `vjp`, `customGrad`. */
export type TensorArgs = readonly Tensor[];

/** Differentiation inputs: fresh leaves, or identity links when an outer `grad` already tracks them. */
function prepareInputs(args: TensorArgs, argnums: readonly number[], op: string): { inputs: Tensor[]; outer: boolean } {
  let outer = false;
  const inputs = args.map((a, i) => {
    if (!isTensor(a))
      throw new ValueError(`argument ${i} is not a Tensor (got ${typeof a === 'object' ? describeValue(a) : typeof a})`, op);
    if (!argnums.includes(i)) return a;
    if (a.dtype !== 'float32' && a.dtype !== 'float64')
      throw new DTypeError(`cannot differentiate with respect to a ${a.dtype} argument (argument ${i})`, op);
    if (a.requiresGrad && gradEnabled) {
      outer = true;
      return ops.identity(a);
    }
    const leaf = a.detach();
    leaf.requiresGrad = true;
    return leaf;
  });
  return { inputs, outer };
}

/** The differentiation inputs of every `grad`/`vjp` call whose `f` is running now. */
const tracing = new Set<Tensor>();

/** Runs `fn` (with grad on) while `inputs` count as traced, for nested calls to see. */
function traced<T>(inputs: readonly Tensor[], fn: () => T): T {
  const added = inputs.filter((t) => !tracing.has(t));
  for (const t of added) tracing.add(t);
  try {
    return withGradMode(true, fn);
  } finally {
    for (const t of added) tracing.delete(t);
  }
}

/**
 * True when `value` depends on an input of an enclosing `grad`/`vjp` that reached it other than
 * through this call's differentiated arguments (an argument not in `argnums`, a closure): the
 * gradient must then be recorded too, or the outer derivative silently misses that path.
 */
function tracedByOuter(value: Tensor): boolean {
  if (!gradEnabled || tracing.size === 0 || !value.requiresGrad) return false;
  const seen = new Set<Tensor>();
  const stack = [value];
  while (stack.length) {
    const t = stack.pop()!;
    if (tracing.has(t)) return true;
    if (!t.node || seen.has(t)) continue;
    seen.add(t);
    for (const input of t.node.inputs) if (input.requiresGrad) stack.push(input);
  }
  return false;
}

function normArgnums(argnums: number | readonly number[], n: number, op: string): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list)
    if (!Number.isInteger(a) || a < 0 || a >= n) throw new GradError(`argnums ${a} is out of range for ${n} arguments`, op);
  return list;
}

/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradOptions {
  /** Which arguments to differentiate with respect to (default 0). An array returns an array. */
  argnums?: number | readonly number[];
}

/** What `grad` returns: one gradient for a numeric `argnums`, a list for a list. */
export type GradOut<A extends TensorArgs, N> = N extends readonly number[] ? Tensor[] : A[0];

/**
 * Transforms `f` (returning a scalar) into a function returning its gradient with respect to the
 * first argument (or to `argnums`). Composable: `grad(grad(f))` is the second derivative.
 *
 * `grad(f)(x) = ∂f/∂x`
 *
 * @example
 * const df = grad((x: Tensor) => x.pow(3).sum());
 * df(tensor([2])).arraySync(); // [12]
 * grad(grad((x: Tensor) => x.pow(3).sum()))(tensor([2])).arraySync(); // [12]
 */
export function grad<A extends TensorArgs, const N extends number | readonly number[] = 0>(
  f: (...args: A) => Tensor,
  opts: GradOptions & { argnums?: N } = {},
): (...args: A) => GradOut<A, N> {
  const g = valueAndGradOf(f, opts, 'grad');
  return (...args) => {
    return g(...args)[1];
  };
}

/**
 * Like {@link grad}, but returns `[value, gradient]`.
 *
 * @example
 * const [loss, dw] = valueAndGrad((w: Tensor) => w.square().sum())(tensor([1, 2]));
 */
export function valueAndGrad<A extends TensorArgs, const N extends number | readonly number[] = 0>(
  f: (...args: A) => Tensor,
  opts: GradOptions & { argnums?: N } = {},
): (...args: A) => [Tensor, GradOut<A, N>] {
  return valueAndGradOf(f, opts, 'valueAndGrad');
}

/** Both transforms; `op` (`'grad'` or `'valueAndGrad'`) is the one the user called, for the errors. */
function valueAndGradOf<A extends TensorArgs, const N extends number | readonly number[]>(
  f: (...args: A) => Tensor,
  opts: GradOptions & { argnums?: N },
  op: string,
): (...args: A) => [Tensor, GradOut<A, N>] {
  checkFunction(f, op, 'f');
  return (...args) => {
    const argnums = normArgnums(opts.argnums ?? 0, args.length, op);
    const { inputs, outer: tracked } = prepareInputs(args, argnums, op);
    const targets = argnums.map((i) => inputs[i]!);
    const value = traced(targets, () => f(...(inputs as unknown as A)));
    if (!isTensor(value)) throw new ValueError(`f must return a Tensor, got ${describeValue(value)}`, op);
    if (value.size !== 1) throw new GradError(`f must return a scalar, got shape ${fmt(value.shape)}; use vjp for non-scalar outputs`, op);
    const outer = tracked || tracedByOuter(value);
    const grads = differentiate(value, ops.onesLike(value), targets, { createGraph: outer, retainGraph: outer });
    const out = typeof (opts.argnums ?? 0) === 'number' ? grads[0]! : grads;
    return [outer ? value : value.detach(), out as GradOut<A, N>];
  };
}

function differentiate(value: Tensor, seed: Tensor, targets: readonly Tensor[], opts: BackwardOpts): Tensor[] {
  if (!value.requiresGrad) return targets.map((t) => ops.zerosLike(t));
  const results = gradients(value, seed, targets, opts);
  return targets.map((t) => results.get(t) ?? ops.zerosLike(t));
}

/**
 * Vector-Jacobian product: evaluates `f(...primals)` and returns `[out, vjpFn]`, where
 * `vjpFn(cotangent)` gives `cotangentᵀ · ∂out/∂primalᵢ` for every primal. The graph is kept,
 * so `vjpFn` may be called more than once.
 *
 * @example
 * const [y, back] = vjp((x: Tensor) => x.mul(x), tensor([1, 2]));
 * back(tensor([1, 1]))[0]!.arraySync(); // [2, 4]
 */
export function vjp<A extends TensorArgs>(f: (...args: A) => Tensor, ...primals: A): [Tensor, (cotangent: Tensor) => Tensor[]] {
  checkFunction(f, 'vjp', 'f');
  const argnums = primals.map((_, i) => i);
  const { inputs, outer: tracked } = prepareInputs(primals, argnums, 'vjp');
  const out = traced(inputs, () => f(...(inputs as unknown as A)));
  if (!isTensor(out)) throw new ValueError(`f must return a Tensor, got ${describeValue(out)}`, 'vjp');
  const outer = tracked || tracedByOuter(out);
  const back = (cotangent: Tensor) => {
    const seed = out.requiresGrad ? seedFor(out, cotangent, 'vjp') : cotangent;
    return differentiate(out, seed, inputs, { createGraph: outer, retainGraph: true });
  };
  return [outer ? out : out.detach(), back];
}

/**
 * Defines a function with a hand-written gradient. `f` returns the value and a `vjp` that maps
 * the output's gradient to one gradient per input (null for none). The forward runs untracked;
 * the vjp's ops are recorded, so it composes with higher-order `grad` when written in Tensor ops.
 *
 * @example
 * // a straight-through estimator: round in the forward pass, identity in the backward pass
 * const roundSTE = customGrad((x: Tensor) => ({ value: x.add(0.5).floor(), vjp: (g) => [g] }));
 */
export function customGrad<A extends TensorArgs>(
  f: (...args: A) => { value: Tensor; vjp: (g: Tensor) => readonly (Tensor | null)[] },
): (...args: A) => Tensor {
  const op = 'customGrad';
  checkFunction(f, op, 'f');
  return (...args) => {
    for (let i = 0; i < args.length; i++) checkTensor(args[i], op, `argument ${i}`);
    const out = noGrad(() => f(...args));
    if (!isTensor(out?.value) || typeof out.vjp !== 'function')
      throw new ValueError(`f must return { value: Tensor, vjp: function }, got ${describeValue(out)}`, op);
    const { value, vjp: rule } = out;
    return record(op, value, args, (g) => {
      const gs = rule(g);
      if (gs.length !== args.length) throw new GradError(`the custom vjp returned ${gs.length} gradients for ${args.length} inputs`, op);
      return gs;
    });
  };
}
