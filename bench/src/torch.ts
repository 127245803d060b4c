// PyTorch through Debian's python3-torch (/usr/bin/python3), in a child process that the harness
// drives sample by sample (torch_server.py). OpenBLAS is used when libopenblas0-pthread is present
// (LD_LIBRARY_PATH picks it explicitly, as shared/bench/run-all.sh does); 2 threads with
// OMP_WAIT_POLICY=PASSIVE, the fastest configuration in shared/bench/RESULTS.md.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Framework, ProcessMemory, Runner } from './runner.js';
import type { Workload } from './workloads.js';

const PY = '/usr/bin/python3';
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const SCRIPT = fileURLToPath(new URL('../torch_server.py', import.meta.url));

/** undefined when torch can run, else why it is skipped. */
export function torchSkipReason(): string | undefined {
  if (!existsSync(PY)) return `${PY} not found`;
  const r = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status !== 0) return 'python3-torch not installed';
  return undefined;
}

export const torchBlas = (): string =>
  existsSync(OPENBLAS) ? 'OpenBLAS (libopenblas0-pthread)' : 'reference BLAS (libopenblas0-pthread absent)';

export const torch: Framework = {
  name: 'PyTorch',
  detail: `Debian python3-torch via ${PY}, 2 threads, OMP_WAIT_POLICY=PASSIVE, ${torchBlas()}`,
  async setup(w: Workload): Promise<Runner> {
    const env = { ...process.env };
    if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = OPENBLAS;
    const child: ChildProcessWithoutNullStreams = spawn(PY, [SCRIPT, JSON.stringify(w), '2'], { env });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    let stderr = '';
    // writing to a server that died fails (EPIPE); `next` then says why, instead of a crash
    child.stdin.on('error', () => {});
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const next = async (): Promise<string> => {
      const r = await lines.next();
      if (r.done) throw new Error(`torch_server.py exited: ${stderr.trim().split('\n').at(-1) ?? ''}`);
      return r.value;
    };
    await next(); // header
    const ask = async (cmd: string) => {
      child.stdin.write(`${cmd}\n`);
      return Number(await next());
    };
    return {
      run: (iters) => ask(`run ${iters}`),
      lossStep: () => ask('loss'),
      // ru_maxrss is in KiB on Linux
      memory: async (): Promise<ProcessMemory> => ({ peakRss: (await ask('mem')) * 1024 }),
      // the server is gone before this resolves, so it does not overlap the next workload's timing
      dispose: async () => {
        child.stdin.end('quit\n');
        await exited;
      },
    };
  },
};
