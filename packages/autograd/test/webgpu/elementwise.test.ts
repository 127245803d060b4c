// WebGPU conformance, elementwise: every unary and binary op of the tables on every dtype it
// accepts, broadcasting classes, where, cast and fill, compared with the CPU backend.
import { describe, it } from 'vitest';
import { type BinaryOp, binaryOps, type DType, full, tensor, type UnaryOp, unaryOps, where } from '../../src/index.js';
import { compare, EXACT, F32, input, reportParity, type Tol, useWebGPU, webgpuAvailable } from './harness.js';

const available = await webgpuAvailable();

/** Input ranges where each float op is defined (and away from its poles). */
const unaryDomain: Partial<Record<UnaryOp, { lo: number; hi: number }>> = {
  log: { lo: 0.05, hi: 6 },
  sqrt: { lo: 0, hi: 6 },
  rsqrt: { lo: 0.05, hi: 6 },
  log1p: { lo: -0.9, hi: 6 },
  reciprocal: { lo: 0.2, hi: 4 },
  exp: { lo: -6, hi: 6 },
  expm1: { lo: -4, hi: 4 },
  sigmoid: { lo: -30, hi: 30 },
  tanh: { lo: -30, hi: 30 },
};
/** Ops that lose relative precision by design of their WGSL form (exp(x) − 1, log(1 + x)): absolute error only. */
const unaryTol: Partial<Record<UnaryOp, Tol>> = {
  expm1: { atol: 1e-5, rtol: 1e-5 },
  log1p: { atol: 1e-5, rtol: 1e-5 },
  exp: { atol: 1e-5, rtol: 2e-5 },
};

const dtypesOf = (accepts: string): DType[] =>
  accepts === 'float'
    ? ['float32']
    : accepts === 'numeric'
      ? ['float32', 'int32']
      : accepts === 'bool'
        ? ['bool']
        : ['float32', 'int32', 'bool'];

/** Integer and fractional exponents (negative bases with fractional ones give NaN on both). */
const exponents = (shape: number[]) => {
  const e = [-2, -1, 0, 0.5, 1, 2, 3, 1.5];
  return tensor(
    Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => e[i % e.length]!),
    { shape },
  );
};

/** Shape pairs covering the stride classes: same shape, scalar, row broadcast (flat), two-sided broadcast (nd). */
const shapePairs: [number[], number[]][] = [
  [
    [3, 5],
    [3, 5],
  ],
  [[3, 5], []],
  [[4, 6], [6]],
  [
    [2, 1, 4],
    [3, 1],
  ],
];

describe.skipIf(!available)('webgpu conformance: elementwise', () => {
  useWebGPU();
  reportParity('elementwise');

  for (const [op, def] of Object.entries(unaryOps) as [UnaryOp, (typeof unaryOps)[UnaryOp]][]) {
    for (const dtype of dtypesOf(def.accepts)) {
      it(`unary ${op} (${dtype})`, async () => {
        const dom = unaryDomain[op] ?? { lo: -4, hi: 4 };
        const lo = dtype === 'int32' ? -50 : dom.lo;
        const hi = dtype === 'int32' ? 50 : dom.hi;
        await compare(
          `${op} ${dtype}`,
          () => input([7, 37], 11, { lo, hi, dtype })[op](),
          dtype === 'float32' ? (unaryTol[op] ?? F32) : EXACT,
        );
      });
    }
  }

  it('unary edge values: tanh and sigmoid far out, erf tails, floor/sign at integers and zero', async () => {
    const xs = [-1e4, -100, -89, -20, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 20, 89, 100, 1e4, 3e-8];
    for (const op of ['tanh', 'sigmoid', 'erf', 'floor', 'sign', 'abs', 'neg'] as const) {
      await compare(`${op} edges`, () => tensor(xs)[op]());
    }
  });

  for (const [op, def] of Object.entries(binaryOps) as [BinaryOp, (typeof binaryOps)[BinaryOp]][]) {
    for (const dtype of dtypesOf(def.accepts)) {
      it(`binary ${op} (${dtype})`, async () => {
        for (const [sa, sb] of shapePairs) {
          await compare(
            `${op} ${dtype}`,
            () => {
              // integer-valued floats make ties (eq, le, maximum); div and pow need their own ranges
              const ints = def.kind !== 'arith' || op === 'maximum' || op === 'minimum';
              const a = input(sa, 3, { dtype, lo: op === 'pow' ? -3 : -6, hi: op === 'pow' ? 3 : 6, integer: ints || dtype !== 'float32' });
              const b =
                op === 'div'
                  ? input(sb, 5, { lo: 0.25, hi: 4 })
                  : op === 'pow'
                    ? exponents(sb)
                    : input(sb, 7, { dtype, lo: -6, hi: 6, integer: ints || dtype !== 'float32' });
              return [a[op](b as never), b[op](a as never)];
            },
            dtype === 'float32' ? F32 : EXACT,
          );
        }
      });
    }
  }

  it('binary with a number operand and on sliced (offset, strided) views', async () => {
    await compare('add scalar', () => input([4, 5], 1).add(2.5));
    await compare('mul on a transpose', () => input([4, 5], 1).T.mul(input([5, 4], 2)));
    await compare('sub int32 scalar', () => input([9], 1, { dtype: 'int32' }).sub(3));
  });

  it('NaN and infinity behave as on the CPU where WGSL leaves it open', async () => {
    const a = [Number.NaN, 1, Number.NaN, -2, 3, Number.POSITIVE_INFINITY, -0.5, -2];
    const b = [1, Number.NaN, Number.NaN, 3, Number.NEGATIVE_INFINITY, 2, 2, 0.5];
    await compare('maximum/minimum NaN', () => [tensor(a).maximum(tensor(b)), tensor(a).minimum(tensor(b))]);
    await compare('pow NaN/negative base', () => tensor(a).pow(tensor(b)));
    const pa = [0, 0, -0, -0, -2, -2, 2, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -3];
    const pb = [-3, 2, -3, 3, 3, 0.5, -1, 3, 0.5, 0, 2];
    await compare('pow zeros/infinities', () => tensor(pa).pow(tensor(pb)));
    await compare('sin/cos large and non-finite', () => {
      const x = tensor([1e4, -1e4, 123.456, Number.NaN, Number.POSITIVE_INFINITY, 0]);
      return [x.sin(), x.cos()];
    });
    await compare('max/min reduce NaN', () => [
      tensor([1, Number.NaN, 3]).max(),
      tensor([
        [1, 2],
        [Number.NaN, 0],
      ]).min(1),
    ]);
    await compare('argmax NaN', () => [tensor([1, Number.NaN, 3, Number.NaN]).argmax(), tensor([4, Number.NaN, 9]).argmin()]);
  });

  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`where (${dtype}) with broadcasting`, async () => {
      await compare(
        `where ${dtype}`,
        () => {
          const cond = input([3, 1], 9, { dtype: 'bool' as const });
          const a = input([3, 4], 2, { dtype });
          const b = input([4], 4, { dtype });
          return [where(cond, a, b), where(input([3, 4], 8, { dtype: 'bool' }), a, b.slice([[null, null, -1]]))];
        },
        EXACT,
      );
    });
  }

  it('cast between float32, int32 and bool (truncation, wrap-around, NaN, -0)', async () => {
    const special = [2.7, -2.7, 0, -0, 0.4, -0.9, 1e10, -3e9, 2147483647, Number.NaN, Number.POSITIVE_INFINITY, 123456.789];
    for (const from of ['float32', 'int32', 'bool'] as const) {
      for (const to of ['float32', 'int32', 'bool'] as const) {
        await compare(`cast ${from}→${to}`, () => input([5, 7], 13, { dtype: from, lo: -40, hi: 40 }).cast(to), EXACT);
      }
    }
    await compare('cast float32 specials', () => {
      const x = tensor(special);
      return [x.cast('int32'), x.cast('bool')];
    });
  });

  it('fill (full, scalars of every dtype)', async () => {
    await compare('fill', () => [full([3, 4], 1.5), full([5], 7, { dtype: 'int32' }), full([2, 2], true), full([4], -0.1)], EXACT);
  });
});
