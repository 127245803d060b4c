// Every layer forward, loss, optimizer, clip function, scheduler, recurrent layer and cell of @carousel/nn, called with a
// wrong-typed value where a Tensor, a list of parameters or an optimizer belongs, throws a Carousel
// error naming the layer or function — never a TypeError from inside an op. Every export is in
// the table or exempted with a reason, so a new export cannot skip its checks.
import { CarouselError, describeValue, ones, type Tensor, tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nn from './index.js';

/** What the bad value replaces: its kind decides which bad values are tried. */
type Kind = 'tensor' | 'tensor?' | 'params' | 'options' | 'optimizer' | 'net' | 'state';

interface Case {
  /** The export this case checks (for the coverage test). */
  subject: string;
  /** The op the error must name. */
  op: string;
  kind: Kind;
  /** Runs the call with `value` in the position under test; `valid()` is a value that works there. */
  run: (value: unknown) => unknown;
  valid: () => unknown;
}

const x2 = () => ones([1, 2]);
const idx = () => tensor([0, 1], { dtype: 'int32' });
const param = () => nn.parameter(ones([2]));
const optimizer = () => new nn.SGD([param()], { lr: 0.1 });
const regressionLosses = { mseLoss: nn.mseLoss, sumSquaredError: nn.sumSquaredError, bceWithLogits: nn.bceWithLogits };
const classLosses = { crossEntropy: nn.crossEntropy, nllLoss: nn.nllLoss };
const optimizers = { SGD: nn.SGD, Adam: nn.Adam, AdamW: nn.AdamW, RMSprop: nn.RMSprop, Adagrad: nn.Adagrad };

// biome-ignore format: one row per case reads as a table
const cases: Case[] = [
  // layer forwards
  { subject: 'Linear', op: 'Linear.forward', kind: 'tensor', run: (v) => new nn.Linear(2, 3).forward(v as Tensor), valid: x2 },
  { subject: 'Dropout', op: 'Dropout.forward', kind: 'tensor', run: (v) => new nn.Dropout(0.5).forward(v as Tensor), valid: x2 },
  { subject: 'LayerNorm', op: 'LayerNorm.forward', kind: 'tensor', run: (v) => new nn.LayerNorm(2).forward(v as Tensor), valid: x2 },
  { subject: 'Embedding', op: 'Embedding.forward', kind: 'tensor', run: (v) => new nn.Embedding(3, 2).forward(v as Tensor), valid: idx },
  { subject: 'Embedding', op: 'Embedding.fromPretrained', kind: 'tensor', run: (v) => nn.Embedding.fromPretrained(v as Tensor), valid: () => ones([3, 2]) },
  { subject: 'Sequential', op: 'Sequential.forward', kind: 'tensor', run: (v) => new nn.Sequential(new nn.Linear(2, 2)).forward(v as Tensor), valid: x2 },
  { subject: 'Sequential', op: 'Sequential.forward', kind: 'tensor', run: (v) => new nn.Sequential().forward(v as Tensor), valid: x2 },
  { subject: 'parameter', op: 'parameter', kind: 'tensor', run: (v) => nn.parameter(v as Tensor), valid: x2 },
  { subject: 'Module', op: 'loadStateDict', kind: 'state', run: (v) => new nn.Linear(2, 2).loadStateDict(v as nn.StateDict), valid: () => new nn.Linear(2, 2).stateDict() },
  // losses: input, target, and the tensors among the options
  ...Object.entries(regressionLosses).flatMap(([name, loss]): Case[] => [
    { subject: name, op: name, kind: 'tensor', run: (v) => loss(v as Tensor, x2()), valid: x2 },
    { subject: name, op: name, kind: 'tensor', run: (v) => loss(x2(), v as Tensor), valid: x2 },
    { subject: name, op: name, kind: 'tensor?', run: (v) => loss(x2(), x2(), { mask: v as Tensor }), valid: () => ones([1, 2]).gt(0) },
  ]),
  { subject: 'bceWithLogits', op: 'bceWithLogits', kind: 'tensor?', run: (v) => nn.bceWithLogits(x2(), x2(), { weight: v as Tensor }), valid: x2 },
  { subject: 'bceWithLogits', op: 'bceWithLogits', kind: 'tensor?', run: (v) => nn.bceWithLogits(x2(), x2(), { posWeight: v as Tensor }), valid: x2 },
  ...Object.entries(classLosses).flatMap(([name, loss]): Case[] => [
    { subject: name, op: name, kind: 'tensor', run: (v) => loss(v as Tensor, idx()), valid: () => ones([2, 3]) },
    { subject: name, op: name, kind: 'tensor', run: (v) => loss(ones([2, 3]), v as Tensor), valid: idx },
    { subject: name, op: name, kind: 'tensor?', run: (v) => loss(ones([2, 3]), idx(), { weight: v as Tensor }), valid: () => ones([3]) },
    { subject: name, op: name, kind: 'tensor?', run: (v) => loss(ones([2, 3]), idx(), { mask: v as Tensor }), valid: () => ones([2]) },
  ]),
  // optimizers: the parameters, and the options object
  ...Object.entries(optimizers).flatMap(([name, Opt]): Case[] => [
    { subject: name, op: name, kind: 'params', run: (v) => new Opt(v as Tensor[]), valid: () => [param()] },
    { subject: name, op: name, kind: 'params', run: (v) => new Opt([{ params: v as Tensor[] }]), valid: () => [param()] },
    { subject: name, op: name, kind: 'options', run: (v) => new Opt([param()], v as object), valid: () => ({ lr: 0.1 }) },
  ]),
  { subject: 'clipGradNorm', op: 'clipGradNorm', kind: 'params', run: (v) => nn.clipGradNorm(v as Tensor[], 1), valid: () => [param()] },
  { subject: 'clipGradValue', op: 'clipGradValue', kind: 'params', run: (v) => nn.clipGradValue(v as Tensor[], 1), valid: () => [param()] },
  // schedulers
  { subject: 'StepLR', op: 'StepLR', kind: 'optimizer', run: (v) => new nn.StepLR(v as nn.Optimizer, { stepSize: 1 }), valid: optimizer },
  { subject: 'ExponentialLR', op: 'ExponentialLR', kind: 'optimizer', run: (v) => new nn.ExponentialLR(v as nn.Optimizer, { gamma: 0.9 }), valid: optimizer },
  { subject: 'CosineAnnealingLR', op: 'CosineAnnealingLR', kind: 'optimizer', run: (v) => new nn.CosineAnnealingLR(v as nn.Optimizer, { tMax: 2 }), valid: optimizer },
  { subject: 'LinearWarmup', op: 'LinearWarmup', kind: 'optimizer', run: (v) => new nn.LinearWarmup(v as nn.Optimizer, { warmupSteps: 2 }), valid: optimizer },
  // recurrent layers and cells (the layers check through the shared timeMajor)
  { subject: 'LSTM', op: 'LSTM.forward', kind: 'tensor', run: (v) => new nn.LSTM(2, 2).forward(v as Tensor), valid: () => ones([3, 1, 2]) },
  { subject: 'GRU', op: 'GRU.forward', kind: 'tensor', run: (v) => new nn.GRU(2, 2).forward(v as Tensor), valid: () => ones([3, 1, 2]) },
  { subject: 'RNN', op: 'RNN.forward', kind: 'tensor', run: (v) => new nn.RNN(2, 2).forward(v as Tensor), valid: () => ones([3, 1, 2]) },
  { subject: 'Recurrent', op: 'Recurrent.forward', kind: 'tensor', run: (v) => new nn.Recurrent(2, 2, (i, h) => new (class extends nn.GRUCell { initialState = (n: number) => zeros([n, h]) })(i, h)).forward(v as Tensor), valid: () => ones([3, 1, 2]) },
  { subject: 'LSTM1997', op: 'LSTM1997.forward', kind: 'tensor', run: (v) => new nn.LSTM1997({ inputSize: 2, outputSize: 2, blocks: 1, cellsPerBlock: 1 }).forward(v as Tensor), valid: () => ones([3, 1, 2]) },
  { subject: 'LSTM1997', op: 'LSTM1997', kind: 'options', run: (v) => new nn.LSTM1997(v as nn.LSTM1997Options), valid: () => ({ inputSize: 2, outputSize: 2, blocks: 1, cellsPerBlock: 1 }) },
  { subject: 'LSTMCell', op: 'LSTMCell.forward', kind: 'tensor', run: (v) => new nn.LSTMCell(2, 2).forward(v as Tensor), valid: x2 },
  { subject: 'GRUCell', op: 'GRUCell.forward', kind: 'tensor', run: (v) => new nn.GRUCell(2, 2).forward(v as Tensor), valid: x2 },
  { subject: 'GRUCell', op: 'GRUCell.forward', kind: 'tensor?', run: (v) => new nn.GRUCell(2, 2).forward(x2(), v as Tensor), valid: () => ones([1, 2]) },
  { subject: 'RNNCell', op: 'RNNCell.forward', kind: 'tensor', run: (v) => new nn.RNNCell(2, 2).forward(v as Tensor), valid: x2 },
  { subject: 'RNNCell', op: 'RNNCell.forward', kind: 'tensor?', run: (v) => new nn.RNNCell(2, 2).forward(x2(), v as Tensor), valid: () => ones([1, 2]) },
  { subject: 'layerNorm', op: 'layerNorm', kind: 'tensor', run: (v) => nn.layerNorm(v as Tensor), valid: x2 },
  { subject: 'RTRL1997', op: 'RTRL1997', kind: 'net', run: (v) => new nn.RTRL1997(v as nn.LSTM1997), valid: () => new nn.LSTM1997({ inputSize: 2, outputSize: 2, blocks: 1, cellsPerBlock: 1 }) },
  { subject: 'dropoutMask', op: 'dropoutMask', kind: 'tensor', run: (v) => nn.dropoutMask(v as Tensor, 0.5), valid: x2 },
];

/** Exports not swept, and why. */
const exempt: Record<string, string> = {
  Optimizer: 'abstract: swept through SGD, Adam, AdamW, RMSprop, Adagrad',
  LRScheduler: 'abstract: swept through its subclasses',
  init: 'init.ts: initialisers, outside this sweep',
  fusedStep: 'rnn/recurrent.ts: builds a step from two functions (another helper’s area)',
  fromKeras: 'io/: outside this sweep (names its errors already)',
  fromOnnx: 'io/: outside this sweep',
  fromPyTorch: 'io/: outside this sweep',
  loadSafetensors: 'io/: outside this sweep',
  saveSafetensors: 'io/: outside this sweep',
  modelFromSafetensors: 'io/: outside this sweep',
  modelToSafetensors: 'io/: outside this sweep',
};

// ---- bad values --------------------------------------------------------------------------------

const nullish = fc.constantFrom(undefined, null);
const string = fc.string({ maxLength: 8 });
const array = fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 3 });
const object = fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(new Map()));
const number = fc.integer({ min: -3, max: 3 });
const fn = fc.constant(() => 0);
const aTensor = fc.constant(null).map(() => ones([2]));
const notTensor = fc.oneof(nullish, string, array, object, number, fc.boolean(), fn);
/** A list of parameters with one bad entry. */
const withBadEntry = fc.tuple(notTensor, fc.nat(1)).map(([bad, i]) => {
  const list: unknown[] = [param()];
  list.splice(i, 0, bad);
  return list;
});

const bad: Record<Kind, fc.Arbitrary<unknown>> = {
  tensor: notTensor,
  'tensor?': fc.oneof(string, array, object, number, fc.boolean(), fn),
  params: fc.oneof(nullish, string, object, number, withBadEntry),
  options: fc.oneof(fc.constant(null), string, number, fc.boolean(), fn, aTensor),
  optimizer: fc.oneof(nullish, string, object, number, array, aTensor, fn),
  net: fc.oneof(nullish, string, object, number, array, aTensor, fn),
  state: fc.oneof(nullish, string, number, fc.boolean(), array, aTensor, fn),
};

/** The kinds whose message must describe the bad value (`got …`). */
const described = new Set<Kind>(['tensor', 'tensor?', 'optimizer', 'net', 'state']);

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

function expectNamedError(e: unknown, op: string): asserts e is CarouselError {
  if (!(e instanceof CarouselError))
    throw new Error(`expected a CarouselError naming ${op}, got ${e === undefined ? 'no error' : String(e)}`);
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
}

describe('nn argument checks: the table', () => {
  it('covers every export (a new one needs a case, a known gap or an exemption)', () => {
    const covered = new Set([...cases.map((c) => c.subject), ...Object.keys(exempt)]);
    const exported = Object.entries(nn)
      .filter(([, v]) => typeof v === 'function' || (typeof v === 'object' && v !== null))
      .map(([name]) => name);
    expect(exported.filter((n) => !covered.has(n))).toEqual([]);
    expect([...covered].filter((n) => !exported.includes(n))).toEqual([]);
  });

  it.each(cases.map((c, i) => [`${i}: ${c.op} (${c.kind})`, c] as const))('%s runs with a valid value', (_, c) => {
    expect(thrown(() => c.run(c.valid()))).toBeUndefined();
  });
});

describe('nn argument checks: wrong-typed values', () => {
  it.each(cases.map((c, i) => [`${i}: ${c.op} (${c.kind})`, c] as const))('%s', (_, c) => {
    fc.assert(
      fc.property(bad[c.kind], (value) => {
        const e = thrown(() => c.run(value));
        expectNamedError(e, c.op);
        expect(e).toBeInstanceOf(ValueError);
        if (described.has(c.kind)) expect(e.message).toContain(`got ${describeValue(value)}`);
      }),
      { seed: 1997, numRuns: 25 },
    );
  });

  it('messages say which argument, what was expected and what came', () => {
    const e = thrown(() => new nn.Linear(16, 4).forward([1, 2] as never));
    expect((e as Error).message).toBe('Linear.forward: input must be a Tensor, got an array of length 2; wrap it with tensor(…)');
    const p = thrown(() => new nn.SGD([param(), undefined as never]));
    expect((p as Error).message).toBe('SGD: parameter 1 of group 0 is not a Tensor, got undefined');
    const s = thrown(() => new nn.Linear(2, 2).loadStateDict(null as never));
    expect((s as Error).message).toBe('loadStateDict: state must be an object of Tensors by name (as stateDict() returns), got null');
  });
});
