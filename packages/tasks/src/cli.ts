#!/usr/bin/env node
// The `carousel` command: list the paper's experiments, run one on a worker pool and print ours
// beside the paper's row, and show the paper's §3 (gradient flow) as numbers and a plot.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { CarouselError } from '@carousel/autograd';
import { MultiBar, type SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Experiment, PaperRow, TrialResult } from './experiment.js';
import { FLOW_MODELS, type FlowResult, flowChart, gradientFlow } from './flow.js';
import { learningCurveChart, lineChartSvg } from './plot.js';
import { BACKENDS, checkBackend, type ParallelRunSummary, runParallel } from './pool.js';
import { experimentAliases, experimentList } from './registry.js';
import { planRun, type RunPlan } from './runner.js';
import { presetToSafetensors, TRAINABLE, trainPreset } from './train.js';

/**
 * `carousel run` with no experiment, the README's main job: 8 of Table 1's 30 embedded Reber trials with the paper's budget
 * of 100,000 sequences (about a minute on 2 cores).
 */
const QUICK = { experiment: 'reber', trials: 8, maxSequences: 100_000 } as const;

const integer = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min)
    throw new InvalidArgumentError(`${name} must be a ${min ? 'positive' : 'non-negative'} integer.`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a positive number.`);
  return n;
};
const num = (n: number) => (Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Fails with a message unless `path` can be written (creating its folder): checked before any work starts. */
function ensureWritable(path: string, flag: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path) && statSync(path).isDirectory()) throw new Error('it is a directory');
    const existed = existsSync(path);
    closeSync(openSync(path, 'a'));
    if (!existed) unlinkSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why =
      {
        EEXIST: 'a folder on the way is a file',
        ENOTDIR: 'a folder on the way is a file',
        EACCES: 'permission denied',
        EPERM: 'permission denied',
        EROFS: 'read-only file system',
        ENOENT: 'no such folder',
      }[code] ?? (e as Error).message;
    throw new CarouselError(`cannot write ${flag} ${path}: ${why}`);
  }
}

function writeOut(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
    console.log(`${what}: ${path}`);
  } catch (e) {
    throw new CarouselError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

const program = new Command('carousel')
  .description('The 1997 LSTM paper’s experiments, reproduced with Carousel')
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true });

program
  .command('list')
  .description("list the experiments in the papers' order, with where each is in its paper and the models each can train")
  .action(() => {
    const aliases = (id: string) => Object.keys(experimentAliases).filter((a) => experimentAliases[a] === id);
    const name = (e: Experiment) => [e.id, ...aliases(e.id)].join(' = ');
    const width = Math.max(...experimentList.map((e) => name(e).length));
    for (const e of experimentList) {
      const d = e.defaults;
      console.log(`${name(e).padEnd(width)}  ${e.title} (${e.source})`);
      console.log(
        `${''.padEnd(width)}  models: ${e.models.join(', ')}; default ${d.model}, lr ${d.lr}, ${d.trials} trials of ≤ ${num(d.maxSequences)} sequences`,
      );
    }
  });

interface RunFlags {
  model?: string;
  trials?: number;
  seed: number;
  maxSequences?: number;
  lr?: number;
  backend: string;
  workers?: number;
  out?: string;
  plot?: string | false;
}

program
  .command('run')
  .description(
    `run an experiment's trials in parallel and print the result beside the paper's table; with no experiment, a short default (${QUICK.experiment}, ${QUICK.trials} trials of ≤ ${num(QUICK.maxSequences)} sequences)`,
  )
  .argument('[experiment]', 'experiment id (see `carousel list`); options default to its paper protocol')
  .option('--model <name>', 'network to train (lstm1997, lstm, peephole, coupled, gru, elman, …)')
  .option('--trials <n>', 'independent trials', integer('--trials', 1))
  .option('--seed <s>', 'base seed; trial k uses seed + k', integer('--seed', 0), 1)
  .option('--max-sequences <n>', 'training budget per trial, in sequences', integer('--max-sequences', 1))
  .option('--lr <rate>', 'learning rate', positive('--lr'))
  .addOption(new Option('--backend <name>', 'tensor backend of the workers (webgpu: BPTT models only)').choices(BACKENDS).default('cpu'))
  .option('--workers <n>', `worker threads (default: CPU cores, ${availableParallelism()} here)`, integer('--workers', 1))
  .option('--out <file>', 'results as JSON (default results/<experiment>-<model>.json)')
  .option('--plot <file>', 'learning curves as SVG (default: --out with .svg)')
  .option('--no-plot', 'do not draw the learning curves')
  .action(async (id: string | undefined, o: RunFlags) => {
    const quick = id === undefined;
    const plan = planRun(id ?? QUICK.experiment, {
      ...o,
      trials: o.trials ?? (quick ? QUICK.trials : undefined),
      maxSequences: o.maxSequences ?? (quick ? QUICK.maxSequences : undefined),
    });
    const exp = plan.experiment;
    checkBackend(plan.model, o.backend);
    const out = o.out ?? join('results', `${exp.id}-${plan.model}.json`);
    const plot = o.plot === false ? undefined : (o.plot ?? `${extname(out) ? out.slice(0, -extname(out).length) : out}.svg`);
    ensureWritable(out, '--out');
    if (plot) ensureWritable(plot, '--plot');
    const workers = Math.min(o.workers ?? availableParallelism(), plan.trials);
    console.log(`${exp.id}: ${exp.title} (${exp.source})`);
    console.log(
      `${plural(plan.trials, 'trial')} of ${plan.model}, lr ${plan.lr}, ≤ ${plural(plan.maxSequences, 'sequence')} each, seeds ${plan.seed}…${plan.seed + plan.trials - 1}; ${plural(workers, 'worker')}, backend ${o.backend}`,
    );
    if (quick) console.log(`(the short default: \`carousel run ${exp.id}\` runs the paper's ${exp.defaults.trials} trials)`);
    const abort = new AbortController();
    const ui = progressUi(plan);
    // a launcher (tsx, pnpm, npx) relays the terminal's SIGINT, so one Ctrl-C can arrive more than once
    let interruptedAt = 0;
    const onSigint = () => {
      if (!interruptedAt) {
        interruptedAt = Date.now();
        ui.stop();
        console.log('interrupted: stopping the running trials, keeping the finished ones');
        abort.abort();
      } else if (Date.now() - interruptedAt > 1000) process.exit(130);
    };
    process.on('SIGINT', onSigint);
    let summary: ParallelRunSummary;
    try {
      summary = await runParallel(exp.id, {
        model: plan.model,
        trials: plan.trials,
        seed: plan.seed,
        maxSequences: plan.maxSequences,
        lr: plan.lr,
        backend: o.backend,
        workers,
        signal: abort.signal,
        onStart: ui.start,
        onProgress: ui.progress,
        onTrial: ui.trial,
      });
    } finally {
      ui.stop();
      process.off('SIGINT', onSigint);
    }
    if (summary.interrupted) console.log(`interrupted: ${plural(summary.trials.length, 'trial')} of ${plan.trials} finished`);
    console.log(`finished in ${summary.elapsedSeconds.toFixed(1)} s\n`);
    printTable(summary, exp.paper);
    const json = { title: exp.title, source: exp.source, seed: plan.seed, ...summary, paper: exp.paper };
    // one line per curve point: [sequences, error]
    const text = JSON.stringify(json, null, 2).replace(/\[\s+([^\s,[\]{}]+),\s+([^\s,[\]{}]+)\s+\]/g, '[$1, $2]');
    writeOut(out, `${text}\n`, 'results');
    if (plot)
      writeOut(plot, await lineChartSvg(learningCurveChart(summary, `${exp.title}: ${plan.model}, lr ${plan.lr}`)), 'learning curves');
    if (summary.interrupted) process.exitCode = 130;
  });

program
  .command('train')
  .description(
    "train one lstm1997 trial with the experiment's protocol and, if it succeeds, save the weights (safetensors, seed and result in the metadata)",
  )
  .argument('<experiment>', `experiment id: ${TRAINABLE.join(', ')}`)
  .option('--seed <s>', "seeds weights, data and the trial's test set", integer('--seed', 0), 1)
  .option('--max-sequences <n>', "training budget, in sequences (default: the experiment's)", integer('--max-sequences', 1))
  .option('--lr <rate>', "learning rate (default: the experiment's)", positive('--lr'))
  .option('--out <file>', 'the weights (default results/<experiment>-lstm1997.safetensors)')
  .action((id: string, o: { seed: number; maxSequences?: number; lr?: number; out?: string }) => {
    const out = o.out ?? join('results', `${id}-lstm1997.safetensors`);
    const command = ['carousel', 'train', ...process.argv.slice(3)].join(' ');
    ensureWritable(out, '--out');
    console.log(`training ${id} (lstm1997, seed ${o.seed})…`);
    const t = trainPreset(id, {
      ...o,
      onProgress: (s, e) => s % 10_000 === 0 && console.log(`  ${num(s)} sequences, train error ${e.toFixed(4)}`),
    });
    const r = t.result;
    console.log(
      `${r.success ? `solved after ${num(r.sequences)}` : `not solved in ${num(r.sequences)}`} sequences in ${t.seconds.toFixed(1)} s, test error ${r.testError.toFixed(4)}`,
    );
    if (!r.success) {
      process.exitCode = 1;
      return;
    }
    const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    try {
      writeFileSync(out, presetToSafetensors(t, version, { command }));
    } catch (e) {
      throw new CarouselError(`cannot write ${out}: ${(e as Error).message}`);
    }
    console.log(`weights: ${out}`);
  });

program
  .command('flow')
  .description('gradient flow (§3 of the paper): ‖∂L/∂x(T−q)‖ against the lag q for an Elman RNN and for LSTM, on the same input')
  .option('--lags <n>', 'largest lag q', integer('--lags', 1), 40)
  .option('--hidden <h>', 'hidden units (Elman, forget-gate LSTM) and memory cells (LSTM 1997)', integer('--hidden', 1), 16)
  .option('--seed <s>', 'seeds the input and the weights', integer('--seed', 0), 1)
  .option('--out <file>', 'the plot, as SVG', join('results', 'flow.svg'))
  .action(async (o: { lags: number; hidden: number; seed: number; out: string }) => {
    ensureWritable(o.out, '--out');
    const flow = gradientFlow({ lags: o.lags, hidden: o.hidden, seed: o.seed });
    printFlow(flow);
    writeOut(o.out, await lineChartSvg(flowChart(flow)), 'plot');
  });

/** The live display of a run: a total bar with ETA, one bar per running trial, a line per finished trial. */
function progressUi(plan: RunPlan) {
  const seq = plan.maxSequences;
  const done = new Map<number, number>(); // trial → sequences so far
  let finished = 0;
  let solved = 0;
  const total = () => [...done.values()].reduce((a, b) => a + b, 0);
  const line = (r: TrialResult, k: number) =>
    `trial ${k + 1}/${plan.trials} (seed ${r.seed}): ${r.success ? `solved after ${num(r.sequences)}` : `not solved in ${num(r.sequences)}`} sequences, test error ${r.testError.toFixed(3)}`;
  if (!process.stdout.isTTY) {
    // piped or logged: no bar, just the lines
    return {
      start: () => {},
      progress: () => {},
      trial: (r: TrialResult, k: number) => console.log(line(r, k)),
      stop: () => {},
    };
  }
  const bars = new MultiBar({
    hideCursor: true,
    clearOnComplete: false,
    autopadding: true,
    etaBuffer: 40,
    fps: 5,
    barsize: 30,
    formatValue: (v, _, type) => (type === 'value' || type === 'total' ? v.toLocaleString('en-US') : String(v)),
  });
  const overall = bars.create(
    plan.trials * seq,
    0,
    { finished, solved },
    {
      format:
        ' all    |{bar}| {percentage}% | {finished}/{trials} trials done, {solved} solved | {duration_formatted} | ETA {eta_formatted}',
    },
  );
  overall.update(0, { trials: plan.trials });
  const running = new Map<number, SingleBar>();
  let stopped = false;
  return {
    start: (k: number) => {
      if (stopped) return;
      done.set(k, 0);
      running.set(
        k,
        bars.create(
          seq,
          0,
          { error: '—' },
          { format: ` seed ${String(plan.seed + k).padEnd(4)}|{bar}| {value}/{total} sequences | train error {error}` },
        ),
      );
    },
    progress: (k: number, s: number, e: number) => {
      if (stopped) return;
      done.set(k, s);
      running.get(k)?.update(s, { error: e.toFixed(3) });
      overall.update(total(), { finished, solved });
    },
    trial: (r: TrialResult, k: number) => {
      if (stopped) return void console.log(line(r, k));
      done.set(k, seq);
      finished++;
      if (r.success) solved++;
      const bar = running.get(k);
      if (bar) bars.remove(bar);
      running.delete(k);
      overall.update(total(), { finished, solved });
      bars.log(`${line(r, k)}\n`);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bars.update(); // renders once more, which prints the lines still buffered
      bars.stop();
    },
  };
}

function printTable(s: ParallelRunSummary, paper: readonly PaperRow[]): void {
  const cols: [string, number][] = [
    ['', 40],
    ['trials', 7],
    ['% success', 11],
    ['mean seqs', 12],
    ['median seqs', 13],
    ['test error', 12],
  ];
  const row = (cells: string[]) => console.log(cells.map((c, i) => (i ? c.padStart(cols[i]![1]) : c.padEnd(cols[0]![1]))).join(''));
  row(cols.map(([c]) => c));
  for (const p of paper)
    row([`paper: ${p.label}`, '', p.successRate === undefined ? '—' : String(p.successRate), num(p.sequences ?? Number.NaN), '—', '—']);
  row([
    `Carousel: ${s.model}, lr ${s.lr}`,
    String(s.trials.length),
    Number.isNaN(s.successRate) ? '—' : String(Math.round(s.successRate)),
    num(s.meanSequences),
    num(s.medianSequences),
    Number.isNaN(s.meanTestError) ? '—' : s.meanTestError.toFixed(3),
  ]);
  console.log(`(sequences to success over the solved trials; test error: the experiment's own measure, mean over trials)`);
}

function printFlow(f: FlowResult): void {
  const step = Math.max(1, Math.ceil(f.lags / 40));
  const e = (x: number) => x.toExponential(2).padStart(13);
  console.log(`‖∂L/∂x(T−q)‖ on one random input sequence, loss on the last output (hidden ${f.hidden}, seed ${f.seed})`);
  console.log(`${'q'.padStart(4)}${FLOW_MODELS.map((m) => m.id.padStart(13)).join('')}`);
  for (let q = 0; q <= f.lags; q++) {
    if (q % step && q !== f.lags) continue;
    console.log(`${String(q).padStart(4)}${FLOW_MODELS.map((m) => e(f.norms[m.id][q]!)).join('')}`);
  }
  // geometric-mean factor per step from q = 1 to the largest lag (q = 0 also sees the output path)
  const factor = (n: number[]) => (f.lags > 1 ? (n[f.lags]! / n[1]!) ** (1 / (f.lags - 1)) : Number.NaN);
  console.log(`factor per step back: ${FLOW_MODELS.map((m) => `${m.id} ${factor(f.norms[m.id]).toFixed(3)}`).join(', ')}`);
}

try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof CarouselError) {
    console.error(`carousel: ${e.message}`);
  } else {
    console.error(`carousel: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.CAROUSEL_DEBUG) console.error(e);
    else console.error('(set CAROUSEL_DEBUG=1 to see where)');
  }
  process.exitCode = 1;
}
