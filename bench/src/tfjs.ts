// TensorFlow.js 4.22.0, pure-JS `cpu` backend and `wasm` backend (SIMD, 1 thread), both in this
// process; the backend is switched before every sample. The models are shared/bench/tfjs_bench.js's
// `core` (hand-written PyTorch-formulation cell inside optimizer.minimize, input projection
// hoisted) and `basic` (tf.basicLSTMCell per step) impls; each workload uses the impl that was
// fastest for that backend in shared/bench/RESULTS.md: `basic` for W3 and for W2 on wasm,
// `core` otherwise. Optimiser: tf.train.sgd(0.01); loss: tf.losses.meanSquaredError.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Framework, Runner } from './runner.js';
import { isMatmul, type RnnWorkload, type Workload } from './workloads.js';

type TF = typeof import('@tensorflow/tfjs-core');
type T = import('@tensorflow/tfjs-core').Tensor;
type V = import('@tensorflow/tfjs-core').Variable;
type T1 = import('@tensorflow/tfjs-core').Tensor1D;
type T2 = import('@tensorflow/tfjs-core').Tensor2D;

const require = createRequire(import.meta.url);
let tfPromise: Promise<TF> | undefined;

/** Loads tfjs once: core + layers (registers the gradients) + cpu + wasm backends. */
function loadTf(): Promise<TF> {
  tfPromise ??= (async () => {
    const tf = require('@tensorflow/tfjs-core') as TF;
    // tfjs-core's CJS Node bundle registers no gradient functions; tfjs-layers' bundle does.
    require('@tensorflow/tfjs-layers');
    require('@tensorflow/tfjs-backend-cpu');
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    // Silence the "looks like you are running TensorFlow.js in Node.js" banner.
    tf.env().set('IS_TEST', true);
    return tf;
  })();
  return tfPromise;
}

export const tfjsVersion = (): string => (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;

export function implFor(backend: 'cpu' | 'wasm', w: RnnWorkload): 'core' | 'basic' {
  if (w.cell === 'lstm' && (w.mode === 'infer' || (backend === 'wasm' && w.B > 1))) return 'basic';
  return 'core';
}

function buildRnn(tf: TF, w: RnnWorkload, impl: 'core' | 'basic'): { step: () => number; owned: T[] } {
  const { I, H, B, T, O } = w;
  const gates = w.cell === 'gru' ? 3 : 4;
  const optimizer = tf.train.sgd(0.01);
  const target = tf.randomNormal([B, O], 0, 1, 'float32', 11);
  const k = 1 / Math.sqrt(H);
  const U = (shape: number[], seed: number) => tf.variable(tf.randomUniform(shape, -k, k, 'float32', seed));
  const x = tf.randomNormal([T, B, I], 0, 1, 'float32', 7);
  const xs = tf.unstack(x);
  const Wo = U([H, O], 5);
  const bo = U([O], 6);
  let forward: () => T;
  let vars: V[];
  if (impl === 'basic') {
    const kernel = U([I + H, 4 * H], 1);
    const bias = U([4 * H], 2);
    const forgetBias = tf.scalar(0);
    vars = [kernel, bias, Wo, bo];
    forward = () => {
      let c = tf.zeros([B, H]) as T2;
      let h = tf.zeros([B, H]) as T2;
      for (let t = 0; t < T; t++) [c, h] = tf.basicLSTMCell(forgetBias, kernel as T2, bias as T1, xs[t] as T2, c, h);
      return tf.add(tf.matMul(h, Wo), bo);
    };
  } else {
    const Wih = U([I, gates * H], 1);
    const Whh = U([H, gates * H], 2);
    const bih = U([gates * H], 3);
    const bhh = U([gates * H], 4);
    vars = [Wih, Whh, bih, bhh, Wo, bo];
    const x2 = tf.reshape(x, [T * B, I]);
    forward = () => {
      const xp = tf.unstack(tf.reshape(tf.add(tf.matMul(x2, Wih), bih), [T, B, gates * H]));
      let h: T = tf.zeros([B, H]);
      if (w.cell === 'lstm') {
        let c: T = tf.zeros([B, H]);
        for (let t = 0; t < T; t++) {
          const z = tf.add(xp[t] as T, tf.add(tf.matMul(h, Whh), bhh));
          const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [T, T, T, T];
          c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
          h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
        }
      } else {
        for (let t = 0; t < T; t++) {
          const [xr, xz, xn] = tf.split(xp[t] as T, 3, 1) as [T, T, T];
          const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, Whh), bhh), 3, 1) as [T, T, T];
          const r = tf.sigmoid(tf.add(xr, hr));
          const zz = tf.sigmoid(tf.add(xz, hz));
          const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
          h = tf.add(n, tf.mul(zz, tf.sub(h, n)));
        }
      }
      return tf.add(tf.matMul(h, Wo), bo);
    };
  }
  const owned: T[] = [target, x, ...xs, ...vars];
  if (w.mode === 'train') {
    return {
      owned,
      step: () => {
        const loss = optimizer.minimize(
          () => tf.losses.meanSquaredError(target, forward()) as import('@tensorflow/tfjs-core').Scalar,
          true,
          vars,
        );
        const v = loss?.dataSync()[0] ?? Number.NaN;
        loss?.dispose();
        return v;
      },
    };
  }
  return {
    owned,
    step: () => {
      tf.tidy(() => void forward().dataSync());
      return Number.NaN;
    },
  };
}

export function tfjs(backend: 'cpu' | 'wasm'): Framework {
  return {
    name: backend === 'cpu' ? 'TF.js-cpu' : 'TF.js-wasm',
    detail:
      backend === 'cpu'
        ? `@tensorflow/tfjs-core ${tfjsVersion()} pure-JS cpu backend`
        : `@tensorflow/tfjs-backend-wasm ${tfjsVersion()} (SIMD, 1 thread)`,
    async setup(w: Workload): Promise<Runner> {
      const tf = await loadTf();
      const enter = async () => {
        if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
      };
      await enter();
      let step: () => number;
      let owned: T[] = [];
      if (isMatmul(w)) {
        const a = tf.randomNormal([w.M, w.K], 0, 1, 'float32', 1);
        const b = tf.randomNormal([w.K, w.N], 0, 1, 'float32', 2);
        owned = [a, b];
        step = () => {
          const c = tf.matMul(a, b);
          c.dataSync();
          c.dispose();
          return Number.NaN;
        };
      } else {
        ({ step, owned } = buildRnn(tf, w, implFor(backend, w)));
      }
      return {
        async run(iters) {
          await enter();
          const t0 = Number(process.hrtime.bigint()) / 1e6;
          for (let i = 0; i < iters; i++) step();
          return (Number(process.hrtime.bigint()) / 1e6 - t0) / iters;
        },
        async lossStep() {
          await enter();
          return step();
        },
        async dispose() {
          await enter();
          tf.dispose(owned);
        },
      };
    },
  };
}
