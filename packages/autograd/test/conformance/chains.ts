// Random compositions of op-table rows: chains of 3–6 steps, each a row of ops.ts applied to the
// running value (and, for binary rows, to fresh leaves that are gradcheck inputs too). Every step
// is shape-compatible by construction, and domain-safe: an interval enclosing the running values
// is tracked, and before a step whose domain it leaves (log needs positives, abs/relu/clamp need
// values clear of their kinks, exp needs small values), the value is passed through table rows
// that move it there: tanh or sigmoid to squash, then `mul (number)` and `add (number)`.
// A chain is plain data (row names and parameters) so fast-check prints it on failure.
import fc from 'fast-check';
import type { Tensor } from '../../src/index.js';
import { axesArb, axisArb, countOf, distinctValues, indexNdArb, permutation, reshapeTargetArb, rowNamed, shapeA, specArb } from './ops.js';
import * as R from './reference.js';

type Range = readonly [number, number];
interface State {
  shape: number[];
  range: Range;
}
/** A new gradcheck input a step brings in. */
export interface LeafSpec {
  shape: number[];
  min: number;
  max: number;
}
/** One applied row: its name in the table, its parameters, its new leaves. */
export interface Link {
  row: string;
  p: unknown;
  leaves: LeafSpec[];
}
export interface Chain {
  shape: number[];
  links: Link[];
}

interface Planned {
  p: unknown;
  leaves: LeafSpec[];
  out: State;
}
interface StepDomain {
  min: number;
  max: number;
  avoid?: readonly number[];
}
interface Step {
  row: string;
  /** Where the running value must lie before the step (default [-4, 4]). */
  domain?: StepDomain;
  /** Whether the step applies to a value of this shape. */
  ok?: (shape: readonly number[]) => boolean;
  plan: (s: State) => fc.Arbitrary<Planned>;
}

const MAX_SIZE = 64;
const MARGIN = 0.1;
const DEFAULT_DOMAIN: StepDomain = { min: -4, max: 4 };
const sorted = (a: number, b: number): Range => (a <= b ? [a, b] : [b, a]);
const mono =
  (f: (v: number) => number) =>
  ([lo, hi]: Range): Range =>
    sorted(f(lo), f(hi));
const maxAbs = ([lo, hi]: Range) => Math.max(Math.abs(lo), Math.abs(hi));
const union = ([lo, hi]: Range, a: number, b: number): Range => [Math.min(lo, a), Math.max(hi, b)];
const same = (s: State, p: unknown = undefined): Planned => ({ p, leaves: [], out: s });

/** A shape-preserving elementwise step with a fixed parameter. */
const pointwise = (row: string, range: (r: Range) => Range, domain?: StepDomain, p: unknown = undefined): Step => ({
  row,
  domain,
  plan: (s) => fc.constant({ p, leaves: [], out: { shape: s.shape, range: range(s.range) } }),
});

/** A leaf shape that broadcasts with `shape`: axes kept, set to 1, grown from 1, dropped or prepended. */
function leafShapeArb(shape: readonly number[]): fc.Arbitrary<number[]> {
  const r = shape.length;
  return fc
    .tuple(
      fc.tuple(...shape.map((d) => (d === 1 ? fc.integer({ min: 1, max: 3 }) : fc.constantFrom(d, 1)))),
      fc.integer({ min: -1, max: r }),
      fc.integer({ min: 1, max: 3 }),
    )
    .map(([dims, drop, lead]) => (drop < 0 ? (r < 3 ? [lead, ...dims] : [...dims]) : dims.slice(drop)))
    .filter((leaf) => R.sizeOf(R.broadcastShapes(shape, leaf)) <= MAX_SIZE);
}

/** An elementwise binary step with a leaf of values in [min, max]. */
const withLeaf = (row: string, min: number, max: number, range: (r: Range) => Range, domain?: StepDomain): Step => ({
  row,
  domain,
  plan: (s) =>
    leafShapeArb(s.shape).map((leaf) => ({
      p: undefined,
      leaves: [{ shape: leaf, min, max }],
      out: { shape: R.broadcastShapes(s.shape, leaf), range: range(s.range) },
    })),
});

const reduceOut = (shape: readonly number[], axis: number | number[] | undefined, keepDims: boolean): number[] => {
  const axes = R.normAxes(axis, shape.length);
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
};
const reduction = (row: string, range: (r: Range, n: number) => Range, domain?: StepDomain, maxCount = MAX_SIZE): Step => ({
  row,
  domain,
  plan: (s) =>
    fc
      .record({ axis: axesArb(s.shape.length), keepDims: fc.boolean() })
      .filter((p) => countOf(s.shape, p.axis) <= maxCount)
      .map((p) => ({
        p,
        leaves: [],
        out: { shape: reduceOut(s.shape, p.axis, p.keepDims), range: range(s.range, countOf(s.shape, p.axis)) },
      })),
});
const variance = (row: 'variance' | 'std'): Step => ({
  row,
  ok: (shape) => R.sizeOf(shape) >= 2,
  plan: (s) =>
    fc
      .record({ axis: axesArb(s.shape.length), keepDims: fc.boolean(), correction: fc.constantFrom(0, 1) })
      .filter((p) => countOf(s.shape, p.axis) > Math.max(p.correction, 1))
      .map((p) => {
        const n = countOf(s.shape, p.axis);
        const top = ((s.range[1] - s.range[0]) ** 2 * n) / (n - p.correction);
        return {
          p,
          leaves: [],
          out: { shape: reduceOut(s.shape, p.axis, p.keepDims), range: [0, row === 'std' ? Math.sqrt(top) : top] as Range },
        };
      }),
});
const hasAxes = (shape: readonly number[]) => shape.length > 0;
const sizeOk = (shape: readonly number[]) => R.sizeOf(shape) <= MAX_SIZE;

const gelu = (v: number) => R.gelu(v);
const STEPS: Step[] = [
  pointwise('neg', ([lo, hi]) => [-hi, -lo]),
  pointwise('abs', ([lo, hi]) => (lo >= 0 ? [lo, hi] : [-hi, -lo]), { min: -4, max: 4, avoid: [0] }),
  pointwise('exp', mono(Math.exp), { min: -3, max: 3 }),
  pointwise('expm1', mono(Math.expm1), { min: -3, max: 3 }),
  pointwise('log', mono(Math.log), { min: 0.2, max: 4 }),
  pointwise('log1p', mono(Math.log1p), { min: -0.5, max: 4 }),
  pointwise('sqrt', mono(Math.sqrt), { min: 0.2, max: 4 }),
  pointwise(
    'rsqrt',
    mono((v) => 1 / Math.sqrt(v)),
    { min: 0.2, max: 4 },
  ),
  pointwise('square', ([lo, hi]) => (lo >= 0 ? [lo * lo, hi * hi] : hi <= 0 ? [hi * hi, lo * lo] : [0, maxAbs([lo, hi]) ** 2])),
  pointwise(
    'reciprocal',
    mono((v) => 1 / v),
    { min: -4, max: 4, avoid: [0] },
  ),
  pointwise('sin', () => [-1, 1]),
  pointwise('cos', () => [-1, 1]),
  pointwise('tanh', mono(Math.tanh)),
  pointwise('sigmoid', mono(R.sigmoid)),
  pointwise('erf', ([lo, hi]) => [R.erf(lo) - 1e-9, R.erf(hi) + 1e-9]),
  pointwise('gelu', ([lo, hi]) => [Math.min(gelu(lo), gelu(hi), -0.17), Math.max(gelu(lo), gelu(hi))]),
  pointwise(
    'relu',
    mono((v) => Math.max(v, 0)),
    { min: -4, max: 4, avoid: [0] },
  ),
  pointwise(
    'leakyRelu',
    mono((v) => (v > 0 ? v : 0.2 * v)),
    { min: -4, max: 4, avoid: [0] },
    0.2,
  ),
  pointwise(
    'elu',
    mono((v) => (v > 0 ? v : Math.expm1(v))),
    { min: -4, max: 4, avoid: [0] },
    1,
  ),
  pointwise(
    'softplus',
    mono((v) => R.softplus(v, 1, 20)),
    undefined,
    { beta: 1, threshold: 20 },
  ),
  pointwise(
    'clamp',
    mono((v) => Math.min(Math.max(v, -0.5), 0.5)),
    { min: -4, max: 4, avoid: [-0.5, 0.5] },
    [-0.5, 0.5],
  ),
  withLeaf('add', -1, 1, ([lo, hi]) => [lo - 1, hi + 1]),
  withLeaf('sub', -1, 1, ([lo, hi]) => [lo - 1, hi + 1]),
  withLeaf('mul', -1, 1, (r) => [-maxAbs(r), maxAbs(r)]),
  withLeaf('div', 0.5, 2, ([lo, hi]) => [Math.min(lo * 2, lo / 2), Math.max(hi * 2, hi / 2)]),
  withLeaf(
    'pow',
    -1.5,
    1.5,
    ([lo, hi]) => {
      const corners = [lo ** -1.5, lo ** 1.5, hi ** -1.5, hi ** 1.5];
      return [Math.min(...corners), Math.max(...corners)];
    },
    { min: 0.2, max: 3 },
  ),
  withLeaf('maximum', -1, 1, ([lo, hi]) => [Math.max(lo, -1), Math.max(hi, 1)]),
  withLeaf('minimum', -1, 1, ([lo, hi]) => [Math.min(lo, -1), Math.min(hi, 1)]),
  {
    row: 'where',
    plan: (s) =>
      leafShapeArb(s.shape).chain((leaf) => {
        const shape = R.broadcastShapes(s.shape, leaf);
        return fc.array(fc.constantFrom(0, 1), { minLength: R.sizeOf(shape), maxLength: R.sizeOf(shape) }).map((values) => ({
          p: { shape, values },
          leaves: [{ shape: leaf, min: -1, max: 1 }],
          out: { shape, range: union(s.range, -1, 1) },
        }));
      }),
  },
  {
    row: 'matmul',
    ok: hasAxes,
    plan: (s) => {
      const k = s.shape.at(-1)!;
      const m = maxAbs(s.range) * k;
      return fc
        .option(fc.integer({ min: 1, max: 3 }), { nil: undefined })
        .map((n) => ({
          p: undefined,
          leaves: [{ shape: n === undefined ? [k] : [k, n], min: -1, max: 1 }],
          out: { shape: [...s.shape.slice(0, -1), ...(n === undefined ? [] : [n])], range: [-m, m] as Range },
        }))
        .filter((pl) => sizeOk(pl.out.shape));
    },
  },
  {
    row: 'outer',
    ok: (shape) => shape.length === 1,
    plan: (s) =>
      fc
        .integer({ min: 1, max: 3 })
        .map((n) => ({
          p: undefined,
          leaves: [{ shape: [n], min: -1, max: 1 }],
          out: { shape: [s.shape[0]!, n], range: [-maxAbs(s.range), maxAbs(s.range)] as Range },
        }))
        .filter((pl) => sizeOk(pl.out.shape)),
  },
  {
    row: 'dot',
    ok: (shape) => shape.length === 1,
    plan: (s) => {
      const m = maxAbs(s.range) * s.shape[0]!;
      return fc.constant({ p: undefined, leaves: [{ shape: [...s.shape], min: -1, max: 1 }], out: { shape: [], range: [-m, m] as Range } });
    },
  },
  reduction('sum', ([lo, hi], n) => [n * lo, n * hi]),
  reduction('mean', (r) => r),
  reduction('max', (r) => r),
  reduction('min', (r) => r),
  reduction('logsumexp', ([lo, hi], n) => [lo, hi + Math.log(n)]),
  reduction('prod', ([lo, hi], n) => [lo ** n, hi ** n], { min: 0.5, max: 1.5 }, 6),
  variance('variance'),
  variance('std'),
  ...(['softmax', 'logSoftmax'] as const).map(
    (row): Step => ({
      row,
      ok: hasAxes,
      plan: (s) =>
        fc.option(axisArb(s.shape.length), { nil: undefined }).map((axis) => {
          const n = s.shape[R.normAxis(axis ?? -1, s.shape.length)]!;
          const range: Range = row === 'softmax' ? [0, 1] : [s.range[0] - s.range[1] - Math.log(n), 0];
          return { p: { axis }, leaves: [], out: { shape: s.shape, range } };
        }),
    }),
  ),
  {
    row: 'cumsum',
    ok: hasAxes,
    plan: (s) =>
      fc.record({ axis: axisArb(s.shape.length), reverse: fc.boolean() }).map((p) => {
        const n = s.shape[R.normAxis(p.axis, s.shape.length)]!;
        return {
          p,
          leaves: [],
          out: { shape: s.shape, range: [Math.min(s.range[0], n * s.range[0]), Math.max(s.range[1], n * s.range[1])] as Range },
        };
      }),
  },
  {
    row: 'reshape',
    plan: (s) =>
      reshapeTargetArb(s.shape).map((t) => {
        const shape = [...t];
        if (shape.includes(-1)) shape[shape.indexOf(-1)] = R.sizeOf(s.shape) / R.sizeOf(t.filter((d) => d !== -1));
        return { p: t, leaves: [], out: { shape, range: s.range } };
      }),
  },
  {
    row: 'flatten',
    ok: hasAxes,
    plan: (s) =>
      fc
        .tuple(axisArb(s.shape.length), axisArb(s.shape.length))
        .map(([a, b]) => sorted(R.normAxis(a, s.shape.length), R.normAxis(b, s.shape.length)))
        .map(([i, j]) => ({
          p: [i, j],
          leaves: [],
          out: { shape: [...s.shape.slice(0, i), R.sizeOf(s.shape.slice(i, j + 1)), ...s.shape.slice(j + 1)], range: s.range },
        })),
  },
  {
    row: 'squeeze',
    plan: (s) => fc.constant({ p: undefined, leaves: [], out: { shape: s.shape.filter((d) => d !== 1), range: s.range } }),
  },
  {
    row: 'unsqueeze',
    ok: (shape) => shape.length < 3,
    plan: (s) =>
      fc.integer({ min: -s.shape.length - 1, max: s.shape.length }).map((axis) => {
        const shape = s.shape.slice();
        shape.splice(R.normAxis(axis, shape.length + 1), 0, 1);
        return { p: axis, leaves: [], out: { shape, range: s.range } };
      }),
  },
  {
    row: 'transpose',
    ok: (shape) => shape.length >= 2,
    plan: (s) => {
      const r = s.shape.length;
      return fc.tuple(axisArb(r), axisArb(r)).map(([a, b]) => {
        const shape = s.shape.slice();
        [shape[R.normAxis(a, r)], shape[R.normAxis(b, r)]] = [s.shape[R.normAxis(b, r)]!, s.shape[R.normAxis(a, r)]!];
        return { p: [a, b], leaves: [], out: { shape, range: s.range } };
      });
    },
  },
  { row: 'T (reverse axes)', plan: (s) => fc.constant(same({ shape: s.shape.slice().reverse(), range: s.range })) },
  {
    row: 'permute',
    plan: (s) =>
      permutation(s.shape.length).map((axes) => ({
        p: axes,
        leaves: [],
        out: { shape: axes.map((a) => s.shape[R.normAxis(a, s.shape.length)]!), range: s.range },
      })),
  },
  {
    row: 'expand',
    plan: (s) =>
      fc
        .tuple(fc.tuple(...s.shape.map((d) => (d === 1 ? fc.integer({ min: 1, max: 3 }) : fc.constant(d)))), fc.integer({ min: 0, max: 3 }))
        .map(([dims, lead]) => (lead > 0 && s.shape.length < 3 ? [lead, ...dims] : [...dims]))
        .filter(sizeOk)
        .map((shape) => ({ p: shape, leaves: [], out: { shape, range: s.range } })),
  },
  {
    row: 'slice',
    plan: (s) =>
      fc
        .integer({ min: 0, max: s.shape.length })
        .chain((k) => fc.tuple(...s.shape.slice(0, k).map(specArb)))
        .map((specs) => {
          const probe = R.slice(R.nd(s.shape, new Array(R.sizeOf(s.shape)).fill(0)), specs);
          return { p: [...specs], leaves: [], out: { shape: probe.shape, range: s.range } };
        })
        .filter((pl) => R.sizeOf(pl.out.shape) > 0),
  },
  {
    row: 'pad',
    plan: (s) =>
      fc
        .record({
          widths: fc
            .integer({ min: 0, max: s.shape.length })
            .chain((k) =>
              fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })), { minLength: k, maxLength: k }),
            ),
          value: fc.constantFrom(0, 0.5),
        })
        .map((p) => ({
          p,
          leaves: [],
          out: {
            shape: s.shape.map((d, i) => d + (p.widths[i]?.[0] ?? 0) + (p.widths[i]?.[1] ?? 0)),
            range: union(s.range, p.value, p.value),
          },
        }))
        .filter((pl) => sizeOk(pl.out.shape)),
  },
  {
    row: 'tile',
    plan: (s) =>
      fc
        .array(fc.integer({ min: 1, max: 2 }), { maxLength: 3 })
        .map((reps) => {
          const rank = Math.max(reps.length, s.shape.length);
          const a = [...Array(rank - s.shape.length).fill(1), ...s.shape];
          const b = [...Array(rank - reps.length).fill(1), ...reps];
          return { p: reps, leaves: [], out: { shape: a.map((d, i) => d * b[i]!), range: s.range } };
        })
        .filter((pl) => sizeOk(pl.out.shape) && pl.out.shape.length <= 3),
  },
  {
    row: 'repeat',
    plan: (s) =>
      fc
        .record({
          repeats: fc.integer({ min: 1, max: 2 }),
          axis: s.shape.length === 0 ? fc.constant(undefined) : fc.option(axisArb(s.shape.length), { nil: undefined }),
        })
        .map((p) => {
          const shape =
            p.axis === undefined
              ? [R.sizeOf(s.shape) * p.repeats]
              : s.shape.map((d, i) => (i === R.normAxis(p.axis!, s.shape.length) ? d * p.repeats : d));
          return { p, leaves: [], out: { shape, range: s.range } };
        })
        .filter((pl) => sizeOk(pl.out.shape)),
  },
  { row: 'flip', plan: (s) => axesArb(s.shape.length).map((axis) => same(s, axis)) },
  {
    row: 'gather',
    ok: hasAxes,
    plan: (s) =>
      fc.tuple(axisArb(s.shape.length), fc.integer({ min: 1, max: 3 })).chain(([axis, k]) => {
        const a = R.normAxis(axis, s.shape.length);
        const shape = s.shape.map((d, i) => (i === a ? k : d));
        return indexNdArb(shape, s.shape[a]!).map((index) => ({ p: { axis, index }, leaves: [], out: { shape, range: s.range } }));
      }),
  },
  {
    row: 'indexSelect',
    ok: hasAxes,
    plan: (s) =>
      axisArb(s.shape.length).chain((axis) => {
        const a = R.normAxis(axis, s.shape.length);
        return fc.array(fc.integer({ min: 0, max: s.shape[a]! - 1 }), { minLength: 1, maxLength: 3 }).map((index) => ({
          p: { axis, index },
          leaves: [],
          out: { shape: s.shape.map((d, i) => (i === a ? index.length : d)), range: s.range },
        }));
      }),
  },
  {
    row: 'split',
    ok: hasAxes,
    plan: (s) =>
      fc.record({ axis: axisArb(s.shape.length), size: fc.integer({ min: 1, max: 3 }) }).map(({ axis, size }) => {
        const pieces = Math.ceil(s.shape[R.normAxis(axis, s.shape.length)]! / size);
        return {
          p: { sizes: size, axis },
          leaves: [],
          out: { shape: s.shape, range: union(s.range, pieces * s.range[0], pieces * s.range[1]) },
        };
      }),
  },
  {
    row: 'chunk',
    ok: hasAxes,
    plan: (s) =>
      fc.record({ axis: axisArb(s.shape.length), chunks: fc.integer({ min: 1, max: 3 }) }).map((p) => ({
        p,
        leaves: [],
        out: { shape: s.shape, range: union(s.range, p.chunks * s.range[0], p.chunks * s.range[1]) },
      })),
  },
  { row: 'clone', plan: (s) => fc.constant(same(s)) },
  {
    row: 'concat',
    // room to grow the longest axis by 2
    ok: (shape) => hasAxes(shape) && (R.sizeOf(shape) / Math.max(...shape)) * (Math.max(...shape) + 2) <= MAX_SIZE,
    plan: (s) =>
      fc
        .tuple(axisArb(s.shape.length), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }))
        .map(([axis, k1, k2]) => {
          const a = R.normAxis(axis, s.shape.length);
          const leaf = (k: number) => ({ shape: s.shape.map((d, i) => (i === a ? k : d)), min: -1, max: 1 });
          return {
            p: axis,
            leaves: [leaf(k1), leaf(k2)],
            out: { shape: s.shape.map((d, i) => (i === a ? d + k1 + k2 : d)), range: union(s.range, -1, 1) },
          };
        })
        .filter((pl) => sizeOk(pl.out.shape)),
  },
  {
    row: 'stack',
    ok: (shape) => shape.length < 3 && R.sizeOf(shape) * 3 <= MAX_SIZE,
    plan: (s) =>
      fc.integer({ min: -s.shape.length - 1, max: s.shape.length }).map((axis) => {
        const shape = s.shape.slice();
        shape.splice(R.normAxis(axis, shape.length + 1), 0, 3);
        const leaf = { shape: [...s.shape], min: -1, max: 1 };
        return { p: axis, leaves: [leaf, leaf], out: { shape, range: union(s.range, -1, 1) } };
      }),
  },
  {
    row: 'scatterAdd',
    ok: hasAxes,
    plan: (s) =>
      fc.tuple(axisArb(s.shape.length), fc.integer({ min: 1, max: 3 })).chain(([axis, k]) => {
        const a = R.normAxis(axis, s.shape.length);
        const shape = s.shape.map((d, i) => (i === a ? k : d));
        return indexNdArb(shape, s.shape[a]!).map((index) => ({
          p: { axis, index },
          leaves: [{ shape, min: -1, max: 1 }],
          out: { shape: s.shape, range: [s.range[0] - k, s.range[1] + k] as Range },
        }));
      }),
  },
];

/** The sub-intervals of a domain clear of its kinks, shrunk so a value mapped there stays well inside. */
function safePieces({ min, max, avoid = [] }: StepDomain): Range[] {
  const cuts = [...avoid].filter((k) => k > min && k < max).sort((a, b) => a - b);
  const edges = [min, ...cuts.flatMap((k) => [k - MARGIN, k + MARGIN]), max];
  const pieces: Range[] = [];
  for (let i = 0; i < edges.length; i += 2) {
    const [a, b] = [edges[i]!, edges[i + 1]!];
    const w = b - a;
    if (w > 0) pieces.push([a + 0.1 * w, b - 0.1 * w]);
  }
  return pieces;
}

const inside = ([lo, hi]: Range, { min, max, avoid = [] }: StepDomain) =>
  lo >= min && hi <= max && avoid.every((k) => hi < k - MARGIN || lo > k + MARGIN);

/**
 * Table rows that move the running value into `domain`, and the range after them: nothing when it is
 * already there; else tanh or sigmoid when it is large (or when `choice` says so), then an affine map
 * onto a safe piece of the domain.
 */
function fit(s: State, domain: StepDomain, choice: number): { links: Link[]; range: Range } {
  if (inside(s.range, domain)) return { links: [], range: s.range };
  const links: Link[] = [];
  let [lo, hi] = s.range;
  if (maxAbs(s.range) > 8 || choice % 3 === 0) {
    const squash = choice % 2 === 0 ? 'tanh' : 'sigmoid';
    links.push({ row: squash, p: undefined, leaves: [] });
    [lo, hi] = squash === 'tanh' ? [Math.tanh(lo), Math.tanh(hi)] : [R.sigmoid(lo), R.sigmoid(hi)];
  }
  const pieces = safePieces(domain);
  const [a, b] = pieces[choice % pieces.length]!;
  const scale = hi - lo > 1e-9 ? (b - a) / (hi - lo) : 1;
  links.push({ row: 'mul (number)', p: scale, leaves: [] });
  links.push({ row: 'add (number)', p: a - lo * scale, leaves: [] });
  return { links, range: [a, b] };
}

/** `n` more steps from state `s`. */
function grow(s: State, n: number): fc.Arbitrary<Link[]> {
  if (n === 0) return fc.constant([]);
  const options = STEPS.filter((st) => !st.ok || st.ok(s.shape));
  return fc.tuple(fc.constantFrom(...options), fc.nat()).chain(([step, choice]) => {
    const { links, range } = fit(s, step.domain ?? DEFAULT_DOMAIN, choice);
    return step
      .plan({ shape: s.shape, range })
      .chain((pl) => grow(pl.out, n - 1).map((rest) => [...links, { row: step.row, p: pl.p, leaves: pl.leaves }, ...rest]));
  });
}

/** Input values are drawn in [-2, 2]. */
export const INPUT: LeafSpec = { shape: [], min: -2, max: 2 };

/** A chain of 3–6 table steps (plus the adapters it needs) from a random small shape (rank 1–3). */
export const chainArb: fc.Arbitrary<Chain> = fc
  .tuple(shapeA(1), fc.integer({ min: 3, max: 6 }))
  .chain(([shape, n]) => grow({ shape, range: [INPUT.min, INPUT.max] }, n).map((links) => ({ shape, links })));

/** A chain with the values of its input and of every leaf, all pairwise distinct within a tensor. */
export const chainCaseArb = chainArb.chain((chain) => {
  const specs = [{ ...INPUT, shape: chain.shape }, ...chain.links.flatMap((l) => l.leaves)];
  return fc.tuple(...specs.map((sp) => distinctValues(R.sizeOf(sp.shape), sp))).map((values) => ({ chain, specs, values }));
});

/** The chain as a function of its input and leaves (in order). */
export function chainFn(chain: Chain): (...xs: Tensor[]) => Tensor {
  return (x, ...leaves) => {
    let v = x!;
    let at = 0;
    for (const link of chain.links) {
      const mine = leaves.slice(at, (at += link.leaves.length));
      v = rowNamed(link.row).fn([v, ...mine], link.p);
    }
    return v;
  };
}

/**
 * Points where the chain is not differentiable the way finite differences see it, found on the
 * actual values: near-ties (0 < |a − b| < 1e-3) in max/min reductions and in maximum/minimum, and
 * spreads too small for std's square root. Exact ties from copies of one value are fine.
 */
export function chainIsSmooth(chain: Chain, xs: Tensor[]): boolean {
  const near = (a: number, b: number) => a !== b && Math.abs(a - b) < 1e-3;
  let v = xs[0]!;
  let at = 1;
  for (const link of chain.links) {
    const mine = xs.slice(at, (at += link.leaves.length));
    const x = R.nd(v.shape, v.dataSync() as ArrayLike<number>);
    if (link.row === 'max' || link.row === 'min' || link.row === 'std') {
      const p = link.p as { axis: number | number[] | undefined };
      const lanes = R.reduce(x, R.normAxes(p.axis, x.shape.length), true, (vals) => {
        if (link.row === 'std') return Number(R.variance(vals, 0) > 1e-4);
        return Number(vals.every((a) => vals.every((b) => !near(a, b))));
      });
      if (lanes.data.some((ok) => !ok)) return false;
    }
    if (link.row === 'maximum' || link.row === 'minimum') {
      const y = R.nd(mine[0]!.shape, mine[0]!.dataSync() as ArrayLike<number>);
      if (R.zip([x, y], (a, b) => Number(near(a, b))).data.some(Boolean)) return false;
    }
    v = rowNamed(link.row).fn([v, ...mine], link.p);
  }
  return true;
}
