// Float64 reference implementations on plain JS arrays, written from the definitions (NumPy /
// PyTorch semantics) and independent of the library's kernels: every op row of ops.ts is checked
// against these. Slow and simple on purpose: multi-indices, no strides tricks.

/** A dense n-d array: row-major `data` of `shape`. */
export interface Nd {
  shape: number[];
  data: number[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const nd = (shape: readonly number[], data: ArrayLike<number>): Nd => ({ shape: [...shape], data: Array.from(data) });

/** Builds an array of `shape` from `f(multiIndex)`, visiting indices in row-major order. */
export function build(shape: readonly number[], f: (idx: number[]) => number): Nd {
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    data[i] = f(idx.slice());
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a]!++;
      if (idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return { shape: [...shape], data };
}

/** Every multi-index of `shape`, row-major. */
export function indicesOf(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  build(shape, (idx) => {
    out.push(idx);
    return 0;
  });
  return out;
}

/** The element at a multi-index. */
export function get(x: Nd, idx: readonly number[]): number {
  let off = 0;
  for (let a = 0; a < x.shape.length; a++) off = off * x.shape[a]! + idx[a]!;
  return x.data[off]!;
}

function setAt(x: Nd, idx: readonly number[], v: number): void {
  let off = 0;
  for (let a = 0; a < x.shape.length; a++) off = off * x.shape[a]! + idx[a]!;
  x.data[off] = v;
}

/** The element a broadcast read sees: `idx` is aligned from the right, size-1 axes read index 0. */
export function getB(x: Nd, idx: readonly number[]): number {
  const extra = idx.length - x.shape.length;
  return get(
    x,
    x.shape.map((d, i) => (d === 1 ? 0 : idx[i + extra]!)),
  );
}

/** NumPy broadcasting of shapes; throws when incompatible. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    s.forEach((d, i) => {
      const o = rank - s.length + i;
      if (d === out[o] || d === 1) return;
      if (out[o] !== 1) throw new Error(`reference: shapes ${JSON.stringify(shapes)} do not broadcast`);
      out[o] = d;
    });
  }
  return out;
}

export const map = (x: Nd, f: (v: number) => number): Nd => ({ shape: [...x.shape], data: x.data.map(f) });

/** Elementwise `f` over broadcast inputs. */
export function zip(xs: readonly Nd[], f: (...v: number[]) => number): Nd {
  const shape = broadcastShapes(...xs.map((x) => x.shape));
  return build(shape, (idx) => f(...xs.map((x) => getB(x, idx))));
}

/** `axis` (undefined = all, number or list, negatives from the end) as sorted non-negative axes. */
export function normAxes(axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return [...Array(rank).keys()];
  const list = typeof axis === 'number' ? [axis] : [...axis];
  return list.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** Reduces `axes` with `f(values)`; the values are listed in row-major order of the reduced axes. */
export function reduce(x: Nd, axes: readonly number[], keepDims: boolean, f: (vals: number[]) => number): Nd {
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const redShape = axes.map((a) => x.shape[a]!);
  const subs = indicesOf(redShape);
  const out = build(keepShape, (idx) =>
    f(
      subs.map((r) => {
        const full = idx.slice();
        axes.forEach((a, k) => {
          full[a] = r[k]!;
        });
        return get(x, full);
      }),
    ),
  );
  return keepDims ? out : { shape: x.shape.filter((_, i) => !axes.includes(i)), data: out.data };
}

/** Applies `f` to every 1-D lane along `axis` (same-length result). */
export function alongAxis(x: Nd, axis: number, f: (lane: number[]) => number[]): Nd {
  const a = normAxis(axis, x.shape.length);
  const out: Nd = { shape: [...x.shape], data: x.data.slice() };
  const n = x.shape[a]!;
  const outer = x.shape.map((d, i) => (i === a ? 1 : d));
  for (const idx of indicesOf(outer)) {
    const at = (j: number) => idx.map((v, i) => (i === a ? j : v));
    const lane = Array.from({ length: n }, (_, j) => get(x, at(j)));
    f(lane).forEach((v, j) => {
      setAt(out, at(j), v);
    });
  }
  return out;
}

export const sum = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0);
export const mean = (v: readonly number[]): number => sum(v) / v.length;
export const prod = (v: readonly number[]): number => v.reduce((s, x) => s * x, 1);
export function variance(v: readonly number[], correction: number): number {
  const m = mean(v);
  return sum(v.map((x) => (x - m) ** 2)) / (v.length - correction);
}
export function logsumexp(v: readonly number[]): number {
  const m = Math.max(...v);
  return m + Math.log(sum(v.map((x) => Math.exp(x - m))));
}

/** Index of the first maximum (sign 1) or minimum (sign -1). */
export function argBest(v: readonly number[], sign: 1 | -1): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (sign * v[i]! > sign * v[best]!) best = i;
  return best;
}

/** `out.shape[i] = x.shape[axes[i]]`. */
export function permute(x: Nd, axes: readonly number[]): Nd {
  const ax = axes.map((a) => normAxis(a, x.shape.length));
  return build(
    ax.map((a) => x.shape[a]!),
    (idx) => {
      const src = new Array<number>(ax.length);
      ax.forEach((a, i) => {
        src[a] = idx[i]!;
      });
      return get(x, src);
    },
  );
}

export const reshape = (x: Nd, shape: readonly number[]): Nd => {
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown >= 0) target[unknown] = x.data.length / sizeOf(target.filter((d) => d !== -1));
  return { shape: target, data: x.data.slice() };
};

/** NumPy matmul: 1-D operands are promoted then the added axis removed; batch axes broadcast. */
export function matmul(a: Nd, b: Nd): Nd {
  const A = a.shape.length === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const B = b.shape.length === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const [m, k] = A.shape.slice(-2) as [number, number];
  const n = B.shape.at(-1)!;
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let p = 0; p < k; p++) s += getB(A, [...bi, i, p]) * getB(B, [...bi, p, j]);
    return s;
  });
  const shape = out.shape.slice();
  if (b.shape.length === 1) shape.splice(-1, 1);
  if (a.shape.length === 1) shape.splice(b.shape.length === 1 ? -1 : -2, 1);
  return { shape, data: out.data };
}

/** Python's slice.indices(n) followed by range(): the indices a `[start, stop, step]` slice picks. */
export function sliceIndices(n: number, start: number | null | undefined, stop: number | null | undefined, step = 1): number[] {
  const adjust = (v: number | null | undefined, dflt: number) => {
    if (v == null) return dflt;
    if (v < 0) {
      v += n;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= n) v = step < 0 ? n - 1 : n;
    return v;
  };
  const s = adjust(start, step < 0 ? n - 1 : 0);
  const e = adjust(stop, step < 0 ? -1 : n);
  const out: number[] = [];
  if (step > 0) for (let i = s; i < e; i += step) out.push(i);
  else for (let i = s; i > e; i += step) out.push(i);
  return out;
}

/** A slice spec as the library takes it: an index, null, or a `[start, stop, step]` triple. */
export type RefSliceSpec = number | null | readonly [number | null, number | null, number | null];

export function slice(x: Nd, specs: readonly RefSliceSpec[]): Nd {
  const picks = x.shape.map((n, i) => {
    const s = specs[i] ?? null;
    if (typeof s === 'number') return { idx: [s < 0 ? s + n : s], drop: true };
    if (s === null) return { idx: sliceIndices(n, null, null, 1), drop: false };
    return { idx: sliceIndices(n, s[0], s[1], s[2] ?? 1), drop: false };
  });
  const shape = picks.filter((p) => !p.drop).map((p) => p.idx.length);
  return build(shape, (idx) => {
    let k = 0;
    return get(
      x,
      picks.map((p) => (p.drop ? p.idx[0]! : p.idx[idx[k++]!]!)),
    );
  });
}

export function pad(x: Nd, widths: readonly (readonly [number, number])[], value: number): Nd {
  const w = x.shape.map((_, i) => widths[i] ?? [0, 0]);
  const shape = x.shape.map((d, i) => d + w[i]![0] + w[i]![1]);
  return build(shape, (idx) => {
    const src = idx.map((v, i) => v - w[i]![0]);
    return src.every((v, i) => v >= 0 && v < x.shape[i]!) ? get(x, src) : value;
  });
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const a = normAxis(axis, xs[0]!.shape.length);
  const shape = xs[0]!.shape.slice();
  shape[a] = sum(xs.map((x) => x.shape[a]!));
  return build(shape, (idx) => {
    let j = idx[a]!;
    for (const x of xs) {
      if (j < x.shape[a]!)
        return get(
          x,
          idx.map((v, i) => (i === a ? j : v)),
        );
      j -= x.shape[a]!;
    }
    throw new Error('unreachable');
  });
}

export function stack(xs: readonly Nd[], axis: number): Nd {
  const a = normAxis(axis, xs[0]!.shape.length + 1);
  const shape = xs[0]!.shape.slice();
  shape.splice(a, 0, xs.length);
  return build(shape, (idx) => {
    const src = idx.slice();
    const [k] = src.splice(a, 1);
    return get(xs[k!]!, src);
  });
}

export function expand(x: Nd, shape: readonly number[]): Nd {
  const extra = shape.length - x.shape.length;
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - extra]! : d));
  return build(target, (idx) => getB(x, idx));
}

export function tile(x: Nd, reps: readonly number[]): Nd {
  const rank = Math.max(reps.length, x.shape.length);
  const xs = reshape(x, [...Array(rank - x.shape.length).fill(1), ...x.shape]);
  const r = [...Array(rank - reps.length).fill(1), ...reps];
  return build(
    xs.shape.map((d, i) => d * r[i]!),
    (idx) =>
      get(
        xs,
        idx.map((v, i) => v % xs.shape[i]!),
      ),
  );
}

export function repeat(x: Nd, repeats: number, axis: number | undefined): Nd {
  const src = axis === undefined ? reshape(x, [x.data.length]) : x;
  const a = normAxis(axis ?? 0, src.shape.length);
  const shape = src.shape.map((d, i) => (i === a ? d * repeats : d));
  return build(shape, (idx) =>
    get(
      src,
      idx.map((v, i) => (i === a ? Math.floor(v / repeats) : v)),
    ),
  );
}

export function flip(x: Nd, axes: readonly number[]): Nd {
  return build(x.shape, (idx) =>
    get(
      x,
      idx.map((v, i) => (axes.includes(i) ? x.shape[i]! - 1 - v : v)),
    ),
  );
}

/** torch.gather: `out[idx] = x[idx with axis a replaced by index[idx]]`. */
export function gather(x: Nd, axis: number, index: Nd): Nd {
  const a = normAxis(axis, x.shape.length);
  return build(index.shape, (idx) =>
    get(
      x,
      idx.map((v, i) => (i === a ? get(index, idx) : v)),
    ),
  );
}

export function indexSelect(x: Nd, axis: number, index: readonly number[]): Nd {
  const a = normAxis(axis, x.shape.length);
  const shape = x.shape.map((d, i) => (i === a ? index.length : d));
  return build(shape, (idx) =>
    get(
      x,
      idx.map((v, i) => (i === a ? index[v]! : v)),
    ),
  );
}

/** torch.scatter_add: a copy of x with `src[idx]` added at `idx with axis a replaced by index[idx]`. */
export function scatterAdd(x: Nd, axis: number, index: Nd, src: Nd): Nd {
  const a = normAxis(axis, x.shape.length);
  const out: Nd = { shape: [...x.shape], data: x.data.slice() };
  for (const idx of indicesOf(index.shape)) {
    const dst = idx.map((v, i) => (i === a ? get(index, idx) : v));
    setAt(out, dst, get(out, dst) + get(src, idx));
  }
  return out;
}

export function cumsum(x: Nd, axis: number, reverse: boolean): Nd {
  return alongAxis(x, axis, (lane) => {
    const order = reverse ? lane.slice().reverse() : lane;
    let acc = 0;
    const out = order.map((v) => (acc += v));
    return reverse ? out.reverse() : out;
  });
}

// ---- scalar functions --------------------------------------------------------------------------

/**
 * erf by composite Simpson quadrature of `2/√π·e^(−t²)` (≈1e-13 absolute on |x| ≤ 6): a different
 * method from the library's series / continued fraction.
 */
export function erf(x: number): number {
  if (x === 0) return 0;
  const ax = Math.min(Math.abs(x), 6);
  const n = 2 * Math.ceil(ax * 1000);
  const h = ax / n;
  let s = 1 + Math.exp(-ax * ax);
  for (let i = 1; i < n; i++) {
    const t = i * h;
    s += (i % 2 === 1 ? 4 : 2) * Math.exp(-t * t);
  }
  return Math.sign(x) * ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const softplus = (x: number, beta: number, threshold: number): number =>
  beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
