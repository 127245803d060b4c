// The op conformance table: one row per op (or per calling convention of an op), as data.
// forward.test.ts checks every row against its float64 reference (float64 and float32 paths),
// gradcheck.test.ts checks the gradient of every differentiable row by finite differences, and
// compositions.test.ts chains rows together.
import fc from 'fast-check';
import { concat, type DType, div, pow, stack, sub, type Tensor, type TypedArray, tensor, tidy, vjp, where } from '../../src/index.js';
import { broadcastPairArb, type CloseOptions, type GradcheckOptions, shapeArb, valuesArb } from '../../src/testing/index.js';
import * as R from './reference.js';

/** Where an input's values may lie. `avoid`: kinks and jumps to keep `margin` away from. */
export interface Domain {
  min?: number;
  max?: number;
  avoid?: readonly number[];
  margin?: number;
  /** Draw mostly from these values (to provoke ties, zeros, integers), sometimes from the range. */
  choices?: readonly number[];
  /** Draw from `choices` only. */
  only?: boolean;
}

/** One generated instance of a row: the shapes of its tensor inputs and its other parameters. */
export interface Case<P = unknown> {
  shapes: number[][];
  p: P;
}

export interface OpRow<P = unknown> {
  /** Unique display name. */
  name: string;
  /** The library op the row exercises. */
  op: string;
  /** Number of tensor inputs (the ones gradients flow to, for differentiable rows). */
  arity: number;
  cases: fc.Arbitrary<Case<P>>;
  fn: (xs: Tensor[], p: P) => Tensor;
  /** Float64 reference on plain arrays. */
  ref: (xs: R.Nd[], p: P) => R.Nd;
  /** One domain for every input, or one per input. */
  domain: Domain | readonly Domain[];
  /** 0: forward only (not differentiable); 1 or 2: gradcheck order. */
  gradOrder: 0 | 1 | 2;
  /** All input values pairwise apart (no ties for max/min/maximum, no zero variance for std). */
  distinct?: boolean;
  /** Input dtype family (default float). */
  input?: 'float' | 'bool';
  /** The row computes in float64 whatever its input (not run where float64 is missing: WebGPU). */
  needsFloat64?: boolean;
  /** Output dtype given the input dtype (default: the same). */
  output?: (input: DType) => DType;
  /** Forward tolerances; defaults F64_TOL / F32_TOL. */
  tol?: { f64?: CloseOptions; f32?: CloseOptions };
  gradcheck?: GradcheckOptions;
}

export const F64_TOL: CloseOptions = { atol: 1e-12, rtol: 1e-10 };
export const F32_TOL: CloseOptions = { atol: 1e-5, rtol: 1e-5 };
/** Movement and indexing rows copy values: they must match exactly. */
const EXACT = { f64: { atol: 0, rtol: 0 }, f32: { atol: 0, rtol: 0 } };

const row = <P>(r: OpRow<P>): OpRow => r as unknown as OpRow;
/** Row fields a helper lets its caller override. */
type Extra = Partial<Pick<OpRow, 'distinct' | 'gradOrder' | 'input' | 'output' | 'tol' | 'gradcheck'>>;

// ---- generators ---------------------------------------------------------------------------------

/** Small shapes: rank ≤ 3, dims 1–4 (at most 64 elements). */
export const shapeA = (minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> => shapeArb({ minRank, maxRank, minDim: 1, maxDim });
const pair = (): fc.Arbitrary<[number[], number[]]> => broadcastPairArb({ minRank: 0, maxRank: 3, minDim: 1, maxDim: 4 });
const one =
  <P>(p: P) =>
  (s: number[]): Case<P> => ({ shapes: [s], p });

/** An axis of a rank-`r` tensor, possibly negative. */
export const axisArb = (r: number): fc.Arbitrary<number> => fc.integer({ min: -r, max: r - 1 });

/** What reductions take: undefined (all), one axis, or a list of distinct axes (negatives mixed in). */
export function axesArb(r: number): fc.Arbitrary<number | number[] | undefined> {
  const list = fc
    .shuffledSubarray([...Array(r).keys()])
    .chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - r))))
    .map((axes) => [...axes]);
  if (r === 0) return fc.oneof(fc.constant(undefined), list);
  return fc.oneof(fc.constant(undefined), axisArb(r), list);
}

/** How many elements a reduction over `axis` folds together. */
export const countOf = (shape: readonly number[], axis: number | readonly number[] | undefined): number =>
  R.normAxes(axis, shape.length).reduce((n, a) => n * shape[a]!, 1);

/** An int32 index tensor of `shape` with values in [0, n). */
export const indexNdArb = (shape: number[], n: number): fc.Arbitrary<R.Nd> =>
  fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: R.sizeOf(shape), maxLength: R.sizeOf(shape) }).map((data) => R.nd(shape, data));
const int32 = (x: R.Nd) => tensor(Int32Array.from(x.data), { shape: x.shape, dtype: 'int32' });

/** Values of one input in its domain (the testing package's valuesArb, or `choices`). */
export function valuesFor(size: number, d: Domain): fc.Arbitrary<number[]> {
  const { min = -3, max = 3, avoid = [], margin = 0.05, choices, only } = d;
  if (!choices) return valuesArb(size, { min, max, avoid, margin });
  if (only) return fc.array(fc.constantFrom(...choices), { minLength: size, maxLength: size });
  const cont = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const v = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...choices) }, { weight: 1, arbitrary: cont });
  return fc.array(v, { minLength: size, maxLength: size });
}

/**
 * `total` values in [min, max], pairwise at least (max − min)/(2·GRID) apart: distinct grid cells
 * with a jitter inside each. Keeps max/min/maximum away from ties and std away from zero variance.
 */
const GRID = 200;
export function distinctValues(total: number, { min = -3, max = 3 }: Domain): fc.Arbitrary<number[]> {
  return fc
    .tuple(
      fc.shuffledSubarray([...Array(GRID).keys()], { minLength: total, maxLength: total }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: total, maxLength: total }),
    )
    .map(([cells, jitter]) => cells.map((k, i) => min + ((max - min) * (k + 0.25 + 0.5 * jitter[i]!)) / GRID));
}

export const domainOf = (r: OpRow, i: number): Domain => (Array.isArray(r.domain) ? r.domain[i]! : (r.domain as Domain));

/** A case with the values of its inputs. */
export interface Instance extends Case {
  values: number[][];
}

export function instanceArb(r: OpRow): fc.Arbitrary<Instance> {
  return r.cases.chain((c) => {
    const sizes = c.shapes.map(R.sizeOf);
    let values: fc.Arbitrary<number[][]>;
    if (r.input === 'bool') values = fc.tuple(...sizes.map((n) => fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n })));
    else if (r.distinct) {
      values = distinctValues(
        sizes.reduce((a, b) => a + b, 0),
        domainOf(r, 0),
      ).map((all) => {
        let at = 0;
        return sizes.map((n) => all.slice(at, (at += n)));
      });
    } else values = fc.tuple(...sizes.map((n, i) => valuesFor(n, domainOf(r, i))));
    return values.map((v) => ({ ...c, values: v }));
  });
}

/** The input tensors of an instance in a float dtype (or bool for bool rows). */
export function inputsOf(r: OpRow, inst: Instance, dtype: 'float32' | 'float64'): Tensor[] {
  return inst.shapes.map((shape, i) => {
    const v = inst.values[i]!;
    if (r.input === 'bool') return tensor(Uint8Array.from(v), { shape, dtype: 'bool' });
    return tensor(Float64Array.from(v), { shape, dtype });
  });
}

/**
 * The row's gradient of every input for `ct·out`, read back, on the active backend, with a
 * cotangent of varied positive entries (weights 0.5…1.5, each passed through `round`: the f16
 * suite rounds them to halves), the same on every backend.
 */
export async function gradientsOf(
  r: OpRow,
  batch: Instance[],
  dtype: 'float32' | 'float64',
  round: (x: number) => number = (x) => x,
): Promise<TypedArray[][]> {
  const cotangent = (out: Tensor): Tensor =>
    tensor(
      Float64Array.from({ length: out.size }, (_, i) => round(0.5 + ((i * 0.618034) % 1))),
      { shape: [...out.shape], dtype: out.dtype as 'float32' | 'float64' },
    );
  const grads: Tensor[][] = tidy(() =>
    batch.map((inst) => {
      const [out, back] = vjp((...xs: Tensor[]) => r.fn(xs, inst.p), ...inputsOf(r, inst, dtype));
      return back(cotangent(out));
    }),
  );
  try {
    return await Promise.all(grads.map((gs) => Promise.all(gs.map((g) => g.data()))));
  } finally {
    for (const gs of grads) for (const g of gs) g.dispose();
  }
}

/** The reference inputs: the values as the tensors hold them (float32 rounds). */
export function refInputsOf(inst: Instance, dtype: 'float32' | 'float64'): R.Nd[] {
  return inst.shapes.map((shape, i) => R.nd(shape, dtype === 'float32' ? inst.values[i]!.map(Math.fround) : inst.values[i]!));
}

// ---- elementwise --------------------------------------------------------------------------------

const R3: Domain = { min: -3, max: 3 };
const POS: Domain = { min: 0.1, max: 3 };
const NONZERO: Domain = { min: -3, max: 3, avoid: [0], margin: 0.2 };
const KINK0: Domain = { min: -3, max: 3, avoid: [0] };

function unary(op: string, fn: (x: Tensor) => Tensor, ref: (v: number) => number, domain: Domain): OpRow {
  return row<undefined>({
    name: op,
    op,
    arity: 1,
    cases: shapeA().map(one(undefined)),
    fn: ([x]) => fn(x!),
    ref: ([x]) => R.map(x!, ref),
    domain,
    gradOrder: 2,
  });
}

function unaryP<P>(
  name: string,
  op: string,
  p: fc.Arbitrary<P>,
  fn: (x: Tensor, p: P) => Tensor,
  ref: (v: number, p: P) => number,
  domain: Domain,
): OpRow {
  return row<P>({
    name,
    op,
    arity: 1,
    cases: fc.tuple(shapeA(), p).map(([s, q]) => ({ shapes: [s], p: q })),
    fn: ([x], q) => fn(x!, q),
    ref: ([x], q) => R.map(x!, (v) => ref(v, q)),
    domain,
    gradOrder: 2,
  });
}

function binary(
  op: string,
  fn: (a: Tensor, b: Tensor) => Tensor,
  ref: (a: number, b: number) => number,
  domain: Domain | Domain[],
  extra: Extra = {},
): OpRow {
  return row<undefined>({
    name: op,
    op: op.split(' ')[0]!,
    arity: 2,
    cases: pair().map(([a, b]) => ({ shapes: [a, b], p: undefined })),
    fn: ([a, b]) => fn(a!, b!),
    ref: ([a, b]) => R.zip([a!, b!], ref),
    domain,
    gradOrder: 2,
    ...extra,
  });
}

const elementwise: OpRow[] = [
  unary(
    'neg',
    (x) => x.neg(),
    (v) => -v,
    R3,
  ),
  unary('abs', (x) => x.abs(), Math.abs, KINK0),
  unary('exp', (x) => x.exp(), Math.exp, R3),
  unary('expm1', (x) => x.expm1(), Math.expm1, R3),
  unary('log', (x) => x.log(), Math.log, POS),
  unary('log1p', (x) => x.log1p(), Math.log1p, { min: -0.9, max: 3 }),
  unary('sqrt', (x) => x.sqrt(), Math.sqrt, POS),
  unary(
    'rsqrt',
    (x) => x.rsqrt(),
    (v) => 1 / Math.sqrt(v),
    POS,
  ),
  unary(
    'square',
    (x) => x.square(),
    (v) => v * v,
    R3,
  ),
  unary(
    'reciprocal',
    (x) => x.reciprocal(),
    (v) => 1 / v,
    NONZERO,
  ),
  unary('sin', (x) => x.sin(), Math.sin, { min: -4, max: 4 }),
  unary('cos', (x) => x.cos(), Math.cos, { min: -4, max: 4 }),
  unary('tanh', (x) => x.tanh(), Math.tanh, { min: -5, max: 5 }),
  unary('sigmoid', (x) => x.sigmoid(), R.sigmoid, { min: -8, max: 8 }),
  // |x| < 2.5 and beyond take different paths in the library's erf
  unary('erf', (x) => x.erf(), R.erf, { min: -4, max: 4 }),
  unary(
    'relu',
    (x) => x.relu(),
    (v) => Math.max(v, 0),
    KINK0,
  ),
  unaryP(
    'leakyRelu',
    'leakyRelu',
    fc.constantFrom(0.01, 0.2, 1.5),
    (x, s) => x.leakyRelu(s),
    (v, s) => (v > 0 ? v : s * v),
    KINK0,
  ),
  unaryP(
    'elu',
    'elu',
    fc.constantFrom(1, 0.5, 2),
    (x, a) => x.elu(a),
    (v, a) => (v > 0 ? v : a * Math.expm1(v)),
    KINK0,
  ),
  unary('gelu', (x) => x.gelu(), R.gelu, { min: -4, max: 4 }),
  // the switch to the linear branch at βx = threshold is a jump: keep away from x = threshold/β
  unaryP(
    'softplus',
    'softplus',
    fc.record({ beta: fc.constantFrom(1, 2, 0.5), threshold: fc.constantFrom(20, 2) }),
    (x, q) => x.softplus(q.beta, q.threshold),
    (v, q) => R.softplus(v, q.beta, q.threshold),
    { min: -3, max: 3, avoid: [1, 2] },
  ),
  unaryP(
    'clamp',
    'clamp',
    fc.constantFrom<[number | null, number | null]>([-1, 1], [-0.5, null], [null, 0.5]),
    (x, [lo, hi]) => x.clamp(lo, hi),
    (v, [lo, hi]) => Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity),
    { min: -3, max: 3, avoid: [-1, -0.5, 0.5, 1] },
  ),
  binary(
    'add',
    (a, b) => a.add(b),
    (a, b) => a + b,
    R3,
  ),
  binary(
    'sub',
    (a, b) => a.sub(b),
    (a, b) => a - b,
    R3,
  ),
  binary(
    'mul',
    (a, b) => a.mul(b),
    (a, b) => a * b,
    R3,
  ),
  binary(
    'div',
    (a, b) => a.div(b),
    (a, b) => a / b,
    [R3, NONZERO],
  ),
  binary(
    'pow',
    (a, b) => a.pow(b),
    (a, b) => a ** b,
    [
      { min: 0.2, max: 3 },
      { min: -2, max: 2 },
    ],
  ),
  binary('maximum', (a, b) => a.maximum(b), Math.max, R3, { distinct: true }),
  binary('minimum', (a, b) => a.minimum(b), Math.min, R3, { distinct: true }),
  // a number operand becomes a scalar tensor, on either side
  unaryP(
    'add (number)',
    'add',
    fc.constantFrom(2.5, -1),
    (x, c) => x.add(c),
    (v, c) => v + c,
    R3,
  ),
  unaryP(
    'sub (number − tensor)',
    'sub',
    fc.constantFrom(1.5, -2),
    (x, c) => sub(c, x),
    (v, c) => c - v,
    R3,
  ),
  unaryP(
    'mul (number)',
    'mul',
    fc.constantFrom(3, -0.5),
    (x, c) => x.mul(c),
    (v, c) => v * c,
    R3,
  ),
  unaryP(
    'div (number / tensor)',
    'div',
    fc.constantFrom(2, -1),
    (x, c) => div(c, x),
    (v, c) => c / v,
    NONZERO,
  ),
  // zero bases with small integer exponents: 0⁰, 0¹ (derivatives 0 and 1, second derivative 0)
  unaryP(
    'pow (integer exponent)',
    'pow',
    fc.constantFrom(0, 1, 2, 3),
    (x, e) => x.pow(e),
    (v, e) => v ** e,
    { ...R3, choices: [0, -1, 1.5] },
  ),
  // first order only: ∂²(aᵇ)/∂a∂b = a^(b−1)(1 + b·ln a) is unbounded as a → 0⁺ for b = 1
  binary(
    'pow (zero base, tensor exponent)',
    (a, b) => a.pow(b),
    (a, b) => a ** b,
    [
      { min: 0.2, max: 3, choices: [0, 0.5, 2] },
      { choices: [1, 2, 3], only: true },
    ],
    { gradOrder: 1 },
  ),
  unaryP(
    'pow (number base)',
    'pow',
    fc.constantFrom(2, 0.5),
    (x, b) => pow(b, x),
    (v, b) => b ** v,
    R3,
  ),
  unaryP(
    'maximum (number)',
    'maximum',
    fc.constantFrom(0.5, -1),
    (x, c) => x.maximum(c),
    (v, c) => Math.max(v, c),
    { min: -3, max: 3, avoid: [0.5, -1] },
  ),
  unaryP(
    'minimum (number)',
    'minimum',
    fc.constantFrom(0.5, -1),
    (x, c) => x.minimum(c),
    (v, c) => Math.min(v, c),
    { min: -3, max: 3, avoid: [0.5, -1] },
  ),
  row<{ shape: number[]; values: number[] }>({
    name: 'where',
    op: 'where',
    arity: 2,
    cases: pair().chain(([a, b]) => {
      const full = R.broadcastShapes(a, b);
      return fc
        .tuple(fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }), fc.integer({ min: 0, max: full.length }))
        .chain(([ones, drop]) => {
          const shape = full.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
          return fc.array(fc.constantFrom(0, 1), { minLength: R.sizeOf(shape), maxLength: R.sizeOf(shape) }).map((values) => ({
            shapes: [a, b],
            p: { shape, values },
          }));
        });
    }),
    fn: ([a, b], c) => where(tensor(Uint8Array.from(c.values), { shape: c.shape, dtype: 'bool' }), a!, b!),
    ref: ([a, b], c) => R.zip([R.nd(c.shape, c.values), a!, b!], (k, x, y) => (k ? x : y)),
    domain: R3,
    gradOrder: 2,
  }),
  // float32 rounding makes the round trip piecewise constant at ~1e-7: a wider finite-difference
  // step sees through it (error ≤ ulp/eps ≈ 3e-4, inside gradcheck's default tolerance)
  row<undefined>({
    name: 'cast (float round trip)',
    op: 'cast',
    arity: 1,
    cases: shapeA().map(one(undefined)),
    fn: ([x]) => x!.cast(x!.dtype === 'float64' ? 'float32' : 'float64').cast(x!.dtype),
    ref: ([x]) => R.map(x!, Math.fround),
    domain: R3,
    gradOrder: 2,
    gradcheck: { eps: 1e-3 },
    needsFloat64: true,
  }),
  row<undefined>({
    name: 'cast (to the other float)',
    op: 'cast',
    arity: 1,
    cases: shapeA().map(one(undefined)),
    fn: ([x]) => x!.cast(x!.dtype === 'float64' ? 'float32' : 'float64'),
    // a float64 input rounds to float32; a float32 input widens exactly
    ref: ([x]) => R.map(x!, Math.fround),
    domain: R3,
    gradOrder: 0,
    output: (d) => (d === 'float64' ? 'float32' : 'float64'),
    needsFloat64: true,
  }),
];

// ---- not differentiable: forward only -----------------------------------------------------------

const TIES: Domain = { min: -3, max: 3, choices: [-1, 0, 0.5, 1] };
const compare = (op: string, fn: (a: Tensor, b: Tensor) => Tensor, ref: (a: number, b: number) => boolean) =>
  binary(op, fn, (a, b) => Number(ref(a, b)), TIES, { gradOrder: 0, output: () => 'bool' });

const nonDifferentiable: OpRow[] = [
  compare(
    'eq',
    (a, b) => a.eq(b),
    (a, b) => a === b,
  ),
  compare(
    'ne',
    (a, b) => a.ne(b),
    (a, b) => a !== b,
  ),
  compare(
    'lt',
    (a, b) => a.lt(b),
    (a, b) => a < b,
  ),
  compare(
    'le',
    (a, b) => a.le(b),
    (a, b) => a <= b,
  ),
  compare(
    'gt',
    (a, b) => a.gt(b),
    (a, b) => a > b,
  ),
  compare(
    'ge',
    (a, b) => a.ge(b),
    (a, b) => a >= b,
  ),
  { ...unary('sign', (x) => x.sign(), Math.sign, { min: -3, max: 3, choices: [0, -0, 1, -2.5] }), gradOrder: 0 },
  { ...unary('floor', (x) => x.floor(), Math.floor, { min: -3, max: 3, choices: [-1.5, -1, 0, 0.5, 2, 2.999] }), gradOrder: 0 },
  {
    ...unary(
      'logicalNot',
      (x) => x.logicalNot(),
      (v) => Number(!v),
      {},
    ),
    gradOrder: 0,
    input: 'bool',
    output: () => 'bool',
  },
  binary(
    'logicalAnd',
    (a, b) => a.logicalAnd(b),
    (a, b) => Number(a && b),
    {},
    { gradOrder: 0, input: 'bool', output: () => 'bool' },
  ),
  binary(
    'logicalOr',
    (a, b) => a.logicalOr(b),
    (a, b) => Number(a || b),
    {},
    { gradOrder: 0, input: 'bool', output: () => 'bool' },
  ),
  ...(['argmax', 'argmin'] as const).map((op) =>
    row<{ axis: number | undefined; keepDims: boolean }>({
      name: op,
      op,
      arity: 1,
      cases: shapeA().chain((s) =>
        fc
          .record({
            axis: s.length === 0 ? fc.constant(undefined) : fc.option(axisArb(s.length), { nil: undefined }),
            keepDims: fc.boolean(),
          })
          .map((p) => ({ shapes: [s], p })),
      ),
      fn: ([x], p) => (op === 'argmax' ? x!.argmax(p.axis, { keepDims: p.keepDims }) : x!.argmin(p.axis, { keepDims: p.keepDims })),
      ref: ([x], p) => {
        const sign = op === 'argmax' ? 1 : -1;
        if (p.axis === undefined) {
          const v = R.argBest(x!.data, sign);
          return R.nd(p.keepDims ? x!.shape.map(() => 1) : [], [v]);
        }
        return R.reduce(x!, [R.normAxis(p.axis, x!.shape.length)], p.keepDims, (vals) => R.argBest(vals, sign));
      },
      // repeated values: the first index wins
      domain: { min: -3, max: 3, choices: [0, 1, 2] },
      gradOrder: 0,
      output: () => 'int32',
    }),
  ),
  ...(['int32', 'bool'] as const).map((to) =>
    row<undefined>({
      name: `cast (to ${to})`,
      op: 'cast',
      arity: 1,
      cases: shapeA().map(one(undefined)),
      fn: ([x]) => x!.cast(to),
      ref: ([x]) => R.map(x!, to === 'int32' ? Math.trunc : (v) => Number(v !== 0)),
      domain: { min: -3, max: 3, choices: [0, -0, 1.5, -1.5, 2] },
      gradOrder: 0,
      output: () => to,
    }),
  ),
];

// ---- reductions ---------------------------------------------------------------------------------

interface ReduceP {
  axis: number | number[] | undefined;
  keepDims: boolean;
}
const reduceCases = (minRank = 0): fc.Arbitrary<Case<ReduceP>> =>
  shapeA(minRank).chain((s) => fc.record({ axis: axesArb(s.length), keepDims: fc.boolean() }).map((p) => ({ shapes: [s], p })));

function reduction(
  op: string,
  fn: (x: Tensor, p: ReduceP) => Tensor,
  ref: (vals: number[]) => number,
  domain: Domain,
  extra: Extra = {},
): OpRow {
  return row<ReduceP>({
    name: op,
    op,
    arity: 1,
    cases: reduceCases(),
    fn: ([x], p) => fn(x!, p),
    ref: ([x], p) => R.reduce(x!, R.normAxes(p.axis, x!.shape.length), p.keepDims, ref),
    domain,
    gradOrder: 2,
    tol: { f32: { atol: 1e-5, rtol: 1e-4 } },
    ...extra,
  });
}

interface VarP extends ReduceP {
  correction: number;
}
function varianceRow(op: 'variance' | 'std'): OpRow {
  return row<VarP>({
    name: op,
    op,
    arity: 1,
    cases: shapeA()
      .chain((s) =>
        fc.record({ axis: axesArb(s.length), keepDims: fc.boolean(), correction: fc.constantFrom(0, 1) }).map((p) => ({ shapes: [s], p })),
      )
      // needs more elements than the correction; std also a non-zero spread (√ has no gradient at 0)
      .filter((c) => countOf(c.shapes[0]!, c.p.axis) > Math.max(c.p.correction, op === 'std' ? 1 : 0)),
    fn: ([x], p) => x![op](p.axis, { keepDims: p.keepDims, correction: p.correction }),
    ref: ([x], p) =>
      R.reduce(x!, R.normAxes(p.axis, x!.shape.length), p.keepDims, (v) => {
        const s2 = R.variance(v, p.correction);
        return op === 'std' ? Math.sqrt(s2) : s2;
      }),
    domain: R3,
    distinct: op === 'std',
    gradOrder: 2,
    // float32 cancellation in x − mean: ~1e-6 absolute in the variance, more in √ near small spreads
    tol: { f32: op === 'std' ? { atol: 1e-4, rtol: 1e-3 } : { atol: 1e-5, rtol: 1e-4 } },
  });
}

interface LaneP {
  axis: number | undefined;
}
const laneCases = shapeA(1).chain((s) => fc.option(axisArb(s.length), { nil: undefined }).map((axis) => ({ shapes: [s], p: { axis } })));

const reductions: OpRow[] = [
  reduction('sum', (x, p) => x.sum(p.axis, { keepDims: p.keepDims }), R.sum, R3),
  reduction('mean', (x, p) => x.mean(p.axis, { keepDims: p.keepDims }), R.mean, R3),
  reduction(
    'max',
    (x, p) => x.max(p.axis, { keepDims: p.keepDims }),
    (v) => Math.max(...v),
    R3,
    { distinct: true },
  ),
  reduction(
    'min',
    (x, p) => x.min(p.axis, { keepDims: p.keepDims }),
    (v) => Math.min(...v),
    R3,
    { distinct: true },
  ),
  // |x| ≥ 0.3 and ≤ 1.5: products of up to 64 factors stay in range; zeros have their own tests
  reduction('prod', (x, p) => x.prod(p.axis, { keepDims: p.keepDims }), R.prod, { min: -1.5, max: 1.5, avoid: [0], margin: 0.3 }),
  // exact zeros (one, two, more per reduction): prod is multilinear, so central differences are exact
  {
    ...reduction('prod', (x, p) => x.prod(p.axis, { keepDims: p.keepDims }), R.prod, { choices: [0, 0, 0.5, -1.5, 2], only: true }),
    name: 'prod (exact zeros)',
  },
  reduction('logsumexp', (x, p) => x.logsumexp(p.axis, { keepDims: p.keepDims }), R.logsumexp, { min: -5, max: 5 }),
  varianceRow('variance'),
  varianceRow('std'),
  row<LaneP>({
    name: 'softmax',
    op: 'softmax',
    arity: 1,
    cases: laneCases,
    fn: ([x], p) => x!.softmax(p.axis),
    ref: ([x], p) =>
      R.alongAxis(x!, p.axis ?? -1, (lane) => {
        const z = R.logsumexp(lane);
        return lane.map((v) => Math.exp(v - z));
      }),
    domain: { min: -5, max: 5 },
    gradOrder: 2,
  }),
  row<LaneP>({
    name: 'logSoftmax',
    op: 'logSoftmax',
    arity: 1,
    cases: laneCases,
    fn: ([x], p) => x!.logSoftmax(p.axis),
    ref: ([x], p) =>
      R.alongAxis(x!, p.axis ?? -1, (lane) => {
        const z = R.logsumexp(lane);
        return lane.map((v) => v - z);
      }),
    domain: { min: -5, max: 5 },
    gradOrder: 2,
  }),
  row<{ axis: number; reverse: boolean }>({
    name: 'cumsum',
    op: 'cumsum',
    arity: 1,
    cases: shapeA(1).chain((s) => fc.record({ axis: axisArb(s.length), reverse: fc.boolean() }).map((p) => ({ shapes: [s], p }))),
    fn: ([x], p) => x!.cumsum(p.axis, { reverse: p.reverse }),
    ref: ([x], p) => R.cumsum(x!, p.axis, p.reverse),
    domain: R3,
    gradOrder: 2,
  }),
];

// ---- linear algebra -----------------------------------------------------------------------------

const dim = fc.integer({ min: 1, max: 4 });
/** Operand shapes of every matmul form: 1-D·1-D, 1-D·2-D, 2-D·1-D, 2-D·2-D, batched with broadcasting. */
const matmulShapes: fc.Arbitrary<number[][]> = fc
  .tuple(dim, dim, dim, broadcastPairArb({ minRank: 1, maxRank: 2, minDim: 1, maxDim: 3 }), fc.integer({ min: 0, max: 6 }))
  .map(([m, k, n, [ba, bb], form]) => {
    switch (form) {
      case 0:
        return [[k], [k]];
      case 1:
        return [[k], [k, n]];
      case 2:
        return [[m, k], [k]];
      case 3:
        return [
          [m, k],
          [k, n],
        ];
      case 4:
        return [
          [...ba, m, k],
          [...bb, k, n],
        ];
      case 5:
        return [[k], [...bb, k, n]];
      default:
        return [[...ba, m, k], [k]];
    }
  });

const linalg: OpRow[] = [
  row<undefined>({
    name: 'matmul',
    op: 'matmul',
    arity: 2,
    cases: matmulShapes.map((shapes) => ({ shapes, p: undefined })),
    fn: ([a, b]) => a!.matmul(b!),
    ref: ([a, b]) => R.matmul(a!, b!),
    domain: R3,
    gradOrder: 2,
    tol: { f32: { atol: 1e-5, rtol: 1e-4 } },
  }),
  row<undefined>({
    name: 'dot',
    op: 'dot',
    arity: 2,
    cases: dim.map((k) => ({ shapes: [[k], [k]], p: undefined })),
    fn: ([a, b]) => a!.dot(b!),
    ref: ([a, b]) => R.nd([], [R.sum(a!.data.map((v, i) => v * b!.data[i]!))]),
    domain: R3,
    gradOrder: 2,
    tol: { f32: { atol: 1e-5, rtol: 1e-4 } },
  }),
  row<undefined>({
    name: 'outer',
    op: 'outer',
    arity: 2,
    cases: fc.tuple(dim, dim).map(([m, n]) => ({ shapes: [[m], [n]], p: undefined })),
    fn: ([a, b]) => a!.outer(b!),
    ref: ([a, b]) => R.build([a!.shape[0]!, b!.shape[0]!], ([i, j]) => a!.data[i!]! * b!.data[j!]!),
    domain: R3,
    gradOrder: 2,
  }),
];

// ---- movement and indexing ----------------------------------------------------------------------

function movement<P>(
  name: string,
  cases: fc.Arbitrary<Case<P>>,
  fn: (xs: Tensor[], p: P) => Tensor,
  ref: (xs: R.Nd[], p: P) => R.Nd,
  arity = 1,
): OpRow {
  return row<P>({ name, op: name.split(' ')[0]!, arity, cases, fn, ref, domain: R3, gradOrder: 1, tol: EXACT });
}

function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let f = 2; n > 1; f++) {
    while (n % f === 0) {
      out.push(f);
      n /= f;
    }
  }
  return out;
}

/** A random target shape with the same size as `s` (rank ≤ 3), maybe with one -1. */
export const reshapeTargetArb = (s: readonly number[]): fc.Arbitrary<number[]> =>
  fc
    .record({ rank: fc.integer({ min: 0, max: 3 }), picks: fc.array(fc.nat(), { minLength: 13, maxLength: 13 }), infer: fc.boolean() })
    .map(({ rank, picks, infer }) => {
      const n = R.sizeOf(s);
      const r = Math.max(rank, n > 1 ? 1 : 0);
      const target = new Array<number>(r).fill(1);
      primeFactors(n).forEach((f, i) => {
        target[picks[i]! % r]! *= f;
      });
      if (infer && r > 0) target[picks[12]! % r] = -1;
      return target;
    });
const reshapeCases = shapeA().chain((s) => reshapeTargetArb(s).map((p) => ({ shapes: [s], p })));

/** Shapes with size-1 axes, and which of them to squeeze (undefined: all). */
const squeezeCases = fc.array(fc.constantFrom(1, 1, 2, 3), { maxLength: 3 }).chain((s) => {
  const ones = [...s.keys()].filter((i) => s[i] === 1);
  const pick = fc
    .subarray(ones)
    .chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - s.length))))
    .map((axes): number | number[] => (axes.length === 1 && axes[0]! % 2 === 0 ? axes[0]! : [...axes]));
  return fc.option(pick, { nil: undefined }).map((axis) => ({ shapes: [s], p: axis }));
});

const flattenCases: fc.Arbitrary<Case<[number, number]>> = shapeA().chain((s) =>
  s.length === 0
    ? fc.constant({ shapes: [s], p: [0, -1] as [number, number] })
    : fc
        .tuple(axisArb(s.length), axisArb(s.length))
        .filter(([a, b]) => R.normAxis(a, s.length) <= R.normAxis(b, s.length))
        .map((p) => ({ shapes: [s], p })),
);

export const permutation = (r: number): fc.Arbitrary<number[]> =>
  fc
    .shuffledSubarray([...Array(r).keys()], { minLength: r, maxLength: r })
    .chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - r))).map((a) => [...a]));

/** A target shape and an input that broadcasts to it (some axes 1, leading axes dropped); kept axes may be -1. */
const expandCases = shapeA().chain((full) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.integer({ min: 0, max: full.length }),
    )
    .map(([ones, infer, drop]) => {
      const input = full.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
      const target = full.map((d, i) => (i >= drop && !ones[i] && infer[i] ? -1 : d));
      return { shapes: [input], p: target };
    }),
);

type Spec = R.RefSliceSpec;
const bound = (n: number) => fc.option(fc.integer({ min: -n - 2, max: n + 2 }), { nil: null });
export const specArb = (n: number): fc.Arbitrary<Spec> =>
  fc.oneof(
    fc.integer({ min: -n, max: n - 1 }),
    fc.constant(null),
    fc.tuple(bound(n), bound(n), fc.option(fc.constantFrom(1, 2, 3, -1, -2, -3), { nil: null })),
  );
const sliceCases = shapeA().chain((s) =>
  fc
    .integer({ min: 0, max: s.length })
    .chain((k) => fc.tuple(...s.slice(0, k).map(specArb)).map((specs) => ({ shapes: [s], p: [...specs] }))),
);

const padCases = shapeA().chain((s) =>
  fc
    .record({
      widths: fc
        .integer({ min: 0, max: s.length })
        .chain((k) => fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: k, maxLength: k })),
      value: fc.constantFrom(0, 1.5, -2),
    })
    .map((p) => ({ shapes: [s], p })),
);

/** Three shapes equal except along `axis`. */
const concatCases = shapeA(1).chain((s) =>
  axisArb(s.length).chain((axis) =>
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }).map((sizes) => {
      const a = R.normAxis(axis, s.length);
      return { shapes: sizes.map((d) => s.map((v, i) => (i === a ? d : v))), p: axis };
    }),
  ),
);

/** Pieces are scaled by 1, 2, 3… and joined back, so every piece, its size and its place are checked. */
const joinScaled = (pieces: Tensor[], axis: number): Tensor =>
  concat(
    pieces.map((t, i) => t.mul(i + 1)),
    axis,
  );
/** The reference of joinScaled: element j along the axis is scaled by the number of its piece. */
function refPieces(x: R.Nd, axis: number, sizes: readonly number[]): R.Nd {
  const a = R.normAxis(axis, x.shape.length);
  const ends: number[] = [];
  for (const n of sizes) ends.push((ends.at(-1) ?? 0) + n);
  return R.build(x.shape, (idx) => R.get(x, idx) * (ends.findIndex((e) => idx[a]! < e) + 1));
}
/** NumPy/PyTorch split sizes: pieces of `size` (the last smaller), or the explicit list. */
const splitSizes = (n: number, s: number | readonly number[]): number[] =>
  typeof s === 'number' ? Array.from({ length: Math.ceil(n / s) }, (_, i) => Math.min(s, n - i * s)) : [...s];

interface SplitP {
  sizes: number | number[];
  axis: number;
}
const splitCases = shapeA(1).chain((s) =>
  axisArb(s.length).chain((axis) => {
    const n = s[R.normAxis(axis, s.length)]!;
    const list = fc
      .array(fc.integer({ min: 0, max: n }), { maxLength: 3 })
      .map((cuts) => [0, ...cuts.sort((a, b) => a - b), n])
      .map((c) => c.slice(1).map((v, i) => v - c[i]!));
    return fc.oneof(fc.integer({ min: 1, max: n + 1 }), list).map((sizes) => ({ shapes: [s], p: { sizes, axis } }));
  }),
);
const chunkCases = shapeA(1).chain((s) =>
  fc.record({ chunks: fc.integer({ min: 1, max: 5 }), axis: axisArb(s.length) }).map((p) => ({ shapes: [s], p })),
);

/** An axis, an index shape equal to `s` but along the axis, and indices in range. */
const indexCases = shapeA(1).chain((s) =>
  fc.tuple(axisArb(s.length), fc.integer({ min: 1, max: 4 })).chain(([axis, k]) => {
    const a = R.normAxis(axis, s.length);
    const shape = s.map((d, i) => (i === a ? k : d));
    return indexNdArb(shape, s[a]!).map((index) => ({ s, axis, index }));
  }),
);

const movementRows: OpRow[] = [
  movement<number[]>(
    'reshape',
    reshapeCases,
    ([x], t) => x!.reshape(t),
    ([x], t) => R.reshape(x!, t),
  ),
  movement<[number, number]>(
    'flatten',
    flattenCases,
    ([x], [a, b]) => x!.flatten(a, b),
    ([x], [a, b]) => {
      const s = x!.shape;
      if (s.length === 0) return R.reshape(x!, [1]);
      const [i, j] = [R.normAxis(a, s.length), R.normAxis(b, s.length)];
      return R.reshape(x!, [...s.slice(0, i), R.sizeOf(s.slice(i, j + 1)), ...s.slice(j + 1)]);
    },
  ),
  movement<number | number[] | undefined>(
    'squeeze',
    squeezeCases,
    ([x], axis) => x!.squeeze(axis),
    ([x], axis) => {
      const s = x!.shape;
      const drop = axis === undefined ? [...s.keys()].filter((i) => s[i] === 1) : R.normAxes(axis, s.length);
      return R.reshape(
        x!,
        s.filter((_, i) => !drop.includes(i)),
      );
    },
  ),
  movement<number>(
    'unsqueeze',
    shapeA().chain((s) => fc.integer({ min: -s.length - 1, max: s.length }).map((axis) => ({ shapes: [s], p: axis }))),
    ([x], axis) => x!.unsqueeze(axis),
    ([x], axis) => {
      const shape = x!.shape.slice();
      shape.splice(R.normAxis(axis, shape.length + 1), 0, 1);
      return R.reshape(x!, shape);
    },
  ),
  movement<[number, number] | undefined>(
    'transpose',
    shapeA().chain((s) =>
      (s.length < 2 ? fc.constant(undefined) : fc.option(fc.tuple(axisArb(s.length), axisArb(s.length)), { nil: undefined })).map((p) => ({
        shapes: [s],
        p,
      })),
    ),
    ([x], p) => (p ? x!.transpose(p[0], p[1]) : x!.transpose()),
    ([x], p) => {
      const r = x!.shape.length;
      if (r < 2) return x!;
      const [a, b] = (p ?? [-2, -1]).map((v) => R.normAxis(v, r)) as [number, number];
      const axes = [...Array(r).keys()];
      [axes[a], axes[b]] = [b, a];
      return R.permute(x!, axes);
    },
  ),
  movement<undefined>(
    'T (reverse axes)',
    shapeA().map(one(undefined)),
    ([x]) => x!.T,
    ([x]) => R.permute(x!, [...x!.shape.keys()].reverse()),
  ),
  movement<number[]>(
    'permute',
    shapeA().chain((s) => permutation(s.length).map((p) => ({ shapes: [s], p }))),
    ([x], axes) => x!.permute(axes),
    ([x], axes) => R.permute(x!, axes),
  ),
  movement<number[]>(
    'expand',
    expandCases,
    ([x], t) => x!.expand(t),
    ([x], t) => R.expand(x!, t),
  ),
  movement<number[]>(
    'broadcastTo',
    expandCases,
    ([x], t) => x!.broadcastTo(t),
    ([x], t) => R.expand(x!, t),
  ),
  movement<Spec[]>(
    'slice',
    sliceCases,
    ([x], specs) => x!.slice(specs),
    ([x], specs) => R.slice(x!, specs),
  ),
  movement<{ widths: [number, number][]; value: number }>(
    'pad',
    padCases,
    ([x], p) => x!.pad(p.widths, p.value),
    ([x], p) => R.pad(x!, p.widths, p.value),
  ),
  movement<number>(
    'concat',
    concatCases,
    (xs, axis) => concat(xs, axis),
    (xs, axis) => R.concat(xs, axis),
    3,
  ),
  movement<number>(
    'stack',
    shapeA().chain((s) => fc.integer({ min: -s.length - 1, max: s.length }).map((axis) => ({ shapes: [s, s, s], p: axis }))),
    (xs, axis) => stack(xs, axis),
    (xs, axis) => R.stack(xs, axis),
    3,
  ),
  {
    ...movement<SplitP>(
      'split',
      splitCases,
      ([x], p) => joinScaled(x!.split(p.sizes, p.axis), p.axis),
      ([x], p) => refPieces(x!, p.axis, splitSizes(x!.shape[R.normAxis(p.axis, x!.shape.length)]!, p.sizes)),
    ),
    tol: undefined,
  },
  {
    ...movement<{ chunks: number; axis: number }>(
      'chunk',
      chunkCases,
      ([x], p) => joinScaled(x!.chunk(p.chunks, p.axis), p.axis),
      ([x], p) => {
        const n = x!.shape[R.normAxis(p.axis, x!.shape.length)]!;
        return refPieces(x!, p.axis, splitSizes(n, Math.ceil(n / p.chunks)));
      },
    ),
    tol: undefined,
  },
  movement<number[]>(
    'tile',
    shapeA().chain((s) => fc.array(fc.constantFrom(1, 2, 3, 0, 1, 2), { maxLength: 3 }).map((reps) => ({ shapes: [s], p: reps }))),
    ([x], reps) => x!.tile(reps),
    ([x], reps) => R.tile(x!, reps),
  ),
  movement<{ repeats: number; axis: number | undefined }>(
    'repeat',
    shapeA().chain((s) =>
      fc
        .record({
          repeats: fc.constantFrom(1, 2, 3, 0),
          axis: s.length === 0 ? fc.constant(undefined) : fc.option(axisArb(s.length), { nil: undefined }),
        })
        .map((p) => ({ shapes: [s], p })),
    ),
    ([x], p) => x!.repeat(p.repeats, p.axis),
    ([x], p) => R.repeat(x!, p.repeats, p.axis),
  ),
  movement<number | number[] | undefined>(
    'flip',
    shapeA().chain((s) => axesArb(s.length).map((axis) => ({ shapes: [s], p: axis }))),
    ([x], axis) => x!.flip(axis),
    ([x], axis) => R.flip(x!, R.normAxes(axis, x!.shape.length)),
  ),
  movement<{ axis: number; index: R.Nd }>(
    'gather',
    indexCases.map(({ s, axis, index }) => ({ shapes: [s], p: { axis, index } })),
    ([x], p) => x!.gather(p.axis, int32(p.index)),
    ([x], p) => R.gather(x!, p.axis, p.index),
  ),
  movement<{ axis: number; index: number[] }>(
    'indexSelect',
    shapeA(1).chain((s) =>
      axisArb(s.length).chain((axis) =>
        fc
          .array(fc.integer({ min: 0, max: s[R.normAxis(axis, s.length)]! - 1 }), { minLength: 1, maxLength: 4 })
          .map((index) => ({ shapes: [s], p: { axis, index } })),
      ),
    ),
    ([x], p) => x!.indexSelect(p.axis, tensor(Int32Array.from(p.index), { dtype: 'int32' })),
    ([x], p) => R.indexSelect(x!, p.axis, p.index),
  ),
  {
    // repeated indices accumulate: sums, so float rounding applies
    ...movement<{ axis: number; index: R.Nd }>(
      'scatterAdd',
      indexCases.map(({ s, axis, index }) => ({ shapes: [s, index.shape], p: { axis, index } })),
      ([x, src], p) => x!.scatterAdd(p.axis, int32(p.index), src!),
      ([x, src], p) => R.scatterAdd(x!, p.axis, p.index, src!),
      2,
    ),
    tol: undefined,
  },
  movement<undefined>(
    'clone',
    shapeA().map(one(undefined)),
    ([x]) => x!.clone(),
    ([x]) => x!,
  ),
];

/** Every row. */
export const OPS: readonly OpRow[] = [...elementwise, ...nonDifferentiable, ...reductions, ...linalg, ...movementRows];
/** The rows gradients are checked for. */
export const DIFFERENTIABLE: readonly OpRow[] = OPS.filter((r) => r.gradOrder > 0);

/** The row called `name`. */
export function rowNamed(name: string): OpRow {
  const r = OPS.find((o) => o.name === name);
  if (!r) throw new Error(`no op row named ${name}`);
  return r;
}
