// Every exported function, called with a wrong-typed value in each tensor, function, list, axis,
// number or dtype position, throws a Carousel error naming the op — never a raw TypeError from
// deep inside (what JS callers, and TypeScript callers holding `any`, would otherwise get). The
// table below lists every export; a new export that is in neither the table nor the list of
// exemptions fails the first test, so it cannot ship without its argument checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ag from '../src/index.js';
import { CarouselError, describeValue, ones, ShapeError, type Tensor, tensor, tidy, ValueError } from '../src/index.js';

/**
 * What a position holds. `tensor`, `operand` (a Tensor or a number), `tensors` and `fn` are the
 * checks this sweep is about: their errors are ValueErrors whose message describes the value. The
 * others (`primal`, a differentiation argument; `list` for shapes, axes, repetitions; `sizes` for
 * split's; `axes` for an optional axis argument; `axis`/`axis?` for one axis; `count` for a
 * required integer; `number`/`number?`, `fill`/`fill?`, `bound`, `prob`, `data`, `dtype`/`dtype?`,
 * `object`/`object?` for an inputs, spec or options object, `name` for a string naming something)
 * only need some Carousel error naming the op. A `?` kind is optional: undefined is valid there.
 */
type Kind =
  | 'tensor'
  | 'operand'
  | 'tensors'
  | 'fn'
  | 'primal'
  | 'list'
  | 'sizes'
  | 'axes'
  | 'axis'
  | 'axis?'
  | 'count'
  | 'number'
  | 'number?'
  | 'fill'
  | 'fill?'
  | 'bound'
  | 'prob'
  | 'data'
  | 'dtype'
  | 'dtype?'
  | 'object'
  | 'object?'
  | 'name';

/** A position: its kind, and the op its error names when that is not the export's own name. */
type Pos = Kind | { kind: Kind; op: string };

interface Row {
  /** Valid arguments (made fresh for each call); the call must succeed with them. */
  args: () => unknown[];
  /** The positions to corrupt. */
  at: Record<number, Pos>;
  /** How to call (for functions returning functions); default `fn(...args)`. */
  call?: (...args: unknown[]) => unknown;
  /** The op the errors name (default: the export's name). */
  op?: string;
}

const x = () => ones([2, 2]);
const v = () => ones([2]);
const b = () => ones([2, 2]).gt(0);
const idx1 = () => tensor([1, 0], { dtype: 'int32' });
const idx2 = () => tensor([[1], [0]], { dtype: 'int32' });
const sumOf = (t: Tensor) => t.sum();
const LSTM_CELL = { i: 0, f: 1, g: 2, o: 3, peepI: -1, peepF: -1, peepO: -1, coupled: false, identityG: false, identityH: false };

const unaryRow: Row = { args: () => [x()], at: { 0: 'tensor' } };
const binaryRow: Row = { args: () => [x(), x()], at: { 0: 'operand', 1: 'operand' } };
const boolBinaryRow: Row = { args: () => [b(), b()], at: { 0: 'operand', 1: 'operand' } };
const reduceRow: Row = { args: () => [x(), 0], at: { 0: 'tensor', 1: 'axes' } };
const fnRow: Row = { args: () => [() => 1], at: { 0: 'fn' } };
const unary = ['abs', 'cos', 'erf', 'exp', 'expm1', 'floor', 'log', 'log1p', 'neg', 'reciprocal', 'rsqrt'] as const;
const unary2 = ['sigmoid', 'sign', 'sin', 'sqrt', 'tanh', 'square', 'relu', 'gelu', 'clone', 'detach', 'zerosLike', 'onesLike'] as const;
const binary = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

const rows: Record<string, Row> = {
  ...Object.fromEntries([...unary, ...unary2].map((n) => [n, unaryRow])),
  ...Object.fromEntries(binary.map((n) => [n, binaryRow])),
  logicalAnd: boolBinaryRow,
  logicalOr: boolBinaryRow,
  logicalNot: { args: () => [b()], at: { 0: 'tensor' } },
  elu: { args: () => [x(), 1], at: { 0: 'tensor', 1: 'number?' } },
  leakyRelu: { args: () => [x(), 0.1], at: { 0: 'tensor', 1: 'number?' } },
  softplus: { args: () => [x(), 1, 20], at: { 0: 'tensor', 1: 'number?', 2: 'number?' } },
  clamp: { args: () => [x(), 0, 1], at: { 0: 'tensor', 1: 'bound', 2: 'bound' } },
  where: { args: () => [b(), x(), x()], at: { 0: 'tensor', 1: 'operand', 2: 'operand' } },
  cast: { args: () => [x(), 'float64'], at: { 0: 'tensor', 1: 'dtype' } },
  // reductions
  sum: reduceRow,
  prod: reduceRow,
  max: reduceRow,
  min: reduceRow,
  mean: reduceRow,
  logsumexp: reduceRow,
  variance: reduceRow,
  std: { args: () => [x(), 0], at: { 0: 'tensor', 1: { kind: 'axes', op: 'variance' } } },
  argmax: { args: () => [x(), 0], at: { 0: 'tensor', 1: 'axis?' } },
  argmin: { args: () => [x(), 0], at: { 0: 'tensor', 1: 'axis?' } },
  cumsum: { args: () => [x(), 0], at: { 0: 'tensor', 1: 'axis' } },
  softmax: { args: () => [x(), -1], at: { 0: 'tensor', 1: 'axis?' } },
  logSoftmax: { args: () => [x(), -1], at: { 0: 'tensor', 1: 'axis?' } },
  // linear algebra
  matmul: { args: () => [x(), x()], at: { 0: 'tensor', 1: 'tensor' } },
  dot: { args: () => [v(), v()], at: { 0: 'tensor', 1: 'tensor' } },
  outer: { args: () => [v(), v()], at: { 0: 'tensor', 1: 'tensor' } },
  // movement
  reshape: { args: () => [x(), [4]], at: { 0: 'tensor', 1: 'list' } },
  permute: { args: () => [x(), [1, 0]], at: { 0: 'tensor', 1: 'list' } },
  expand: { args: () => [ones([1, 2]), [3, 2]], at: { 0: 'tensor', 1: 'list' } },
  slice: { args: () => [x(), [0]], at: { 0: 'tensor', 1: 'list' } },
  pad: { args: () => [x(), [[1, 1]], 0], at: { 0: 'tensor', 1: 'list', 2: 'fill?' } },
  concat: { args: () => [[x(), x()], 0], at: { 0: 'tensors', 1: 'axis?' } },
  stack: { args: () => [[x(), x()], 0], at: { 0: 'tensors', 1: 'axis?' } },
  split: { args: () => [x(), [1, 1], 0], at: { 0: 'tensor', 1: 'sizes', 2: 'axis?' } },
  chunk: { args: () => [x(), 2, 0], at: { 0: 'tensor', 1: 'count', 2: 'axis?' } },
  tile: { args: () => [x(), [2, 1]], at: { 0: 'tensor', 1: 'list' } },
  repeat: { args: () => [x(), 2, 0], at: { 0: 'tensor', 1: 'count', 2: 'axis?' } },
  flip: { args: () => [x(), 0], at: { 0: 'tensor', 1: 'axes' } },
  flatten: { args: () => [x(), 0, -1], at: { 0: 'tensor', 1: 'axis?', 2: 'axis?' } },
  squeeze: { args: () => [ones([1, 2]), 0], at: { 0: 'tensor', 1: 'axes' } },
  unsqueeze: { args: () => [x(), 0], at: { 0: 'tensor', 1: 'axis' } },
  transpose: { args: () => [x(), 0, 1], at: { 0: 'tensor', 1: 'axis?', 2: 'axis?' } },
  // indexing
  gather: { args: () => [x(), 1, idx2()], at: { 0: 'tensor', 1: 'axis', 2: 'tensor' } },
  scatterAdd: { args: () => [x(), 1, idx2(), ones([2, 1])], at: { 0: 'tensor', 1: 'axis', 2: 'tensor', 3: 'tensor' } },
  indexSelect: { args: () => [x(), 0, idx1()], at: { 0: 'tensor', 1: 'axis', 2: 'tensor' } },
  oneHot: { args: () => [idx1(), 3, 'float32'], at: { 0: 'tensor', 1: 'count', 2: 'dtype?' } },
  // creation
  tensor: { args: () => [[1, 2]], at: { 0: 'data' } },
  scalar: { args: () => [3], at: { 0: 'fill' } },
  full: { args: () => [[2], 1], at: { 0: 'list', 1: 'fill' } },
  zeros: { args: () => [[2]], at: { 0: { kind: 'list', op: 'full' } } },
  ones: { args: () => [[2]], at: { 0: { kind: 'list', op: 'full' } } },
  rand: { args: () => [[2]], at: { 0: 'list' } },
  randn: { args: () => [[2]], at: { 0: 'list' } },
  uniform: { args: () => [[2], -1, 1], at: { 0: 'list', 1: 'number', 2: 'number' } },
  fullLike: { args: () => [x(), 2], at: { 0: 'tensor', 1: 'fill' } },
  arange: { args: () => [0, 3, 1], at: { 0: 'number', 1: 'number?', 2: 'number?' } },
  linspace: { args: () => [0, 1, 3], at: { 0: 'number', 1: 'number', 2: 'count' } },
  eye: { args: () => [2, 2], at: { 0: 'count', 1: 'number?' } },
  bernoulli: { args: () => [0.5, [2]], at: { 0: 'prob', 1: 'list' } },
  setSeed: { args: () => [1], at: { 0: 'number' } },
  checkTensor: { args: () => [x(), 'myOp', 'input'], at: { 0: 'tensor' }, op: 'myOp' },
  // memory and autograd
  keep: { args: () => [x()], at: { 0: 'tensor' } },
  tidy: fnRow,
  noGrad: fnRow,
  detectAnomaly: fnRow,
  grad: { args: () => [sumOf], at: { 0: 'fn' } },
  valueAndGrad: { args: () => [sumOf], at: { 0: 'fn' } },
  customGrad: { args: () => [(t: Tensor) => ({ value: t.mul(2), vjp: (g: Tensor) => [g] })], at: { 0: 'fn' } },
  vjp: { args: () => [(t: Tensor) => t.mul(2), x()], at: { 0: 'fn', 1: 'primal' } },
  // the fields of the inputs objects: ops/fused.test.ts
  lstmSequence: {
    args: () => [{ xw: ones([2, 1, 8]), whh: ones([8, 2]), h0: ones([1, 2]), c0: ones([1, 2]) }, LSTM_CELL, {}],
    at: { 0: 'object', 1: 'object', 2: 'object?' },
  },
  gruSequence: { args: () => [{ xw: ones([2, 1, 6]), whh: ones([6, 2]), h0: ones([1, 2]) }, {}], at: { 0: 'object', 1: 'object?' } },
  // a name no test uses; the factory is never called
  registerBackend: { args: () => ['argument-sweep', () => Promise.reject(new Error('not used'))], at: { 0: 'name', 1: 'fn' } },
  configureCpu: { args: () => [{}], at: { 0: 'object?' } },
  hasFusedKernel: { args: () => ['lstm', x()], at: { 0: 'name', 1: 'tensor' } },
};

/** The functions `grad`, `valueAndGrad` and `customGrad` return check their own arguments too. */
const returned: Record<string, Row> = {
  'grad(f)': { args: () => [x()], at: { 0: 'primal' }, call: (t) => ag.grad(sumOf)(t as Tensor), op: 'grad' },
  'valueAndGrad(f)': { args: () => [x()], at: { 0: 'primal' }, call: (t) => ag.valueAndGrad(sumOf)(t as Tensor), op: 'valueAndGrad' },
  'customGrad(f)': {
    args: () => [x()],
    at: { 0: 'tensor' },
    call: (t) => ag.customGrad((u: Tensor) => ({ value: u.mul(2), vjp: (g: Tensor) => [g] }))(t as Tensor),
    op: 'customGrad',
  },
};

/** Exports not swept, and why. */
const exempt: Record<string, string> = {
  isTensor: 'answers for any value',
  describeValue: 'describes any value',
  formatShape: 'formats a shape, and describes any other value (error messages must not throw)',
  dispose: 'takes any container and ignores what is not a tensor',
  memory: 'no arguments',
  getBackend: 'no arguments',
  isGradEnabled: 'no arguments',
  identity: '@internal (the tape’s identity link)',
  accumulateRegions: '@internal (the tape’s region accumulator)',
  setBackend: 'async: rejects (with a BackendError or ValueError) rather than throws; its options are tested in backends',
};

// ---- bad values --------------------------------------------------------------------------------

const junk = {
  nullish: fc.constantFrom(undefined, null),
  string: fc.string({ maxLength: 8 }),
  array: fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 3 }),
  object: fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(new Map()), fc.constant(new Date(0))),
  fn: fc.constant(() => 0),
  bool: fc.boolean(),
  // small: a number where a count or a size belongs must not allocate gigabytes
  number: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -3, max: 3 })),
  badNumber: fc.constantFrom(Number.NaN, 1.5, Number.POSITIVE_INFINITY),
  tensor: fc.constant(null).map(() => ones([2])),
};
const { nullish, string, array, object, fn, bool, number, badNumber } = junk;
const aTensor = junk.tensor;
const notTensor = fc.oneof(nullish, string, array, object, fn, bool, number);

/** Values wrong for each kind of position (a valid value for some other kind, or nothing useful). */
const bad: Record<Kind, fc.Arbitrary<unknown>> = {
  tensor: notTensor,
  operand: fc.oneof(nullish, string, array, object, fn, bool),
  tensors: fc.oneof(
    nullish,
    string,
    object,
    number,
    aTensor,
    // one bad element among tensors: the message names its index
    fc.tuple(notTensor, fc.nat(2)).map(([j, i]) => {
      const list: unknown[] = [ones([2, 2]), ones([2, 2])];
      list.splice(i, 0, j);
      return list;
    }),
  ),
  fn: fc.oneof(nullish, string, array, object, bool, number, aTensor),
  primal: notTensor,
  list: fc.oneof(nullish, string, object, bool, number, aTensor),
  sizes: fc.oneof(nullish, string, object, bool, badNumber, aTensor),
  axes: fc.oneof(fc.constant(null), string, object, bool, aTensor, fn),
  axis: fc.oneof(nullish, string, object, bool, badNumber, aTensor, array),
  'axis?': fc.oneof(fc.constant(null), string, object, bool, badNumber, aTensor, array),
  count: fc.oneof(nullish, string, object, bool, fc.constantFrom(Number.NaN, 1.5, -1), aTensor, array),
  number: fc.oneof(nullish, string, object, bool, fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY), aTensor, array),
  'number?': fc.oneof(fc.constant(null), string, object, bool, fc.constant(Number.NaN), aTensor, array),
  fill: fc.oneof(nullish, string, object, aTensor, array, fn),
  'fill?': fc.oneof(fc.constant(null), string, object, aTensor, array, fn),
  bound: fc.oneof(string, object, bool, aTensor, array, fc.constant(Number.NaN)),
  prob: fc.oneof(nullish, string, object, bool, array, fc.constantFrom(-0.5, 1.5, Number.NaN)),
  data: fc.oneof(nullish, string, object, fn, aTensor),
  dtype: fc.oneof(nullish, fc.constantFrom('float16', 'complex64', 'toString'), object, number, aTensor),
  'dtype?': fc.oneof(fc.constant(null), fc.constantFrom('float16', 'toString'), object, number, aTensor),
  object: fc.oneof(nullish, string, array, bool, number, fn, aTensor),
  'object?': fc.oneof(fc.constant(null), string, array, bool, number, fn, aTensor),
  name: fc.oneof(nullish, fc.constant(''), object, number, bool, array, aTensor),
};

/** The checks this sweep is about: a ValueError whose message says what the value was. */
const described = new Set<Kind>(['tensor', 'operand', 'tensors', 'fn']);

function thrown(run: () => unknown): unknown {
  try {
    tidy(() => {
      run();
    });
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The value a message describes: the bad element of a `tensors` list, or the value itself. */
function culprit(kind: Kind, value: unknown): unknown {
  if (kind !== 'tensors' || !Array.isArray(value)) return value;
  return value.find((t) => !ag.isTensor(t));
}

/** `e` is a CarouselError naming `op`; when `value` is given, a ValueError that describes it. */
function expectNamedError(e: unknown, op: string, value?: { is: unknown }): void {
  if (!(e instanceof CarouselError))
    throw new Error(`expected a CarouselError naming ${op}, got ${e === undefined ? 'no error' : String(e)}`);
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  if (value) {
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toContain(`got ${describeValue(value.is)}`);
  }
}

const fnOf = (name: string) => (ag as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;

describe('argument checks: the table', () => {
  it('lists every exported function (a new export needs a row or an exemption)', () => {
    const functions = Object.entries(ag)
      .filter(([name, f]) => typeof f === 'function' && !/^[A-Z]/.test(name))
      .map(([name]) => name);
    const listed = [...Object.keys(rows), ...Object.keys(exempt)];
    expect(functions.filter((n) => !listed.includes(n))).toEqual([]);
    const stale = listed.filter((n) => !functions.includes(n));
    expect(stale).toEqual([]);
  });

  it('every row runs with its valid arguments', () => {
    for (const [name, row] of [...Object.entries(rows), ...Object.entries(returned)]) {
      const call = row.call ?? fnOf(name);
      expect(
        thrown(() => call(...row.args())),
        name,
      ).toBeUndefined();
    }
  });
});

for (const [label, table] of [
  ['exported functions', rows],
  ['functions returned by grad, valueAndGrad and customGrad', returned],
] as const) {
  describe(`argument checks: ${label}`, () => {
    for (const [name, row] of Object.entries(table)) {
      const call = row.call ?? ((...a: unknown[]) => fnOf(name)(...a));
      const positions = Object.entries(row.at).map(
        ([i, p]) => [Number(i), typeof p === 'string' ? { kind: p, op: undefined } : p] as const,
      );
      for (const [i, { kind, op }] of positions) {
        it(`${name}: argument ${i} (${kind})`, () => {
          fc.assert(
            fc.property(bad[kind], (value) => {
              const args = row.args();
              args[i] = value;
              const e = thrown(() => call(...args));
              expectNamedError(e, op ?? row.op ?? name, described.has(kind) ? { is: culprit(kind, value) } : undefined);
            }),
            { seed: 1997, numRuns: 25 },
          );
        });
      }
    }
  });
}

describe('argument checks: messages', () => {
  it.each([
    [() => ag.exp(undefined as never), 'exp: x must be a Tensor, got undefined'],
    [() => ag.softmax([1, 2] as never), 'softmax: x must be a Tensor, got an array of length 2; wrap it with tensor(…)'],
    [() => ag.matmul(x(), null as never), 'matmul: b must be a Tensor, got null'],
    [() => ag.concat([x(), undefined as never]), 'concat: tensors[1] must be a Tensor, got undefined'],
    [() => ag.reshape(x(), 4 as never), 'reshape: shape must be an array of integers, got number 4'],
    [() => ag.tidy('f' as never), 'tidy: fn must be a function, got string "f"'],
    [() => ag.add(x(), new Map() as never), 'add: expected a Tensor or a number, got an object of class Map (operand b)'],
    [() => ag.sum(x(), null as never), 'sum: axis must be an integer or an array of integers (or omitted for all axes), got null'],
    [() => ag.customGrad((_t: Tensor) => 3 as never)(x()), 'customGrad: f must return { value: Tensor, vjp: function }, got number 3'],
    [() => ag.zerosLike({} as never), 'zerosLike: x must be a Tensor, got a plain object'],
    [() => ag.grad(ones([2]) as never), 'grad: f must be a function, got a float32 Tensor of shape [2]'],
    [() => x().assign('1' as never), 'assign: value must be a Tensor or a number, got string "1"'],
  ])('%#: %s', (run, message) => {
    const e = thrown(run);
    expect(e).toBeInstanceOf(message.startsWith('reshape') ? ShapeError : ValueError);
    expect((e as Error).message).toBe(message);
  });

  it('describeValue says what a value is', () => {
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1, 2, 3])).toBe('an array of length 3');
    expect(describeValue(Number.NaN)).toBe('number NaN');
    expect(describeValue('x'.repeat(50))).toBe(`string "${'x'.repeat(40)}…"`);
    expect(describeValue(true)).toBe('boolean true');
    expect(describeValue(Object.create(null))).toBe('a plain object');
    expect(describeValue(new (class Foo {})())).toBe('an object of class Foo');
    expect(describeValue(function named() {})).toBe('function named');
    expect(describeValue(tensor([1], { dtype: 'int32' }))).toBe('an int32 Tensor of shape [1]');
    expect(ag.formatShape([2, 3])).toBe('[2, 3]');
    expect(ag.formatShape(undefined as never)).toBe('undefined');
  });
});

describe('argument checks: Tensor methods', () => {
  const proto = ag.Tensor.prototype as unknown as Record<string, unknown>;
  // methods that read data or manage the tensor and take no argument, and @internal ones
  const skip = new Set(['constructor', 'data', 'array', 'dataSync', 'arraySync', 'item', 'toString', 'dispose', 'detach', 'clone']);
  for (const internal of ['buf', 'view', 'attach']) skip.add(internal);
  const methods = Object.getOwnPropertyNames(proto).filter((m) => {
    const d = Object.getOwnPropertyDescriptor(proto, m)!;
    return typeof d.value === 'function' && !skip.has(m);
  });

  it('has the methods it sweeps', () => {
    expect(methods).toEqual(expect.arrayContaining(['add', 'matmul', 'reshape', 'assign', 'backward', 'where']));
  });

  it('a wrong first argument to any method returns or throws a CarouselError, never a TypeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...methods), notTensor, (m, value) => {
        const e = thrown(() => {
          const self = m === 'backward' ? tensor([1, 2], { requiresGrad: true }).mul(2) : m.startsWith('logical') ? b() : x();
          return (self as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!(value);
        });
        if (e !== undefined && !(e instanceof CarouselError)) throw new Error(`${m}(${describeValue(value)}) threw ${String(e)}`);
      }),
      { seed: 1997, numRuns: 600 },
    );
  });
});
