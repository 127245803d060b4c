// The WASM kernel's runtime: worker threads that really take chunks, never keep a process alive,
// and the environment variables that configure it. The kernel's results are tested in
// ../matmul.test.ts under every configuration.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { configureCpu, wasmInternals, wasmSgemm, workerChunks } from './index.js';

const initial = configureCpu();
afterAll(() => configureCpu(initial));

describe('wasm matmul threads', () => {
  it('workers take chunks of large products, and the result is right', () => {
    expect(configureCpu({ wasm: true, threads: 3 })).toEqual({ wasm: true, threads: 3 });
    const n = 192;
    const a = Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3);
    const b = Float32Array.from({ length: n * n }, (_, i) => (i % 5) - 2);
    const c = new Float32Array(n * n);
    const dims = { batch: 1, m: n, k: n, n, aBatchStride: 0, bBatchStride: 0 };
    // a worker that is slow to wake takes nothing (the caller does its share), so run until one has
    for (let tries = 0; tries < 500 && workerChunks() === 0; tries++) {
      expect(n * n * n).toBeGreaterThanOrEqual(wasmInternals.threadMinMacs);
      expect(wasmSgemm(a, b, c, dims)).toBe(true);
    }
    expect(workerChunks()).toBeGreaterThan(0);
    // small integers: the float32 sums are exact
    for (const [i, j] of [
      [0, 0],
      [191, 191],
      [100, 3],
    ] as const) {
      let want = 0;
      for (let p = 0; p < n; p++) want += a[i * n + p]! * b[p * n + j]!;
      expect(c[i * n + j]).toBe(want);
    }
  });

  it('back-to-back products, as a recurrent layer publishes them, are each right', () => {
    // workers poll a while after a job before sleeping, so these find them awake: each job has
    // other operands and another shape, and a chunk run against a stale descriptor would show
    configureCpu({ wasm: true, threads: 2 });
    const before = workerChunks();
    for (let t = 0; t < 40; t++) {
      const [m, k, n] = t % 2 ? [32, 256, 260] : [40, 128, 512];
      const a = Float32Array.from({ length: m * k }, (_, i) => ((i + t) % 7) - 3);
      const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 3 + t) % 5) - 2);
      const c = new Float32Array(m * n).fill(Number.NaN);
      expect(m * n * k).toBeGreaterThanOrEqual(wasmInternals.threadMinMacs);
      expect(wasmSgemm(a, b, c, { batch: 1, m, k, n, aBatchStride: 0, bBatchStride: 0 })).toBe(true);
      const want = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) want[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
      expect(c).toEqual(want); // small integers: the float32 sums are exact
    }
    expect(workerChunks()).toBeGreaterThan(before);
  });

  it('workers never keep the process alive', () => {
    // a child process multiplies on 3 threads and must then exit by itself
    const dir = mkdtempSync(join(tmpdir(), 'carousel-wasm-'));
    const script = join(dir, 'child.ts');
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    writeFileSync(
      script,
      `import { configureCpu, wasmSgemm, workerChunks } from ${JSON.stringify(index)};
       configureCpu({ threads: 3 });
       const n = 256, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
       for (let i = 0; i < 200 && workerChunks() === 0; i++) wasmSgemm(a, a, c, { batch: 1, m: n, k: n, n, aBatchStride: 0, bBatchStride: 0 });
       console.log(JSON.stringify({ sum: c[0], worked: workerChunks() > 0 }));`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined(); // a timeout: the workers held the process open
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ sum: 256, worked: true });
  });

  it('CAROUSEL_WASM=0 selects the TypeScript kernel and CAROUSEL_THREADS the thread count', async () => {
    vi.resetModules();
    vi.stubEnv('CAROUSEL_WASM', '0');
    try {
      const fresh = await import('./index.js');
      expect(fresh.configureCpu()).toEqual({ wasm: false, threads: 1 });
      expect(
        fresh.wasmSgemm(new Float32Array(4), new Float32Array(4), new Float32Array(4), {
          batch: 1,
          m: 2,
          k: 2,
          n: 2,
          aBatchStride: 0,
          bBatchStride: 0,
        }),
      ).toBe(false);
      vi.stubEnv('CAROUSEL_WASM', '1');
      vi.stubEnv('CAROUSEL_THREADS', '2');
      vi.resetModules();
      const two = await import('./index.js');
      expect(two.configureCpu()).toEqual({ wasm: true, threads: 2 });
      two.configureCpu({ threads: 1 }); // stops its worker
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
