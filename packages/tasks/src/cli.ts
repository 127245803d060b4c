#!/usr/bin/env node
// The `carousel` command: list the paper's experiments, run one, print ours beside the paper's row.
import { writeFileSync } from 'node:fs';
import { CarouselError } from '@carousel/autograd';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { experiments, getExperiment } from './registry.js';
import { type RunSummary, runExperiment } from './runner.js';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

const program = new Command('carousel').description('The 1997 LSTM paper’s experiments, reproduced with Carousel').showHelpAfterError();

program
  .command('list')
  .description('list the experiments')
  .action(() => {
    for (const e of Object.values(experiments)) console.log(`${e.id.padEnd(10)} ${e.title} (${e.source}); models: ${e.models.join(', ')}`);
  });

program
  .command('run')
  .description('run an experiment (default: a short embedded Reber run)')
  .argument('[experiment]', 'experiment id (see `carousel list`)', 'reber')
  .option('--model <name>', 'network to train')
  .option('--trials <n>', 'independent trials', int('--trials'), 4)
  .option('--seed <s>', 'base seed; trial k uses seed + k', int('--seed'), 1)
  .option('--max-sequences <n>', 'training budget per trial, in sequences', int('--max-sequences'), 50_000)
  .option('--lr <rate>', 'learning rate', positive('--lr'))
  .option('--out <file>', 'write the results as JSON')
  .action((id: string, o: { model?: string; trials: number; seed: number; maxSequences: number; lr?: number; out?: string }) => {
    const exp = getExperiment(id);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const bar = new SingleBar({
      format: ' trial {trial}/{trials} |{bar}| {value}/{total} sequences | train error {error} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    });
    let started = false;
    const summary = runExperiment(id, {
      ...o,
      signal: abort.signal,
      onProgress: (k, s, e) => {
        if (!started) bar.start(o.maxSequences, 0, { trial: k + 1, trials: o.trials, error: '-' });
        started = true;
        bar.update(s, { trial: k + 1, error: e.toFixed(3) });
      },
      onTrial: (r, k) => {
        bar.stop();
        started = false;
        console.log(
          `trial ${k + 1}: ${r.success ? 'solved' : 'not solved'} after ${r.sequences} sequences (seed ${r.seed}, test error ${r.testError.toFixed(3)})`,
        );
      },
    });
    bar.stop();
    if (abort.signal.aborted) console.log('interrupted: keeping the finished trials');
    printTable(summary, exp.paper);
    if (o.out) {
      try {
        writeFileSync(o.out, `${JSON.stringify(summary, null, 2)}\n`);
      } catch (e) {
        fail(`cannot write --out ${o.out}: ${(e as Error).message}`);
      }
    }
  });

function printTable(s: RunSummary, paper: readonly { label: string; successRate?: number; sequences?: number }[]): void {
  const f = (n: number) => (Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
  console.log(
    `\n${s.experiment}: ${s.trials.length} trials, model ${s.model}, lr ${s.lr}, budget ${s.maxSequences.toLocaleString('en-US')} sequences`,
  );
  console.log(`${'row'.padEnd(34)}${'% success'.padStart(10)}${'mean seqs'.padStart(12)}${'median'.padStart(10)}`);
  for (const p of paper)
    console.log(
      `${`paper: ${p.label}`.padEnd(34)}${String(p.successRate ?? '—').padStart(10)}${f(p.sequences ?? Number.NaN).padStart(12)}${''.padStart(10)}`,
    );
  console.log(
    `${`Carousel: ${s.model}, lr ${s.lr}`.padEnd(34)}${f(s.successRate).padStart(10)}${f(s.meanSequences).padStart(12)}${f(s.medianSequences).padStart(10)}`,
  );
}

function fail(message: string): never {
  console.error(`carousel: ${message}`);
  process.exit(1);
}

try {
  program.parse();
} catch (e) {
  if (e instanceof CarouselError) fail(e.message);
  throw e;
}
