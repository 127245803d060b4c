// Every framework runs in a process of its own, one per (framework, workload), driven sample by
// sample from the bench process: PyTorch through torch_server.py (torch.ts), the JS frameworks
// through worker.ts, over Node's IPC channel (this file is the harness side). Sharing the bench
// process made them slow each other down (the peers grew the V8 heap to ~1 GB: Carousel's W3
// forward measured ~84 ms there, ~57 ms alone), left its memory no framework's in particular, and
// is not how anyone runs them. A fresh process per workload also gives a fresh heap and a peak
// RSS (getrusage maxrss) that is that workload's alone.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Framework, ProcessMemory, Runner } from './runner.js';
import type { Workload } from './workloads.js';

/**
 * The in-process frameworks by name (the `name` each one's module gives it). A worker imports
 * only the one it runs, so no other framework's code or heap is in its process.
 */
export const JS_FRAMEWORKS: Record<string, () => Promise<Framework>> = {
  Carousel: async () => (await import('./carousel.js')).carousel,
  'TF.js-cpu': async () => (await import('./tfjs.js')).tfjs('cpu'),
  'TF.js-wasm': async () => (await import('./tfjs.js')).tfjs('wasm'),
  'brain.js': async () => (await import('./brainjs.js')).brainjs,
};

/** What the harness asks a worker: a Runner's calls, and setup. */
export type Command =
  | { cmd: 'setup'; framework: string; workload: Workload }
  | { cmd: 'run'; iters: number }
  | { cmd: 'loss' }
  | { cmd: 'tensorBytes' }
  | { cmd: 'memory' }
  | { cmd: 'dispose' };
/** Each request gets one {@link Reply} with the same id. */
export type Request = Command & { id: number };
export type Reply = { id: number } & ({ ok: true; value: unknown } | { ok: false; error: string });
/** The id of the worker's first message, a reply to no request: it listens. */
export const READY = -1;

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * `fw` with a `setup` that forks a worker for the workload and returns a Runner whose calls are
 * requests to it. The worker needs the loader the bench runs under: tsx v4 puts its own flags
 * (`--require …/preflight.cjs --import …/loader.mjs`) and `--conditions=@carousel/source` in
 * `process.execArgv`, which is handed on as is, so the worker loads the same (source) Carousel.
 */
export function isolated(fw: Framework): Framework {
  return { ...fw, setup: (w) => forkRunner(fw.name, w) };
}

async function forkRunner(name: string, w: Workload): Promise<Runner> {
  if (!process.execArgv.join(' ').includes('@carousel/source')) {
    throw new Error('the bench must run under `tsx --conditions=@carousel/source` (pnpm bench) so its workers load the same Carousel');
  }
  const child = fork(WORKER, [], {
    execArgv: process.execArgv,
    serialization: 'advanced', // NaN losses survive (JSON would turn them into null)
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // replies awaited, by request id; a worker that dies or cannot be reached rejects them all
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let gone: Error | undefined;
  const reply = <T>(id: number) =>
    new Promise<T>((resolve, reject) => {
      if (gone) reject(gone);
      else pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  const started = reply<void>(READY);
  const exited = new Promise<void>((resolve) => {
    const fail = (why: string) => {
      gone ??= new Error(`${name} worker ${why}; its stderr, if any, is above`);
      for (const p of pending.values()) p.reject(gone);
      pending.clear();
      resolve();
    };
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
    child.on('error', (e) => fail(`failed (${e.message})`));
  });
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.value);
    else p?.reject(new Error(m.error));
  });
  let nextId = 0;
  const ask = <T>(req: Command): Promise<T> => {
    const id = nextId++;
    const r = reply<T>(id);
    if (!gone) child.send({ ...req, id } satisfies Request);
    return r;
  };
  const close = async () => {
    if (child.connected) child.disconnect(); // the worker exits when its channel closes
    await exited;
  };

  let caps: { tensorBytes: boolean };
  try {
    await started;
    caps = await ask({ cmd: 'setup', framework: name, workload: w });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    run: (iters) => ask({ cmd: 'run', iters }),
    lossStep: () => ask({ cmd: 'loss' }),
    tensorBytes: caps.tensorBytes ? () => ask({ cmd: 'tensorBytes' }) : undefined,
    memory: () => ask<ProcessMemory>({ cmd: 'memory' }),
    // the worker is gone before this resolves, so it does not overlap the next workload's timing
    dispose: async () => {
      try {
        await ask({ cmd: 'dispose' });
      } finally {
        await close();
      }
    },
  };
}
