import { describe, expectTypeOf, it } from 'vitest';
import type { ArrayOf, DType, NestedArray } from './index.js';
import {
  arange,
  cast,
  customGrad,
  eye,
  full,
  grad,
  matmul,
  ones,
  rand,
  randn,
  scalar,
  type Tensor,
  tensor,
  valueAndGrad,
  vjp,
  where,
  zeros,
} from './index.js';

// Type-level tests: `vitest --typecheck` compiles this file (it never runs). Every positive
// assertion has a negative twin (`@ts-expect-error`), so a type that widened to `any`/`Tensor`
// would fail here rather than pass silently.

/** A tensor type's dtype and rank, to compare types whose rank is `number` (deep equality of those recurses without end). */
type Sig<T> = T extends Tensor<infer D, infer R> ? [D, R] : never;

declare const f32: Tensor<'float32', 1>;
declare const f64: Tensor<'float64', 1>;
declare const i32: Tensor<'int32', 1>;
declare const b: Tensor<'bool', 1>;
declare const m: Tensor<'float32', 2>;

describe('dtype is part of the type', () => {
  it('tensor() infers float32 for numbers, bool for booleans, and honours { dtype }', () => {
    expectTypeOf(tensor([1, 2])).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(tensor([1, 2], { dtype: 'int32' })).toEqualTypeOf<Tensor<'int32', 1>>();
    expectTypeOf(tensor([1, 2], { dtype: 'float64' })).toEqualTypeOf<Tensor<'float64', 1>>();
    expectTypeOf(tensor([true, false])).toEqualTypeOf<Tensor<'bool', 1>>();
    expectTypeOf(tensor([[true], [false]])).toEqualTypeOf<Tensor<'bool', 2>>();
    expectTypeOf(tensor(3)).toEqualTypeOf<Tensor<'float32', 0>>();
    expectTypeOf(tensor(true)).toEqualTypeOf<Tensor<'bool', 0>>();
    expectTypeOf(tensor([1, 2]).dtype).toEqualTypeOf<'float32'>();
    expectTypeOf(tensor([1, 2], { dtype: 'int32' }).dtype).toEqualTypeOf<'int32'>();

    expectTypeOf(tensor([1, 2])).not.toEqualTypeOf<Tensor<'int32', 1>>();
    expectTypeOf(tensor([1, 2], { dtype: 'int32' })).not.toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(tensor([true])).not.toEqualTypeOf<Tensor<'float32', 1>>();
    // @ts-expect-error: not a dtype
    tensor([1, 2], { dtype: 'float16' });
    // @ts-expect-error: a float32 tensor is not an int32 tensor
    const notInt: Tensor<'int32'> = tensor([1, 2]);
    void notInt;
  });

  it('typed-array input keeps the requested dtype', () => {
    const fromArray = tensor(new Float32Array(4), { shape: [2, 2] });
    expectTypeOf<Sig<typeof fromArray>>().toEqualTypeOf<['float32', number]>();
    expectTypeOf(tensor(new Float32Array(4), { shape: [2, 2] }).dtype).toEqualTypeOf<'float32'>();
    expectTypeOf(tensor(new Float32Array(4)).dtype).toEqualTypeOf<'float32'>();
    // the dtype follows the array type, as it does at run time
    expectTypeOf(tensor(new Float64Array(4)).dtype).toEqualTypeOf<'float64'>();
    expectTypeOf(tensor(new Int32Array(4)).dtype).toEqualTypeOf<'int32'>();
    expectTypeOf(tensor(new Uint8Array(4)).dtype).toEqualTypeOf<'bool'>();
    expectTypeOf(tensor(new Float64Array(4), { dtype: 'float32' }).dtype).toEqualTypeOf<'float32'>();
    // @ts-expect-error: a float64 array makes a float64 tensor
    const wrong: Tensor<'float32'> = tensor(new Float64Array(4));
    void wrong;
  });

  it('creation functions carry their dtype', () => {
    expectTypeOf(zeros([2, 3])).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(zeros([2, 3], { dtype: 'int32' })).toEqualTypeOf<Tensor<'int32', 2>>();
    expectTypeOf(ones([4], { dtype: 'float64' })).toEqualTypeOf<Tensor<'float64', 1>>();
    expectTypeOf(full([2], 1)).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(scalar(1)).toEqualTypeOf<Tensor<'float32', 0>>();
    expectTypeOf(scalar(true)).toEqualTypeOf<Tensor<'bool', 0>>();
    expectTypeOf(full([2], false)).toEqualTypeOf<Tensor<'bool', 1>>();
    expectTypeOf(full([2], 1, { dtype: 'int32' })).toEqualTypeOf<Tensor<'int32', 1>>();
    expectTypeOf(arange(3)).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(eye(2)).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(randn([2, 3])).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(rand([5], { dtype: 'float64' })).toEqualTypeOf<Tensor<'float64', 1>>();
    // @ts-expect-error: random tensors are float only
    randn([2], { dtype: 'int32' });
    // the dtype comes from the arguments, never from the type the result is assigned to
    // @ts-expect-error: zeros() is float32 unless told otherwise
    const z: Tensor<'int32', 1> = zeros([2]);
    // @ts-expect-error: randn() is float32 unless told otherwise
    const r: Tensor<'float64', 1> = randn([2]);
    void [z, r];
  });
});

describe('mixing dtypes needs a cast', () => {
  it('same-dtype arithmetic compiles and keeps the dtype', () => {
    const sum = f32.add(f32);
    expectTypeOf<Sig<typeof sum>>().toEqualTypeOf<['float32', number]>();
    expectTypeOf(f32.add(f32).dtype).toEqualTypeOf<'float32'>();
    expectTypeOf(i32.mul(i32).dtype).toEqualTypeOf<'int32'>();
    expectTypeOf(f64.sub(f64).dtype).toEqualTypeOf<'float64'>();
  });

  it('a different dtype is a compile error for every binary op', () => {
    // @ts-expect-error: float32 + int32
    f32.add(i32);
    // @ts-expect-error: float32 - float64
    f32.sub(f64);
    // @ts-expect-error: int32 * float32
    i32.mul(f32);
    // @ts-expect-error: float64 / float32
    f64.div(f32);
    // @ts-expect-error: float32 ** int32
    f32.pow(i32);
    // @ts-expect-error: float32 vs bool
    f32.maximum(b);
    // @ts-expect-error: comparisons do not mix dtypes either
    f32.lt(i32);
    // @ts-expect-error: nor does matmul
    m.matmul(tensor([[1, 2]], { dtype: 'float64' }));
  });

  it('cast() is the way to mix, and numbers are always fine', () => {
    expectTypeOf(f32.add(i32.cast('float32')).dtype).toEqualTypeOf<'float32'>();
    expectTypeOf(i32.cast('float32')).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(cast(i32, 'float64')).toEqualTypeOf<Tensor<'float64', 1>>();
    expectTypeOf(f32.add(1)).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(i32.mul(2)).toEqualTypeOf<Tensor<'int32', 1>>();
    expectTypeOf(m.pow(3)).toEqualTypeOf<Tensor<'float32', 2>>();
    // @ts-expect-error: strings are not operands
    f32.add('1');
  });
});

describe('comparisons and logic', () => {
  it('return bool tensors', () => {
    expectTypeOf(f32.lt(0)).toEqualTypeOf<Tensor<'bool', 1>>();
    expectTypeOf(m.ge(0)).toEqualTypeOf<Tensor<'bool', 2>>();
    expectTypeOf(f32.eq(f32).dtype).toEqualTypeOf<'bool'>();
    expectTypeOf(i32.ne(i32).dtype).toEqualTypeOf<'bool'>();
    expectTypeOf(f32.gt(0).logicalAnd(f32.lt(1)).dtype).toEqualTypeOf<'bool'>();
    expectTypeOf(f32.logicalNot()).toEqualTypeOf<Tensor<'bool', 1>>();
    expectTypeOf(f32.lt(0)).not.toEqualTypeOf<Tensor<'float32', 1>>();
  });

  it('where() takes the dtype of its branches', () => {
    expectTypeOf(b.where(f32, 0).dtype).toEqualTypeOf<'float32'>();
    expectTypeOf(b.where(i32, i32).dtype).toEqualTypeOf<'int32'>();
    // @ts-expect-error: the condition must be a bool tensor
    where(f32, f32, f32);
  });

  it('item() reads booleans from bool tensors and numbers otherwise', () => {
    expectTypeOf(tensor(true).item()).toEqualTypeOf<boolean>();
    expectTypeOf(f32.lt(0).item()).toEqualTypeOf<boolean>();
    expectTypeOf(f32.item()).toEqualTypeOf<number>();
    expectTypeOf(i32.item()).toEqualTypeOf<number>();
    // @ts-expect-error: a bool item is not a number
    const n: number = b.item();
    void n;
  });

  it('arraySync() follows dtype and rank', () => {
    expectTypeOf(tensor([[1, 2]]).arraySync()).toEqualTypeOf<number[][]>();
    expectTypeOf(tensor([true]).arraySync()).toEqualTypeOf<boolean[]>();
    expectTypeOf(tensor(1).arraySync()).toEqualTypeOf<number>();
    expectTypeOf<ArrayOf<'float32', number>>().toEqualTypeOf<NestedArray<number>>();
  });
});

describe('rank is part of the type where cheap', () => {
  it('is inferred from nested-array literals', () => {
    expectTypeOf(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    ).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(tensor([[[1]]])).toEqualTypeOf<Tensor<'float32', 3>>();
    expectTypeOf(tensor([[1, 2]]).rank).toEqualTypeOf<2>();
    expectTypeOf(tensor([[1, 2]])).not.toEqualTypeOf<Tensor<'float32', 1>>();
    // @ts-expect-error: a rank-2 tensor is not a rank-1 tensor
    const v: Tensor<'float32', 1> = tensor([[1, 2]]);
    void v;
  });

  it('follows reshape, zeros, matmul and shape-preserving ops', () => {
    expectTypeOf(f32.reshape([2, 3])).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(f32.reshape([-1])).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(m.reshape([1, 2, 3, 4]).rank).toEqualTypeOf<4>();
    expectTypeOf(zeros([2, 3]).rank).toEqualTypeOf<2>();
    expectTypeOf(m.matmul(m)).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(matmul(m, m).dtype).toEqualTypeOf<'float32'>();
    expectTypeOf(m.exp().tanh().relu()).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(m.T).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(m.softmax()).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(f32.expand([3, 3])).toEqualTypeOf<Tensor<'float32', 2>>();
    expectTypeOf(f32.detach()).toEqualTypeOf<Tensor<'float32', 1>>();
    expectTypeOf(m.grad).toEqualTypeOf<Tensor<'float32', 2> | null>();
    // a matrix times a vector is not known to be rank 2
    expectTypeOf(m.matmul(f32)).not.toEqualTypeOf<Tensor<'float32', 2>>();
    // @ts-expect-error: reshape([2, 3]) is rank 2, not 3
    const r3: Tensor<'float32', 3> = f32.reshape([2, 3]);
    void r3;
  });
});

describe('function transforms', () => {
  const cube = (x: Tensor<'float32'>) => x.pow(3).sum();

  it('grad(f) returns a Tensor; argnums: [..] returns an array', () => {
    const df = grad(cube);
    const d2f = grad(grad(cube));
    expectTypeOf<Sig<ReturnType<typeof df>>>().toEqualTypeOf<['float32', number]>();
    expectTypeOf<Sig<ReturnType<typeof d2f>>>().toEqualTypeOf<['float32', number]>();
    expectTypeOf(df(f32).dtype).toEqualTypeOf<'float32'>();
    const f2 = (x: Tensor, y: Tensor) => x.mul(y).sum();
    expectTypeOf<Sig<ReturnType<ReturnType<typeof grad<[Tensor, Tensor], 1>>>>>().toEqualTypeOf<[DType, number]>();
    const both = grad(f2, { argnums: [0, 1] })(f32, f32);
    expectTypeOf<Sig<(typeof both)[number]>>().toEqualTypeOf<[DType, number]>();
    expectTypeOf(both).toBeArray();
    expectTypeOf<Sig<typeof both>>().toEqualTypeOf<never>();
    expectTypeOf(grad(f2)(f32, f32)).not.toBeArray();
    // @ts-expect-error: the gradient of one argument is not an array
    grad(f2)(f32, f32).map((t) => t);
    // @ts-expect-error: arguments are checked against f's parameters
    grad(cube)(i32);
  });

  it('valueAndGrad, vjp and customGrad have precise signatures', () => {
    const [value, g] = valueAndGrad(cube)(f32);
    expectTypeOf<Sig<typeof value>>().toEqualTypeOf<[DType, number]>();
    expectTypeOf<Sig<typeof g>>().toEqualTypeOf<['float32', number]>();
    const [out, back] = vjp((x: Tensor) => x.mul(x), f32);
    expectTypeOf<Sig<typeof out>>().toEqualTypeOf<[DType, number]>();
    expectTypeOf<Sig<ReturnType<typeof back>[number]>>().toEqualTypeOf<[DType, number]>();
    const ste = customGrad((x: Tensor) => ({ value: x.floor(), vjp: (g) => [g] }));
    expectTypeOf<Sig<ReturnType<typeof ste>>>().toEqualTypeOf<[DType, number]>();
    // @ts-expect-error: f must return a Tensor
    grad((x: Tensor) => x.sum().item());
  });
});
