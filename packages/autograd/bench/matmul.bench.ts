// CPU throughput of @carousel/autograd: matmul GFLOP/s, elementwise and reduction Melem/s, and the
// per-op dispatch overhead of the tape. Float32 matmuls use every core unless a table says
// otherwise (see configureCpu); every figure is the median of several timed runs after warm-up.
//
//   pnpm bench               from the repo root: the full run (about a minute)
//   pnpm bench --quick       smoke run: tiny sizes, few iterations (what CI may run)
//   pnpm bench -- --quick    the same (a literal `--` is ignored)
//   pnpm bench --recurrent-only   only the recurrent-layer section (composite cell vs fused kernel)
//
// Figures are for comparing changes on one machine; they are never asserted in a test.
import {
  type BinaryDef,
  type BinaryOp,
  binaryOps,
  configureCpu,
  type DType,
  dispose,
  type FloatDType,
  type LSTMCellSpec,
  lstmSequence,
  matmul,
  noGrad,
  rand,
  randn,
  setSeed,
  stack,
  type Tensor,
  tidy,
  valueAndGrad,
} from '@carousel/autograd';

const quick = process.argv.includes('--quick');
const recurrentOnly = process.argv.includes('--recurrent-only');

interface TimeOptions {
  /** Untimed calls first, so V8 has optimised the hot loops before the clock starts. */
  warmup: number;
  /** Timed samples; the median is reported. */
  runs: number;
  /** Calls of `fn` per sample, for operations too short to time one by one. */
  inner?: number;
}

/** Median seconds per call of `fn`. */
function time(fn: () => void, { warmup, runs, inner = 1 }: TimeOptions): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9 / inner);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Prints rows as an aligned table: numbers right-aligned, text left-aligned. */
function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^[-\d.]+$/.test(r[c]!)));
  const line = (cells: string[]) => cells.map((s, c) => (numeric[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

const fixed = (x: number, digits: number) => x.toFixed(digits);

// ---------------------------------------------------------------------------------------------
// Matmul: C = A·B on n×n×n, float32 and float64.

/** A matmul case: `[...batch, m, k] @ [...batch, k, n]`. */
interface MatmulCase {
  name: string;
  a: number[];
  b: number[];
}

function benchMatmulCases(title: string, cases: MatmulCase[]): void {
  const dtypes: FloatDType[] = ['float32', 'float64'];
  const rows: string[][] = [];
  for (const c of cases) {
    const row = [c.name];
    for (const dtype of dtypes) {
      const a = randn(c.a, { dtype });
      const b = randn(c.b, { dtype });
      const [m, k] = c.a.slice(-2) as [number, number];
      const n = c.b.at(-1)!;
      const flops = (2 * m * k * n * a.size) / (m * k);
      // Samples of at least ~20 MFLOP each (several calls for the small sizes); fewer at 1024³,
      // where one call takes most of a second.
      const runs = quick ? 2 : flops > 1e9 ? 3 : 9;
      const inner = quick ? 1 : Math.max(1, Math.round(2e7 / flops));
      const s = time(() => matmul(a, b).dispose(), { warmup: quick ? 1 : 2, runs, inner });
      row.push(fixed(flops / s / 1e9, 2), fixed(s * 1e3, 3));
      dispose([a, b]);
    }
    rows.push(row);
  }
  table(title, ['m×k×n', 'f32 GFLOP/s', 'f32 ms', 'f64 GFLOP/s', 'f64 ms'], rows);
}

/** `[batch?, m, k] @ [batch?, k, n]`. */
function mm(m: number, k: number, n: number, batch?: number): MatmulCase {
  const lead = batch === undefined ? [] : [batch];
  return {
    name: `${batch === undefined ? '' : `${batch}×[`}${m}×${k}×${n}${batch === undefined ? '' : ']'}`,
    a: [...lead, m, k],
    b: [...lead, k, n],
  };
}

/** Float32 C = A·B on each CPU kernel: the TypeScript fallback, WASM SIMD on 1 thread and on all. */
function benchMatmulKernels(): void {
  const all = configureCpu();
  const configs = [
    { name: 'TS', wasm: false, threads: 1 },
    { name: 'WASM 1T', wasm: true, threads: 1 },
    { name: `WASM ${all.threads}T`, wasm: true, threads: all.threads },
  ];
  const shapes = quick ? [mm(32, 32, 32), mm(64, 64, 64)] : [mm(256, 256, 256), mm(512, 512, 512), mm(1024, 1024, 1024), mm(32, 256, 1024)];
  const rows: string[][] = [];
  for (const c of shapes) {
    const a = randn(c.a);
    const b = randn(c.b);
    const [m, k] = c.a as [number, number];
    const flops = 2 * m * k * c.b[1]!;
    const row = [c.name];
    for (const cfg of configs) {
      configureCpu(cfg);
      // the TypeScript kernel at 1024³ takes over a second a call: fewer samples there
      const slow = !cfg.wasm && flops > 1e9;
      const runs = quick ? 2 : slow ? 3 : 9;
      const inner = quick ? 1 : Math.max(1, Math.round((cfg.wasm ? 2e8 : 2e7) / flops));
      const s = time(() => matmul(a, b).dispose(), { warmup: quick ? 1 : slow ? 1 : 3, runs, inner });
      row.push(fixed(flops / s / 1e9, 2));
    }
    rows.push(row);
    dispose([a, b]);
  }
  configureCpu(all);
  table(
    `float32 matmul by CPU kernel, GFLOP/s (median; ${all.wasm ? 'WASM SIMD available' : 'WASM SIMD UNAVAILABLE: its columns are the TS kernel'})`,
    ['m×k×n', ...configs.map((c) => c.name)],
    rows,
  );
}

function benchMatmul(): void {
  benchMatmulKernels();
  const square = quick ? [16, 64] : [128, 256, 512, 1024];
  const { threads } = configureCpu();
  benchMatmulCases(
    `matmul, square (median; float32 on the default CPU kernel, ${threads} thread${threads > 1 ? 's' : ''}; float64 TS, 1 thread)`,
    square.map((n) => mm(n, n, n)),
  );
  // The shapes models produce: a small MLP layer, ragged edges, a skinny output, a batch.
  benchMatmulCases(
    'matmul, model shapes',
    quick
      ? [mm(8, 16, 32), mm(7, 9, 11), mm(100, 32, 3), mm(8, 8, 8, 4)]
      : [mm(32, 64, 128), mm(127, 129, 131), mm(1000, 256, 3), mm(64, 64, 64, 16)],
  );
}

// ---------------------------------------------------------------------------------------------
// Elementwise and reductions on about a million elements.

interface Case {
  name: string;
  /** Elements processed per call (the output's size for elementwise ops, the input's for reductions). */
  elems: number;
  make: () => Tensor[];
  run: (ts: Tensor[]) => Tensor;
  /** The op-table row a binary case runs, to count how often its CPU loop is entered. */
  op?: BinaryOp;
}

/**
 * How many times the op table's CPU loop for `op` runs during `run()`: 1 means one loop over the
 * whole buffer (the contiguous fast path). Counted in a separate, untimed call.
 */
function loopCalls(op: BinaryOp, run: () => void): number {
  const def: BinaryDef = binaryOps[op];
  const loop = def.cpu;
  let calls = 0;
  def.cpu = (...args) => {
    calls++;
    loop(...args);
  };
  try {
    run();
  } finally {
    def.cpu = loop;
  }
  return calls;
}

function benchCases(title: string, cases: Case[]): void {
  const rows: string[][] = [];
  const counted = cases.some((c) => c.op);
  for (const dtype of ['float32', 'float64'] as DType[]) {
    for (const c of cases) {
      setSeed(1);
      const ts = c.make().map((t) => (t.dtype === dtype ? t : t.cast(dtype)));
      const s = time(() => c.run(ts).dispose(), quick ? { warmup: 1, runs: 2 } : { warmup: 5, runs: 21 });
      const row = [c.name, dtype, fixed(c.elems / s / 1e6, 0), fixed(s * 1e3, 3)];
      if (counted) row.push(c.op ? String(loopCalls(c.op, () => c.run(ts).dispose())) : '-');
      rows.push(row);
      dispose(ts);
    }
  }
  table(title, ['op', 'dtype', 'Melem/s', 'ms', ...(counted ? ['loop calls'] : [])], rows);
}

function benchElementwise(): void {
  const R = quick ? 100 : 1000; // rows
  const C = quick ? 100 : 1000; // columns
  const N = R * C;
  const tiny = 3; // a short innermost axis: many short rows, the worst case for row-wise kernels
  benchCases(`elementwise (${R}×${C} = ${N} elements)`, [
    { name: 'add same shape', op: 'add', elems: N, make: () => [rand([R, C]), rand([R, C])], run: ([a, b]) => a!.add(b!) },
    { name: 'mul same shape', op: 'mul', elems: N, make: () => [rand([R, C]), rand([R, C])], run: ([a, b]) => a!.mul(b!) },
    { name: 'add scalar', op: 'add', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.add(2) },
    { name: 'add row [R,C]+[C]', op: 'add', elems: N, make: () => [rand([R, C]), rand([C])], run: ([a, b]) => a!.add(b!) },
    { name: 'add col [R,C]+[R,1]', op: 'add', elems: N, make: () => [rand([R, C]), rand([R, 1])], run: ([a, b]) => a!.add(b!) },
    {
      name: `add [N/${tiny},${tiny}]+[${tiny}]`,
      op: 'add',
      elems: Math.floor(N / tiny) * tiny,
      make: () => [rand([Math.floor(N / tiny), tiny]), rand([tiny])],
      run: ([a, b]) => a!.add(b!),
    },
    { name: 'gt same shape', op: 'gt', elems: N, make: () => [rand([R, C]), rand([R, C])], run: ([a, b]) => a!.gt(b!) },
    { name: 'exp', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.exp() },
    { name: 'tanh', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.tanh() },
    { name: 'transpose copy', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.transpose(0, 1) },
  ]);
}

function benchReductions(): void {
  const R = quick ? 100 : 1000;
  const C = quick ? 100 : 1000;
  const N = R * C;
  benchCases(`reductions (${R}×${C} = ${N} elements)`, [
    { name: 'sum all', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.sum() },
    { name: 'sum axis -1', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.sum(-1) },
    { name: 'sum axis 0', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.sum(0) },
    { name: 'max all', elems: N, make: () => [rand([R, C])], run: ([a]) => a!.max() },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Dispatch overhead: what one op costs beyond its arithmetic, and a small training step.

function benchDispatch(): void {
  const inner = quick ? 100 : 2000;
  const opts = quick ? { warmup: 1, runs: 2 } : { warmup: 3, runs: 15 };
  const rows: string[][] = [];
  const perOp = (name: string, requiresGrad: boolean, run: (a: Tensor, b: Tensor) => Tensor) => {
    const a = randn([4], { requiresGrad });
    const b = randn([4], { requiresGrad });
    // `inner` ops per tidy scope, like a layer's forward pass; the scope frees them and their tape.
    const s = time(() => tidy(() => void Array.from({ length: inner }, () => run(a, b))), opts) / inner;
    rows.push([name, fixed(s * 1e6, 2), fixed(1 / s / 1e3, 0)]);
    dispose([a, b]);
  };
  perOp('a.add(b) [4]', false, (a, b) => a.add(b));
  perOp('a.add(b) [4], requiresGrad', true, (a, b) => a.add(b));
  perOp('a.add(b) [4], requiresGrad, noGrad', true, (a, b) => noGrad(() => a.add(b)));
  perOp('a.mul(b).sum() [4], requiresGrad', true, (a, b) => a.mul(b).sum());
  perOp('a.add(2) [4]', false, (a) => a.add(2));

  // forward + backward of a 2-layer tanh MLP; the tape's share of the step is what shows up here
  const [batch, inp, hid, outp] = quick ? [8, 8, 16, 4] : [32, 64, 128, 10];
  const x = randn([batch, inp]);
  const y = randn([batch, outp]);
  const params = [randn([inp, hid]).mul(0.1), randn([hid]), randn([hid, outp]).mul(0.1), randn([outp])] as const;
  const loss = (w1: Tensor<'float32'>, b1: Tensor<'float32'>, w2: Tensor<'float32'>, b2: Tensor<'float32'>) =>
    x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).square().mean();
  const step = valueAndGrad(loss, { argnums: [0, 1, 2, 3] });
  // the backward runs two matmuls per forward one (the vjp computes both operands' gradients)
  const mlpOps = 3 * (2 * batch * inp * hid + 2 * batch * hid * outp);
  const s = time(() => tidy(() => void step(...params)), quick ? { warmup: 1, runs: 2 } : { warmup: 20, runs: 51, inner: 5 });
  rows.push([`MLP ${batch}×${inp}→${hid}→${outp} fwd+bwd step`, fixed(s * 1e6, 1), fixed(1 / s / 1e3, 2)]);
  dispose([x, y, ...params]);
  table('dispatch overhead (tiny tensors)', ['op', 'µs/op', 'kops/s'], rows);
  console.log(`(the MLP step's matmuls are ${fixed(mlpOps / 1e6, 2)} MFLOP: ${fixed(mlpOps / s / 1e9, 2)} GFLOP/s overall)`);
}

// ---------------------------------------------------------------------------------------------
// Recurrent layers: a torch.nn.LSTM layer as the composite cell (one matmul and a dozen
// elementwise ops per step, what @carousel/nn runs without a fused kernel) against the backend's
// fused whole-sequence kernel (`lstmSequence`, one tape node, BPTT in the kernel). Both start
// from the same input-projection GEMM. W1 is a whole training step (forward, backward, SGD).

const TORCH_LSTM: LSTMCellSpec = {
  i: 0,
  f: 1,
  g: 2,
  o: 3,
  peepI: -1,
  peepF: -1,
  peepO: -1,
  coupled: false,
  identityG: false,
  identityH: false,
};

function lstmLayer(x: Tensor, wih: Tensor, whh: Tensor, bih: Tensor, bhh: Tensor, h0: Tensor, c0: Tensor, fused: boolean): Tensor {
  const [T, B, I] = x.shape as [number, number, number];
  const H = h0.shape[1]!;
  const xw = x
    .reshape([T * B, I])
    .matmul(wih.transpose())
    .add(bih)
    .reshape([T, B, 4 * H]);
  if (fused) return lstmSequence({ xw, whh, bhh, h0, c0 }, TORCH_LSTM).slice([[0, T]]);
  const whhT = whh.transpose();
  let h = h0;
  let c = c0;
  const outs: Tensor[] = [];
  for (const xt of xw.split(1, 0)) {
    const [i, f, g, o] = xt
      .reshape([B, 4 * H])
      .add(h.matmul(whhT))
      .add(bhh)
      .split(H, -1) as [Tensor, Tensor, Tensor, Tensor];
    c = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
    h = o.sigmoid().mul(c.tanh());
    outs.push(h);
  }
  return stack(outs, 0);
}

function benchRecurrent(): void {
  const rows: string[][] = [];
  const shapes = quick
    ? [
        { name: 'W1 train step', I: 4, H: 8, B: 1, T: 10, train: true },
        { name: 'W2 fwd+bwd', I: 8, H: 16, B: 4, T: 10, train: false },
      ]
    : [
        { name: 'W1 train step', I: 8, H: 16, B: 1, T: 100, train: true },
        { name: 'W2 fwd+bwd', I: 64, H: 256, B: 32, T: 100, train: false },
      ];
  for (const { name, I, H, B, T, train } of shapes) {
    const u = 1 / Math.sqrt(H);
    const p = (shape: number[]) =>
      rand(shape)
        .mul(2 * u)
        .sub(u);
    const params = [p([4 * H, I]), p([4 * H, H]), p([4 * H]), p([4 * H])];
    for (const t of params) t.requiresGrad = true;
    const x = randn([T, B, I]);
    const h0 = randn([B, H]);
    const c0 = randn([B, H]);
    const target = randn([T, B, H]);
    const row = [`LSTM ${name} (I=${I} H=${H} B=${B} T=${T})`];
    const times: number[] = [];
    for (const fused of [false, true]) {
      const step = () =>
        tidy(() => {
          const [wih, whh, bih, bhh] = params as [Tensor, Tensor, Tensor, Tensor];
          const out = lstmLayer(x, wih, whh, bih, bhh, h0, c0, fused);
          out.sub(target).square().mean().backward();
          if (train) noGrad(() => params.forEach((q) => void q.assign(q.sub(q.grad!.mul(0.01)))));
          for (const q of params) {
            q.grad?.dispose();
            q.grad = null;
          }
        });
      const big = B * H >= 1024;
      times.push(time(step, quick ? { warmup: 1, runs: 2 } : big ? { warmup: 1, runs: 5 } : { warmup: 5, runs: 21 }));
    }
    row.push(fixed(times[0]! * 1e3, 2), fixed(times[1]! * 1e3, 2), fixed(times[0]! / times[1]!, 1));
    rows.push(row);
    dispose([...params, x, h0, c0, target]);
  }
  table(
    'recurrent layers: composite cell vs fused kernel (float32, median ms per step)',
    ['case', 'composite ms', 'fused ms', 'speed-up'],
    rows,
  );
}

console.log(`@carousel/autograd bench${quick ? ' (--quick)' : ''}: node ${process.version}, ${process.platform}/${process.arch}`);
if (!recurrentOnly) {
  benchMatmul();
  benchElementwise();
  benchReductions();
  benchDispatch();
}
benchRecurrent();
