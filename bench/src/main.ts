// `pnpm bench`: Carousel against TF.js (cpu, wasm), brain.js and PyTorch on the shared workloads
// W1–W4 and MM (bench/workloads.json = shared/bench/workloads.json), in one run. Every framework
// runs in a process of its own, a fresh one per workload (the JS ones in worker.ts, PyTorch in
// torch_server.py), driven from here one sample at a time: sharing this process, the peers grew
// the heap to ~1 GB and slowed the others down, and its memory was no framework's in particular
// (isolated.ts). For every workload the frameworks are set up (their processes start at once),
// then warmed up one by one, then take turns sample by sample (A B C A B C …) so load changes on
// the machine hit all of them alike. Medians of the per-step times are reported, with GFLOP/s and
// Carousel's speed-up over each peer (peer ms / Carousel ms).
//
//   pnpm bench                 the full run (several minutes: the slow peers take seconds per step)
//   pnpm bench --quick         smoke run: shrunk shapes, 3 short samples; checks that every
//                              framework's training loss is finite and falls (exit 1 otherwise)
//   pnpm bench W1 MM P1        only these workloads (P1, P2c, P4: the paper's experiments, below)
//   pnpm bench --scaling       also the scaling table: Carousel's LSTM train step as T, H, B vary
//                              around W2 (--quick runs it on a small grid, to smoke-test it)
//
// Before W1–W4 and MM comes the paper's own cost (paper.ts): µs per training sequence of the 1997
// LSTM trained by RTRL on Experiments 1, 2c and 4. It and the scaling table are Carousel only and
// run in this process: no peer runs here any more, so its heap is Carousel's and the harness's
// alone, and sample()'s CPU-time column reads the process that does the work. Memory, per
// workload: each framework's own process's peak RSS and (JS) peak ArrayBuffer bytes, and
// Carousel's own live tensor bytes at a step's peak (`memory().numBytes` after the backward).
//
// Times are never asserted anywhere; they depend on the machine and its load.
import os from 'node:os';
import { isolated, JS_FRAMEWORKS } from './isolated.js';
import { PAPER_NAMES, type PaperName, paperWorkload } from './paper.js';
import type { Framework, Runner } from './runner.js';
import { median, now, sample, type TimingPolicy } from './runner.js';
import { exponents, runScaling } from './scaling.js';
import { torch, torchSkipReason } from './torch.js';
import { describe, flops, isMatmul, quickWorkload, WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from './workloads.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
const quick = args.includes('--quick');
const scalingFlag = args.includes('--scaling');
for (const a of args) if (a.startsWith('--') && a !== '--quick' && a !== '--scaling') throw new Error(`unknown option ${a}`);
const only = args.filter((a) => !a.startsWith('--'));
const known: string[] = [...WORKLOAD_NAMES, ...PAPER_NAMES];
for (const n of only) if (!known.includes(n)) throw new Error(`unknown workload ${n}; expected ${known.join(', ')}`);
const names = only.length > 0 ? WORKLOAD_NAMES.filter((n) => only.includes(n)) : WORKLOAD_NAMES;
const paperNames = only.length > 0 ? PAPER_NAMES.filter((n) => only.includes(n)) : PAPER_NAMES;
// the smoke run covers the scaling code too (on its small grid), unless workloads were picked
const scaling = scalingFlag || (quick && only.length === 0);

/**
 * A framework whose step takes less than this is "fast". Each of its samples is preceded by one
 * untimed step: a sample starts after the others' turns, up to ~30 s idle, and its first step then
 * measured 20–30% slower (Carousel W4: 230 vs 208 ms, 163 vs 127 after 8 s idle; cold caches,
 * sleeping worker threads), a cost of taking turns that a training loop never pays. And it keeps
 * sampling after the minimum repetitions while the slow peers (seconds per step) sit out, so its
 * median is not of 3 samples.
 */
const FAST_STEP_MS = 1000;

/** Timing policy (full run mirrors shared/bench/harness.js: warm-up ≥3 calls and ≥1 s, or one
 * call when a step takes >3 s; samples of ≥300 ms; 3 alternating repetitions, then up to 15 for
 * the fast frameworks within a further 20 s). */
const policy: TimingPolicy = quick
  ? { warmupCalls: 1, warmupMs: 0, minSampleMs: 5, minReps: 3, maxReps: 3, budgetMs: 0 }
  : { warmupCalls: 3, warmupMs: 1000, minSampleMs: 300, minReps: 3, maxReps: 15, budgetMs: 20000 };
/** The scaling table's points take up to seconds each: fewer samples (3–5 within 10 s). */
const scalingPolicy: TimingPolicy = quick ? policy : { ...policy, maxReps: 5, budgetMs: 10000 };

interface Result {
  fw: string;
  median?: number;
  min?: number;
  samples?: number;
  iters?: number;
  losses?: number[];
  lossOk?: boolean;
  finiteOnly?: boolean;
  skipped?: string;
  /** Of the framework's own process (bytes). */
  peakRss?: number;
  peakArrayBuffers?: number;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes >= 100 * MiB ? (bytes / MiB).toFixed(0) : (bytes / MiB).toPrecision(3));
const fmt = (x: number | undefined, d = 2) =>
  x === undefined || !Number.isFinite(x) ? '-' : x >= 1000 ? x.toFixed(0) : x.toPrecision(Math.max(d, 3));

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Carousel bench${quick ? ' --quick (smoke: shrunk shapes, not comparable timings)' : ''}`);
  console.log(
    `machine: ${cpu} ×${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const frameworks: Framework[] = (await Promise.all(Object.values(JS_FRAMEWORKS).map((load) => load()))).map(isolated);
  const torchSkip = torchSkipReason();
  if (torchSkip === undefined) frameworks.push(torch);
  for (const f of frameworks) console.log(`  ${f.name}: ${f.detail}`);
  if (torchSkip !== undefined) console.log(`  PyTorch: skipped (${torchSkip})`);
  console.log('  each in a process of its own, a fresh one per workload');

  const summary: Summary[] = [];
  let failures = 0;
  // The paper's workloads first, in this process (see the header): when the peers still ran here
  // and had grown the heap to ~1 GB, the same RTRL code measured 1.3–1.5× slower per sequence.
  if (paperNames.length > 0) failures += await paperSection(paperNames);
  for (const name of names) {
    const w = quick ? quickWorkload(WORKLOADS[name]) : WORKLOADS[name];
    const train = !isMatmul(w) && w.mode === 'train';
    console.log(`\n${name} ${w.name}: ${describe(w)}${isMatmul(w) ? '' : `, ${(flops(w) / 1e9).toFixed(3)} GFLOP per step`}`);
    const runners: { fw: Framework; r: Runner; res: Result; iters: number; fast: boolean; samples: number[] }[] = [];
    const results: Result[] = [];
    let tensorBytes: number | undefined;
    // setting up is untimed, so the fresh processes start and set up at once (seconds saved per
    // workload); warming up goes one framework at a time, since it picks each one's sample size
    const setups = await Promise.allSettled(frameworks.map((fw) => fw.setup(w)));
    for (const [k, fw] of frameworks.entries()) {
      const res: Result = { fw: fw.name };
      results.push(res);
      const s = setups[k]!;
      try {
        if (s.status === 'rejected') throw s.reason;
        const r = s.value;
        // Harness correctness: the first training steps give a finite loss that falls.
        if (train && (quick || name === 'W1')) {
          const losses: number[] = [];
          for (let i = 0; i < 3; i++) losses.push(await r.lossStep());
          res.losses = losses;
          res.finiteOnly = fw.lossFalls === false;
          res.lossOk = losses.every(Number.isFinite) && (fw.lossFalls === false || losses[2]! < losses[0]!);
          if (!res.lossOk) failures++;
        }
        // warm-up (untimed)
        let last = 0;
        const tw = now();
        for (let i = 0; ; i++) {
          last = await r.run(1);
          if (i === 0 && last > 3000) break;
          if (i + 1 >= policy.warmupCalls && now() - tw >= policy.warmupMs) break;
        }
        const iters = Math.max(1, Math.ceil(policy.minSampleMs / Math.max(last, 1e-3)));
        if (r.tensorBytes) tensorBytes = await r.tensorBytes();
        runners.push({ fw, r, res, iters, fast: last < FAST_STEP_MS, samples: [] });
      } catch (e) {
        res.skipped = String((e as Error)?.message ?? e).split('\n')[0];
        console.log(`  ${fw.name}: skipped (${res.skipped})`);
        if (quick) failures++;
        if (s.status === 'fulfilled') await Promise.resolve(s.value.dispose()).catch(() => {});
      }
    }
    // alternate: one sample of each framework per repetition; after minReps, only the fast ones
    // go on (up to maxReps, within the budget), so a peer that takes seconds per step does not
    // leave the others with 3 samples each
    let t0 = 0;
    for (let rep = 0; rep < policy.maxReps; rep++) {
      if (rep === policy.minReps) t0 = now();
      const turn = rep < policy.minReps ? runners : runners.filter((x) => x.fast);
      if (turn.length === 0) break;
      for (const x of turn) {
        if (x.fast) await x.r.run(1);
        x.samples.push(await x.r.run(x.iters));
      }
      if (rep >= policy.minReps && now() - t0 > policy.budgetMs) break;
    }
    for (const x of runners) {
      x.res.median = median(x.samples);
      x.res.min = Math.min(...x.samples);
      x.res.samples = x.samples.length;
      x.res.iters = x.iters;
      const m = await x.r.memory?.();
      x.res.peakRss = m?.peakRss;
      x.res.peakArrayBuffers = m?.peakArrayBuffers;
      await x.r.dispose();
    }
    const gflop = flops(w) / 1e9;
    const base = results[0]?.median;
    table(
      [
        'framework',
        'median ms',
        'min ms',
        'samples×iters',
        name === 'W1' ? 'steps/s' : 'GFLOP/s',
        'Carousel speed-up',
        'loss check (3 steps)',
        'peak RSS MiB',
        'ArrayBuffers MiB',
      ],
      results.map((r) => [
        r.fw,
        r.skipped ? `skipped: ${r.skipped}` : fmt(r.median),
        fmt(r.min),
        r.samples ? `${r.samples}×${r.iters}` : '-',
        r.median === undefined ? '-' : name === 'W1' ? fmt(1000 / r.median, 1) : fmt(gflop / (r.median / 1000), 2),
        r.median === undefined || base === undefined || r.fw === 'Carousel' ? '-' : `${fmt(r.median / base)}×`,
        r.losses
          ? `${r.lossOk ? (r.finiteOnly ? 'ok (finite; may rise)' : 'ok') : 'FAIL'} ${r.losses.map((l) => l.toPrecision(4)).join(' → ')}`
          : '-',
        r.peakRss === undefined ? '-' : mib(r.peakRss),
        r.peakArrayBuffers === undefined ? '-' : mib(r.peakArrayBuffers),
      ]),
    );
    if (tensorBytes !== undefined) console.log(`Carousel's live tensors at a step's peak: ${mib(tensorBytes)} MiB`);
    summary.push({ name, results, tensorBytes, gflop });
  }
  if (summary.length > 0) printSummary(summary, frameworks, torchSkip);
  if (scaling) await scalingSection();
  if (failures > 0) {
    console.log(`\n${failures} harness check(s) failed (non-finite or non-decreasing loss, or a framework that failed to run)`);
    process.exitCode = 1;
  }
}

interface Summary {
  name: WorkloadName;
  results: Result[];
  tensorBytes: number | undefined;
  gflop: number;
}

function printSummary(summary: Summary[], frameworks: Framework[], torchSkip: string | undefined): void {
  const peers = frameworks.slice(1).map((f) => f.name);
  console.log('\nSummary: median ms per step (GFLOP/s); Carousel speed-up = peer median / Carousel median');
  table(
    ['workload', ...frameworks.map((f) => f.name), ...peers.map((p) => `vs ${p}`)],
    summary.map((s) => {
      const get = (fw: string) => s.results.find((r) => r.fw === fw);
      const c = get('Carousel')?.median;
      return [
        s.name,
        ...frameworks.map((f) => {
          const m = get(f.name)?.median;
          return m === undefined ? 'skipped' : s.name === 'W1' ? fmt(m) : `${fmt(m)} (${fmt(s.gflop / (m / 1000), 2)})`;
        }),
        ...peers.map((p) => {
          const m = get(p)?.median;
          return m === undefined || c === undefined ? '-' : `${fmt(m / c)}×`;
        }),
      ];
    }),
  );
  console.log("\nPeak RSS MiB of each framework's process (a fresh one per workload), and Carousel's live tensors at a step's peak");
  table(
    ['workload', ...frameworks.map((f) => f.name), 'Carousel tensors MiB'],
    summary.map((s) => [
      s.name,
      ...frameworks.map((f) => {
        const m = s.results.find((r) => r.fw === f.name)?.peakRss;
        return m === undefined ? '-' : mib(m);
      }),
      s.tensorBytes === undefined ? '-' : mib(s.tensorBytes),
    ]),
  );
  if (torchSkip !== undefined) console.log(`PyTorch: skipped (${torchSkip})`);
}

/** The paper's experiments: µs per training sequence (Carousel only). Returns failed harness checks. */
async function paperSection(which: PaperName[]): Promise<number> {
  console.log("\nThe paper's experiments: LSTM1997 trained by RTRL (@carousel/nn RTRL1997), µs per training sequence, one core");
  const rows: string[][] = [];
  let failures = 0;
  for (const name of which) {
    const p = paperWorkload(name);
    let sum = 0;
    const { samples, cpu, iters } = await sample(
      (i) => {
        sum += p.train(i);
      },
      quick ? { ...policy, minSampleMs: 20 } : policy,
    );
    const ok = Number.isFinite(sum);
    if (!ok) failures++;
    const us = median(samples) * 1000;
    rows.push([
      name,
      p.what,
      `${p.weights}`,
      p.meanSteps.toFixed(1),
      fmt(us),
      fmt(Math.min(...samples) * 1000),
      fmt(median(cpu) * 1000),
      fmt((us * 1000) / p.meanSteps),
      `${samples.length}×${iters}`,
      `≤ ${p.targetUs}`,
      quick ? '(smoke run)' : us <= p.targetUs ? 'met' : 'not met',
      ok ? 'ok' : 'FAIL (non-finite)',
    ]);
  }
  table(
    [
      '',
      'experiment',
      'weights',
      'steps/seq',
      'median µs/seq',
      'min µs/seq',
      'CPU µs/seq',
      'ns/step',
      'samples×seqs',
      'target µs',
      'target',
      'check',
    ],
    rows,
  );
  return failures;
}

/** `--scaling`: Carousel's LSTM train step around W2, one axis at a time, with memory per point. */
async function scalingSection(): Promise<void> {
  console.log(
    `\nScaling: Carousel LSTM train step (as W2: forward + head + MSE + backward + SGD), one axis at a time${quick ? ' (smoke run: cold, not meaningful)' : ''}`,
  );
  const points = await runScaling(quick, scalingPolicy, (line) => console.log(line));
  table(
    ['axis', 'T', 'H', 'B', 'median ms', 'CPU ms', 'GFLOP/s', 'Carousel tensors MiB', 'peak RSS MiB', 'peak ArrayBuffers MiB'],
    points.map((p) => [
      p.axis,
      `${p.w.T}`,
      `${p.w.H}`,
      `${p.w.B}`,
      fmt(p.ms),
      fmt(p.cpuMs),
      fmt(flops(p.w) / 1e9 / (p.ms / 1000), 2),
      mib(p.tensorBytes),
      mib(p.rss),
      mib(p.arrayBuffers),
    ]),
  );
  console.log('Observed exponent (slope of log time on log size) against the FLOP model (T, B: 1; H: that of H·(I + H)):');
  table(
    ['axis', 'observed (wall)', 'observed (CPU)', 'FLOP model'],
    exponents(points).map((e) => [e.axis, e.wall.toFixed(2), e.cpu.toFixed(2), e.model.toFixed(2)]),
  );
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
