import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';

// the CLI as a user runs it from a checkout: Node with tsx and the workspace's source condition
const pkg = new URL('..', import.meta.url).pathname;
const carousel = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@carousel/source', '--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: pkg, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

const tmp = mkdtempSync(join(tmpdir(), 'carousel-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('carousel CLI', () => {
  it('bad input: a clear message, a non-zero exit, never a stack trace', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    const cases: [string[], RegExp][] = [
      [['run', 'nope'], /^carousel: .*unknown experiment 'nope'; known: .*reber/],
      [['run', 'reber', '--model', 'transformer'], /^carousel: .*no model 'transformer'; available: lstm1997/],
      [['run', 'reber', '--trials', 'abc'], /--trials must be a positive integer/],
      [['run', 'reber', '--max-sequences', '0'], /--max-sequences must be a positive integer/],
      [['run', 'reber', '--lr', '-1'], /--lr must be a positive number/],
      [['run', 'reber', '--backend', 'tpu'], /Allowed choices are cpu, webgpu/],
      [['run', 'reber', '--backend', 'webgpu'], /^carousel: .*backend 'webgpu' needs a BPTT model/],
      [['run', 'reber', '--out', join(file, 'results.json')], /^carousel: cannot write --out .*a folder on the way is a file/],
      [['run', 'reber', '--out', tmp], /^carousel: cannot write --out .*it is a directory/],
      [['flow', '--lags', '-3'], /--lags must be a positive integer/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const results = await Promise.all(cases.map(([args]) => carousel(...args)));
    results.forEach(({ code, stdout, stderr }, i) => {
      const [args, message] = cases[i]!;
      expect(code, args.join(' ')).not.toBe(0);
      expect(stderr, args.join(' ')).toMatch(message);
      expect(stderr + stdout).not.toMatch(/\n\s+at /); // no stack frames
      expect(stdout).not.toMatch(/trial \d/); // nothing ran
    });
  }, 60_000);

  it('list, and a tiny run end to end: table, JSON, SVG', async () => {
    const list = await carousel('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^reber\s+Embedded Reber grammar/m);
    // the papers' order, each with its section and table; aliases beside their experiment
    const listed = [...list.stdout.matchAll(/^(\S+)/gm)].map((m) => m[1]);
    const order = ['reber', '2a', '2b', '2c', '3a', '4', '5', '6a', '6b', 'cerg', 'adding-modern', 'copy'].map((id) => listed.indexOf(id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBe(0);
    expect(list.stdout).toMatch(/^4 = adding\s+Adding problem, T = 100 \(Hochreiter & Schmidhuber 1997, §5\.4, Table 7\)/m);
    expect(list.stdout).toMatch(/^cerg\s+Continual embedded Reber grammar \(Gers, Schmidhuber & Cummins 2000, §4, Table 2\)/m);
    const out = join(tmp, 'run', 'r.json');
    const run = await carousel('run', 'reber', '--trials', '2', '--max-sequences', '1000', '--workers', '2', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/trial 2\/2 \(seed 2\)/);
    expect(run.stdout).toMatch(/paper: LSTM 3 blocks × 2, lr 0.5\s+100\s+8,440/);
    expect(run.stdout).toMatch(/Carousel: lstm1997, lr 0.5\s+2\s+/);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json).toMatchObject({ experiment: 'reber', model: 'lstm1997', workers: 2, interrupted: false });
    expect(json.trials.map((t: { seed: number }) => t.seed)).toEqual([1, 2]);
    expect(json.paper.length).toBeGreaterThan(0);
    expect(XMLValidator.validate(readFileSync(join(tmp, 'run', 'r.svg'), 'utf8'))).toBe(true);
  }, 60_000);

  it('flow prints the norms by lag and plots them', async () => {
    const out = join(tmp, 'flow.svg');
    const flow = await carousel('flow', '--lags', '20', '--out', out);
    expect(flow.code).toBe(0);
    expect(flow.stdout).toMatch(/^\s+q\s+elman\s+lstm1997\s+lstm$/m);
    expect(flow.stdout).toMatch(/^\s+20\s+\S+e-\d+/m);
    expect(XMLValidator.validate(readFileSync(out, 'utf8'))).toBe(true);
  }, 60_000);
});
