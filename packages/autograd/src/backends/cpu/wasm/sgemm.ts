// The float32 GEMM kernel, emitted as WebAssembly SIMD128. The loop nest is GotoBLAS/BLIS's: for
// each NC-wide block of columns and KC-deep slice of k, B is packed into KC×NR panels; for each
// MC-tall block of rows A is packed into MR×KC panels; then an MR×NR register tile of
// accumulators runs down each pair of panels. Operands are addressed by a row and a column
// stride in bytes, so A, Aᵀ, B and Bᵀ are all read in place: only the packing differs.
import {
  call,
  doWhile,
  type Expr,
  f32,
  f32x4,
  for_,
  get,
  i32,
  if_,
  inc,
  type Local,
  ModuleBuilder,
  ret,
  type Stmt,
  select,
  set,
  zero,
} from './emit.js';

// The register tile is MR×NR = 5×8: 10 vector accumulators, 2 vectors of B and one splat of A
// take 13 of x64's 16 vector registers. Measured on V8 11 (Node 20, Zen 3), in CPU time at 1024³:
// 5×8 ≈ 34 GFLOP/s per core, 4×8 ≈ 30; 6×8, 4×12, 8×8 and 4×16 ≈ 22–23 (15 or more live
// vectors: V8 spills); unrolling the k loop twice was slower for every tile. The blocking sizes
// below moved results by only a few percent either way (KC 128–512, MC 50–200).
/** Rows of the register tile (one splat of A each per step of k). */
export const MR = 5;
/** Columns of the register tile (NR/4 vectors of B per step of k). */
export const NR = 8;
/** Depth of a packed slice: an MR×KC panel of A (5 KiB) and a KC×NR panel of B (8 KiB) fit in L1. */
export const KC = 256;
/** Rows of A packed at once: MC×KC floats (100 KiB) stay in L2 while every B panel runs over them. */
export const MC = 100;
/** Columns of B packed at once: KC×NC floats (2 MiB), the bulk of a thread's workspace. */
export const NC = 2048;

const TILE_BYTES = MR * NR * 4;
const PA_BYTES = MC * KC * 4;
const PB_BYTES = KC * NC * 4;
/** Scratch bytes each thread needs: an edge tile and its packed panels of A and B. */
export const WORKSPACE_BYTES = TILE_BYTES + PA_BYTES + PB_BYTES;

/** i32 fields of a job descriptor (see {@link JOB}); the byte offsets of A, B, C are absolute. */
export const JOB = {
  a: 0,
  aRow: 1,
  aCol: 2,
  aBatch: 3,
  b: 4,
  bRow: 5,
  bCol: 6,
  bBatch: 7,
  c: 8,
  cRow: 9,
  cBatch: 10,
  m: 11,
  n: 12,
  k: 13,
  /** 1: chunks are blocks of columns; 0: blocks of rows. */
  splitN: 14,
  chunkSize: 15,
  chunksPerBatch: 16,
  /** 1: B is already packed (see {@link PACKED_B_ROW}); batch must be 1. */
  bPacked: 17,
} as const;

/** i32 fields of a job descriptor. */
export const JOB_FIELDS = 18;

/**
 * A prepacked B (exported `pack` with the whole depth k) holds NR-column panels, panel j/NR at
 * float j·k and its row p at p·NR: the block at (row p, column j), for j a multiple of NR, starts
 * PACKED_B_ROW·p + 4k·j bytes in. A job gives these as B's row and column strides.
 */
export const PACKED_B_ROW = NR * 4;

const c = i32.const;
const add = i32.add;
const mul = i32.mul;

/**
 * `C[mr×nr] (+)= Apanel · Bpanel`: MR·NR/4 vector accumulators live in locals for the whole k
 * loop, so each step is NR/4 loads of B and MR splats of A for MR·NR/4 vector multiply-adds.
 * A full tile is stored straight into C; an edge tile goes through `tile` and only its valid
 * part is written.
 */
function microKernel(mod: ModuleBuilder) {
  const f = mod.declare(['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const);
  const [pa, pb, kc, cp, ldc, mr, nr, beta, tile] = f.builder.params;
  const V = NR / 4;
  const acc: Local<'v128'>[][] = Array.from({ length: MR }, () => Array.from({ length: V }, () => f.builder.local('v128')));
  const bv = Array.from({ length: V }, () => f.builder.local('v128'));
  const av = f.builder.local('v128');
  const end = f.builder.local('i32');
  const r = f.builder.local('i32');
  const s = f.builder.local('i32');
  const addr = f.builder.local('i32');

  const step: Stmt[] = [
    ...bv.map((b, j) => set(b, f32x4.load(get(pb), 16 * j))),
    ...acc.flatMap((row, i) => [
      set(av, f32x4.loadSplat(get(pa), 4 * i)),
      ...row.map((x, j) => set(x, f32x4.add(get(x), f32x4.mul(get(av), get(bv[j]!))))),
    ]),
    inc(pa, MR * 4),
    inc(pb, NR * 4),
  ];
  const rowAddr = (i: number): Expr<'i32'> => add(get(cp), mul(get(ldc), c(i)));
  const storeFull = (accumulate: boolean): Stmt[] =>
    acc.flatMap((row, i) => [
      set(addr, rowAddr(i)),
      ...row.map((x, j) => f32x4.store(get(addr), accumulate ? f32x4.add(f32x4.load(get(addr), 16 * j), get(x)) : get(x), 16 * j)),
    ]);
  const cell = add(add(get(cp), mul(get(r), get(ldc))), mul(get(s), c(4)));
  const tileCell = f32.load(add(get(tile), mul(add(mul(get(r), c(NR)), get(s)), c(4))));
  mod.define(f, [
    // pa walks the panel; the loop ends when it has covered kc steps
    set(end, add(get(pa), mul(get(kc), c(MR * 4)))),
    if_(i32.lt(get(pa), get(end)), [doWhile(step, i32.lt(get(pa), get(end)))]),
    if_(i32.and(i32.eq(get(mr), c(MR)), i32.eq(get(nr), c(NR))), [if_(get(beta), storeFull(true), storeFull(false)), ret]),
    ...acc.flatMap((row, i) => row.map((x, j) => f32x4.store(get(tile), get(x), (i * NR + 4 * j) * 4))),
    for_(r, c(0), get(mr), 1, [
      for_(s, c(0), get(nr), 1, [
        set(addr, cell),
        f32.store(get(addr), select(f32.add(f32.load(get(addr)), tileCell), tileCell, get(beta))),
      ]),
    ]),
  ]);
  return f;
}

/**
 * Packs a strip of an operand into `width`-wide panels along k: element (p, j) — p along the
 * depth k, j across the panel direction — at `src + p·ks + j·ws` bytes; panel j/width holds it at
 * float j·kc + p·width + j mod width, entries past `n` zero-filled. A's row panels are
 * `width = MR` (ks, ws = A's column and row strides), B's column panels `width = NR` (ks, ws = B's
 * row and column strides).
 */
function panelPacker(mod: ModuleBuilder, width: number, exportName?: string) {
  const f = mod.declare(['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const, exportName);
  const [src, ks, ws, kc, n, dst] = f.builder.params;
  const j0 = f.builder.local('i32');
  const p = f.builder.local('i32');
  const j = f.builder.local('i32');
  const q = f.builder.local('i32');
  const d = f.builder.local('i32');
  const w = f.builder.local('i32');
  // A full panel: when a panel's `width` values are adjacent (ws = 4: row-major B, or Aᵀ), vector
  // copies; otherwise `width` strided loads per step of k.
  const full: Stmt[] = [
    if_(
      i32.eq(get(ws), c(4)),
      [for_(p, c(0), get(kc), 1, [...vectorCopies(width, get(q), get(d)), inc(q, get(ks)), inc(d, width * 4)])],
      [
        for_(p, c(0), get(kc), 1, [
          ...Array.from({ length: width }, (_, i) => f32.store(get(d), f32.load(add(get(q), mul(get(ws), c(i)))), 4 * i)),
          inc(q, get(ks)),
          inc(d, width * 4),
        ]),
      ],
    ),
  ];
  const edge: Stmt[] = [
    zero(get(d), mul(get(kc), c(width * 4))),
    for_(j, c(0), get(w), 1, [
      for_(p, c(0), get(kc), 1, [
        f32.store(
          add(get(d), mul(add(mul(get(p), c(width)), get(j)), c(4))),
          f32.load(add(add(get(q), mul(get(j), get(ws))), mul(get(p), get(ks)))),
        ),
      ]),
    ]),
  ];
  mod.define(f, [
    for_(j0, c(0), get(n), width, [
      set(q, add(get(src), mul(get(j0), get(ws)))),
      set(d, add(get(dst), mul(mul(get(j0), get(kc)), c(4)))),
      set(w, i32.min(c(width), i32.sub(get(n), get(j0)))),
      if_(i32.eq(get(w), c(width)), full, edge),
    ]),
  ]);
  return f;
}

/**
 * `C = op(A)·op(B)` for one m×n block: A's element (i, p) at `a + i·ars + p·acs`, B's (p, j) at
 * `b + p·brs + j·bcs` (or, with `bp`, B prepacked, its strides as PACKED_B_ROW says), C row-major
 * with row stride `ldc` (all in bytes). `ws` is this thread's workspace. With k = 0, C is zeroed.
 */
function gemm(
  mod: ModuleBuilder,
  micro: ReturnType<typeof microKernel>,
  pkA: ReturnType<typeof panelPacker>,
  pkB: ReturnType<typeof panelPacker>,
) {
  const f = mod.declare(['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const);
  const [a, ars, acs, b, brs, bcs, bp, cp, ldc, m, n, k, ws] = f.builder.params;
  const L = () => f.builder.local('i32');
  const [jc, nc, pc, kc, ic, mc, jr, ir, pa, pb, i, src, stride] = [L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()];
  mod.define(f, [
    if_(i32.eqz(get(k)), [for_(i, c(0), get(m), 1, [zero(add(get(cp), mul(get(i), get(ldc))), mul(get(n), c(4)))]), ret]),
    set(pa, add(get(ws), c(TILE_BYTES))),
    for_(jc, c(0), get(n), NC, [
      set(nc, i32.min(c(NC), i32.sub(get(n), get(jc)))),
      for_(pc, c(0), get(k), KC, [
        set(kc, i32.min(c(KC), i32.sub(get(k), get(pc)))),
        set(src, add(add(get(b), mul(get(pc), get(brs))), mul(get(jc), get(bcs)))),
        // a prepacked B's panels run the whole depth k; one packed here, this slice's kc
        if_(
          get(bp),
          [set(pb, get(src)), set(stride, get(k))],
          [
            set(pb, add(get(ws), c(TILE_BYTES + PA_BYTES))),
            set(stride, get(kc)),
            call(pkB, [get(src), get(brs), get(bcs), get(kc), get(nc), get(pb)]),
          ],
        ),
        for_(ic, c(0), get(m), MC, [
          set(mc, i32.min(c(MC), i32.sub(get(m), get(ic)))),
          call(pkA, [add(add(get(a), mul(get(ic), get(ars))), mul(get(pc), get(acs))), get(acs), get(ars), get(kc), get(mc), get(pa)]),
          // one B panel (L1) against every A panel of the block (L2)
          for_(jr, c(0), get(nc), NR, [
            for_(ir, c(0), get(mc), MR, [
              call(micro, [
                add(get(pa), mul(mul(get(ir), get(kc)), c(4))),
                add(get(pb), mul(mul(get(jr), get(stride)), c(4))),
                get(kc),
                add(add(get(cp), mul(add(get(ic), get(ir)), get(ldc))), mul(add(get(jc), get(jr)), c(4))),
                get(ldc),
                i32.min(c(MR), i32.sub(get(mc), get(ir))),
                i32.min(c(NR), i32.sub(get(nc), get(jr))),
                i32.ne(get(pc), c(0)),
                get(ws),
              ]),
            ]),
          ]),
        ]),
      ]),
    ]),
  ]);
  return f;
}

/**
 * Runs chunk `index` of the job described at `job` (see {@link JOB}) with workspace `ws`: chunks
 * are blocks of rows or of columns of one batch entry, so threads can take them in any order.
 */
function chunk(mod: ModuleBuilder, gemmF: ReturnType<typeof gemm>) {
  const f = mod.declare(['i32', 'i32', 'i32'] as const, 'chunk');
  const [job, index, ws] = f.builder.params;
  const L = () => f.builder.local('i32');
  const [bi, lo, size, a, b, cp] = [L(), L(), L(), L(), L(), L()];
  const field = (name: keyof typeof JOB) => i32.load(get(job), 4 * JOB[name]);
  mod.define(f, [
    set(bi, i32.divU(get(index), field('chunksPerBatch'))),
    set(lo, mul(i32.remU(get(index), field('chunksPerBatch')), field('chunkSize'))),
    set(a, add(field('a'), mul(get(bi), field('aBatch')))),
    set(b, add(field('b'), mul(get(bi), field('bBatch')))),
    set(cp, add(field('c'), mul(get(bi), field('cBatch')))),
    if_(
      field('splitN'),
      [
        set(size, i32.min(field('chunkSize'), i32.sub(field('n'), get(lo)))),
        call(gemmF, [
          ...[get(a), field('aRow'), field('aCol')],
          ...[add(get(b), mul(get(lo), field('bCol'))), field('bRow'), field('bCol'), field('bPacked')],
          ...[add(get(cp), mul(get(lo), c(4))), field('cRow')],
          ...[field('m'), get(size), field('k'), get(ws)],
        ]),
      ],
      [
        set(size, i32.min(field('chunkSize'), i32.sub(field('m'), get(lo)))),
        call(gemmF, [
          ...[add(get(a), mul(get(lo), field('aRow'))), field('aRow'), field('aCol')],
          ...[get(b), field('bRow'), field('bCol'), field('bPacked')],
          ...[add(get(cp), mul(get(lo), field('cRow'))), field('cRow')],
          ...[get(size), field('n'), field('k'), get(ws)],
        ]),
      ],
    ),
  ]);
}

/** `width` floats from `src` to `dst` (bytes), four at a time, then one at a time. */
function vectorCopies(width: number, src: Expr<'i32'>, dst: Expr<'i32'>): Stmt[] {
  const out: Stmt[] = [];
  let o = 0;
  for (; o + 4 <= width; o += 4) out.push(f32x4.store(dst, f32x4.load(src, 4 * o), 4 * o));
  for (; o < width; o++) out.push(f32.store(dst, f32.load(src, 4 * o), 4 * o));
  return out;
}

/**
 * `c[0:n] = a·B` for one row `a` (floats `acol` bytes apart) and a prepacked B (k×n): a
 * matrix–vector product, for the recurrent kernels' batch-of-one steps, where the 5-row tile would
 * compute four rows of padding. Each NR-column panel takes two vector accumulators down the whole
 * depth; the last panel's columns past n go through `tile` (NR floats of scratch).
 */
function gemv(mod: ModuleBuilder) {
  const f = mod.declare(['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const, 'gemv');
  const [a, acol, b, cp, n, k, tile] = f.builder.params;
  const [jr, p, pb, pa, nr, s] = [
    f.builder.local('i32'),
    f.builder.local('i32'),
    f.builder.local('i32'),
    f.builder.local('i32'),
    f.builder.local('i32'),
    f.builder.local('i32'),
  ];
  const [x, acc0, acc1] = [f.builder.local('v128'), f.builder.local('v128'), f.builder.local('v128')];
  const madd = (acc: Local<'v128'>, offset: number) => set(acc, f32x4.add(get(acc), f32x4.mul(get(x), f32x4.load(get(pb), offset))));
  mod.define(f, [
    set(pb, get(b)),
    for_(jr, c(0), get(n), NR, [
      set(acc0, f32x4.const(0)),
      set(acc1, f32x4.const(0)),
      set(pa, get(a)),
      for_(p, c(0), get(k), 1, [set(x, f32x4.loadSplat(get(pa))), madd(acc0, 0), madd(acc1, 16), inc(pa, get(acol)), inc(pb, NR * 4)]),
      set(nr, i32.min(c(NR), i32.sub(get(n), get(jr)))),
      if_(
        i32.eq(get(nr), c(NR)),
        [f32x4.store(add(get(cp), mul(get(jr), c(4))), get(acc0)), f32x4.store(add(get(cp), mul(get(jr), c(4))), get(acc1), 16)],
        [
          f32x4.store(get(tile), get(acc0)),
          f32x4.store(get(tile), get(acc1), 16),
          for_(s, c(0), get(nr), 1, [
            f32.store(add(get(cp), mul(add(get(jr), get(s)), c(4))), f32.load(add(get(tile), mul(get(s), c(4))))),
          ]),
        ],
      ),
    ]),
  ]);
}

/** The kernel module's bytes: exports `chunk`, `pack` and `gemv`, imports `env.memory`. */
export function sgemmModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder(shared);
  const micro = microKernel(mod);
  const pkA = panelPacker(mod, MR);
  // exported: packing a recurrent weight once (kc = k) lets every step's product skip it
  const pkB = panelPacker(mod, NR, 'pack');
  chunk(mod, gemm(mod, micro, pkA, pkB));
  gemv(mod);
  return mod.encode();
}
