import { CarouselError, fmt } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { grad, noGrad, vjp } from '../tape.js';
import { isTensor, type Tensor } from '../tensor.js';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Step of the central difference (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** 1 checks gradients; 2 also checks gradients of gradients (default 1). */
  order?: 1 | 2;
  /** Seed of the random cotangents (default 0). */
  seed?: number;
}

/**
 * A gradient that disagrees with finite differences; the message names the input, the element
 * and both values.
 *
 * @example
 * try {
 *   gradcheck((x) => x.square(), [tensor([1], { dtype: 'float64' })]);
 * } catch (e) {
 *   if (e instanceof GradcheckError) console.log(e.message);
 * }
 */
export class GradcheckError extends CarouselError {}

/** A function of tensors that gradcheck differentiates. */
export type GradcheckFn = (...xs: Tensor[]) => Tensor;
type Fn = GradcheckFn;

/** Deterministic cotangents without touching the global stream: a tiny LCG. */
function cotangentFor(shape: readonly number[], seed: number): Tensor<'float64'> {
  let s = (seed * 2654435761 + 12345) >>> 0;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = (s / 2 ** 32) * 2 - 1;
  }
  return tensor(values, { shape, dtype: 'float64' });
}

/**
 * Checks the gradients of `f` at `inputs` against central finite differences, in float64.
 * The output is contracted with a fixed random cotangent `r` so each input element needs two
 * evaluations: `∂⟨r, f(x)⟩/∂xᵢ ≈ (⟨r, f(x + εeᵢ)⟩ − ⟨r, f(x − εeᵢ)⟩) / 2ε`. With `order: 2` the
 * gradient map itself is checked the same way (gradients of gradients). Throws a
 * {@link GradcheckError} naming the input, the element and both values; returns true otherwise.
 *
 * @example
 * gradcheck((x) => x.tanh().mul(x), [randn([3], { dtype: 'float64' })]); // true
 */
export function gradcheck(f: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): true {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, order = 1, seed = 0 } = opts;
  const xs = inputs.map((x, i) => {
    if (!isTensor(x)) throw new TypeError(`gradcheck: input ${i} is not a Tensor`);
    if (x.dtype !== 'float64')
      throw new GradcheckError(`input ${i} is ${x.dtype}; gradcheck needs float64 inputs (cast them)`, 'gradcheck');
    return x.detach();
  });
  checkFirstOrder(f, xs, { eps, atol, rtol, seed }, 'f');
  if (order === 2) {
    // h(x) = Σᵢ ⟨sᵢ, ∂⟨r, f(x)⟩/∂xᵢ⟩: its gradient is a Hessian-vector product of f
    const out = noGrad(() => f(...xs));
    const r = cotangentFor(out.shape, seed + 1);
    const ss = xs.map((x, i) => cotangentFor(x.shape, seed + 2 + i));
    const scalarF = (...ys: Tensor[]) =>
      f(...ys)
        .mul(r)
        .sum();
    const g = grad(scalarF, { argnums: xs.map((_, i) => i) });
    const h = (...ys: Tensor[]) => g(...ys).reduce<Tensor>((acc, gi, i) => acc.add(gi.mul(ss[i]!).sum()), tensor(0, { dtype: 'float64' }));
    checkFirstOrder(h, xs, { eps, atol, rtol, seed: seed + 100 }, 'the gradient of f');
  }
  return true;
}

function checkFirstOrder(f: Fn, xs: Tensor[], o: { eps: number; atol: number; rtol: number; seed: number }, what: string): void {
  const [out, back] = vjp(f, ...xs);
  if (!isTensor(out)) throw new GradcheckError('f must return a Tensor', 'gradcheck');
  if (out.dtype !== 'float64') throw new GradcheckError(`${what} returned ${out.dtype}; expected float64`, 'gradcheck');
  const r = cotangentFor(out.shape, o.seed);
  const rv = r.dataSync();
  const analytic = back(r).map((g) => g.dataSync());
  const contract = (ys: Tensor[]) => {
    const y = noGrad(() => f(...ys)).dataSync();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * rv[i]!;
    return s;
  };
  xs.forEach((x, k) => {
    const base = x.dataSync();
    for (let i = 0; i < base.length; i++) {
      const probe = (delta: number) => {
        const v = base.slice();
        v[i]! += delta;
        const ys = xs.slice();
        ys[k] = tensor(v, { shape: x.shape, dtype: 'float64' });
        const value = contract(ys);
        ys[k]!.dispose();
        return value;
      };
      const numeric = (probe(o.eps) - probe(-o.eps)) / (2 * o.eps);
      const a = analytic[k]![i]!;
      if (!(Math.abs(a - numeric) <= o.atol + o.rtol * Math.abs(numeric))) {
        throw new GradcheckError(
          `${what}: gradient of input ${k} (shape ${fmt(x.shape)}) at element ${i}: analytic ${a}, numeric ${numeric} ` +
            `(|diff| ${Math.abs(a - numeric).toExponential(3)}, atol ${o.atol}, rtol ${o.rtol})`,
          'gradcheck',
        );
      }
    }
  });
}
