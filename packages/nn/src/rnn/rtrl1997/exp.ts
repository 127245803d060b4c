// e^x in WebAssembly with the bits of V8's Math.exp, which is fdlibm's __ieee754_exp (V8's
// base::ieee754::exp). WebAssembly's f64 arithmetic is IEEE binary64 without fused multiply-adds,
// so fdlibm's operations, in fdlibm's order, give fdlibm's bits; 2^k is applied as fdlibm does,
// by adding k to the result's exponent field (through i64 bits).
import { type Expr, type Func, f64, get, i32, i64, if_, type ModuleBuilder, returnValue, select, set } from '@carousel/autograd/wasm';

/** The f64 of two 32-bit words (fdlibm gives its constants' bits this way). */
const word = (hi: number, lo = 0): number => new Float64Array(new Uint32Array([lo, hi]).buffer)[0]!;

const HUGE = 1.0e300;
const TWOM1000 = word(0x01700000); // 2⁻¹⁰⁰⁰
const O_THRESHOLD = word(0x40862e42, 0xfefa39ef); // 709.78…: above, overflow
const U_THRESHOLD = word(0xc0874910, 0xd52d3051); // −745.13…: below, underflow to 0
const LN2_HI = word(0x3fe62e42, 0xfee00000);
const LN2_LO = word(0x3dea39ef, 0x35793c76);
const INV_LN2 = word(0x3ff71547, 0x652b82fe);
const [P1, P2, P3, P4, P5] = [
  word(0x3fc55555, 0x5555553e),
  word(0xbf66c16c, 0x16bebd93),
  word(0x3f11566a, 0xaf25de2c),
  word(0xbebbbd41, 0xc5d26bf1),
  word(0x3e663769, 0x72bea4d0),
];

/**
 * Adds `exp(x: f64) → f64` to `mod`: fdlibm's e_exp.c statement for statement, so it returns
 * Math.exp's bits for every x (NaN → NaN, overflow → Infinity, underflow → 0, subnormal results).
 */
export function emitExp(mod: ModuleBuilder): Func<'f64'> {
  const f = mod.declare(['f64'] as const, undefined, 'f64');
  const fb = f.builder;
  const [x] = fb.params;
  const [hx, xsb, k] = [fb.local('i32'), fb.local('i32'), fb.local('i32')];
  const [hi, lo, c, t, y] = [fb.local('f64'), fb.local('f64'), fb.local('f64'), fb.local('f64'), fb.local('f64')];
  const K = i32.const;
  const F = f64.const;
  const X = get(x);
  const positive = i32.eqz(get(xsb));
  /** y·2^n by adding n to y's exponent field (y normal, the result too). */
  const scaled = (n: Expr<'i32'>) => f64.reinterpretI64(i64.add(i64.reinterpretF64(get(y)), i64.shl(i64.extendI32(n), i64.const(52n))));
  mod.define(
    f,
    [
      set(hx, i32.wrapI64(i64.shrU(i64.reinterpretF64(X), i64.const(32n)))),
      set(xsb, i32.shrU(get(hx), K(31))),
      set(hx, i32.and(get(hx), K(0x7fffffff))),
      // non-finite, overflowing or underflowing x: |x| ≥ 709.78…
      if_(i32.ge(get(hx), K(0x40862e42)), [
        if_(i32.ge(get(hx), K(0x7ff00000)), [
          if_(f64.ne(X, X), [returnValue(f64.add(X, X))]), // NaN
          returnValue(select(X, F(0), positive)), // exp(±∞) = ∞, 0
        ]),
        if_(f64.gt(X, F(O_THRESHOLD)), [returnValue(f64.mul(F(HUGE), F(HUGE)))]),
        if_(f64.lt(X, F(U_THRESHOLD)), [returnValue(f64.mul(F(TWOM1000), F(TWOM1000)))]),
      ]),
      // argument reduction: x = k·ln2 + r, |r| ≤ ½ln2, r = hi − lo
      if_(
        i32.gt(get(hx), K(0x3fd62e42)),
        [
          if_(
            i32.lt(get(hx), K(0x3ff0a2b2)),
            [
              set(hi, f64.sub(X, select(F(LN2_HI), F(-LN2_HI), positive))),
              set(lo, select(F(LN2_LO), F(-LN2_LO), positive)),
              set(k, i32.sub(i32.sub(K(1), get(xsb)), get(xsb))),
            ],
            [
              set(k, i32.truncF64(f64.add(f64.mul(F(INV_LN2), X), select(F(0.5), F(-0.5), positive)))),
              set(t, f64.convertI32(get(k))),
              set(hi, f64.sub(X, f64.mul(get(t), F(LN2_HI)))), // t·ln2HI is exact here
              set(lo, f64.mul(get(t), F(LN2_LO))),
            ],
          ),
          set(x, f64.sub(get(hi), get(lo))),
        ],
        [
          if_(i32.lt(get(hx), K(0x3e300000)), [returnValue(f64.add(F(1), X))]), // |x| < 2⁻²⁸
          set(k, K(0)),
        ],
      ),
      // x is now in the primary range
      set(t, f64.mul(X, X)),
      set(
        c,
        f64.sub(
          X,
          f64.mul(
            get(t),
            f64.add(
              F(P1),
              f64.mul(get(t), f64.add(F(P2), f64.mul(get(t), f64.add(F(P3), f64.mul(get(t), f64.add(F(P4), f64.mul(get(t), F(P5)))))))),
            ),
          ),
        ),
      ),
      if_(i32.eqz(get(k)), [returnValue(f64.sub(F(1), f64.sub(f64.div(f64.mul(X, get(c)), f64.sub(get(c), F(2))), X)))]),
      set(y, f64.sub(F(1), f64.sub(f64.sub(get(lo), f64.div(f64.mul(X, get(c)), f64.sub(F(2), get(c)))), get(hi)))),
      if_(i32.ge(get(k), K(-1021)), [returnValue(scaled(get(k)))]),
    ],
    // deep underflow: a subnormal result, rounded once by the multiplication
    f64.mul(scaled(i32.add(get(k), K(1000))), F(TWOM1000)),
  );
  return f;
}
