import { configureCpu, describeValue, noGrad, tensor, ValueError } from '@carousel/autograd';
import { LSTM1997, resolveSquash, type Squash } from './lstm1997.js';
import {
  ADVANCE,
  kernelMemory,
  LEARN,
  OUTPUTS,
  PARAM_NAMES,
  type ParamName,
  paramSizes,
  type RTRLKernel,
  type RTRLShape,
  rtrlKernel,
  rtrlLayout,
  widthOfU,
} from './rtrl1997/kernel.js';

/**
 * The logistic σ(x), stable for either sign: 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) below. One
 * call of Math.exp on −|x| serves both (the sign of x is hard to predict for a branch).
 */
function sig(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return (x >= 0 ? 1 : e) / (1 + e);
}

/** The squashes as small integers, so one `switch` evaluates any of them (no per-step closure calls). */
const SQUASH_CODE: Record<Exclude<Squash, 'paper'>, number> = { sigmoid2: 0, sigmoid1: 1, logistic: 2, tanh: 3, identity: 4 };

/**
 * Squash `kind` at x: returns f(x) and writes f'(x) into `d[i]`, from one evaluation of the
 * sigmoid or tanh (the RTRL loops run on Float64Arrays).
 */
function squash(kind: number, x: number, d: Float64Array, i: number): number {
  switch (kind) {
    case 0: {
      const s = sig(x);
      d[i] = 4 * s * (1 - s);
      return 4 * s - 2;
    }
    case 1: {
      const s = sig(x);
      d[i] = 2 * s * (1 - s);
      return 2 * s - 1;
    }
    case 2: {
      const s = sig(x);
      d[i] = s * (1 - s);
      return s;
    }
    case 3: {
      const t = Math.tanh(x);
      d[i] = 1 - t ** 2;
      return t;
    }
    default:
      d[i] = 1;
      return x;
  }
}

/** Options of {@link RTRL1997}. */
export interface RTRLOptions {
  /** Learning rate α of Δw = α·e·y (the paper's eq. 22); 0 only accumulates gradients. */
  lr?: number;
}

export type { ParamName };

/**
 * The 1997 paper's own learning algorithm for {@link LSTM1997}: truncated RTRL (App. A.1,
 * eqs. 19–28). Each step propagates forward the derivatives ∂s/∂w of every cell state with
 * respect to its cell's and its input gate's incoming weights — O(W) work per step and no
 * stored history — and, when the step has a target, applies the update Δw = α·e·y at once
 * ("on-line learning"). With `lr: 0` it only accumulates ∂L/∂w, which equals the truncated
 * BPTT gradient of `sumSquaredError` through `LSTM1997.forward` on a sequence with fixed weights.
 *
 * ```
 * ∂s/∂w_c(t)  = ∂s/∂w_c(t−1)  + g'(net_c) · y^in · u(t)
 * ∂s/∂w_in(t) = ∂s/∂w_in(t−1) + g(net_c) · f'(net_in) · u(t)
 * e_k = f'(net_k)(t_k − y_k),   e_s = y^out h'(s) Σ_k w_kc e_k,   e_out = f'(net_out) Σ_v h(s_v) Σ_k w_kv e_k
 * Δw_c = α e_s ∂s/∂w_c,   Δw_in = α Σ_v e_s ∂s/∂w_in,   Δw_out = α e_out u,   Δw_k = α e_k y^c
 * ```
 *
 * With connectivity 'B', u(t) = x(t) and the input→output weights learn by Δw = α e_k x;
 * without output gates, y^out ≡ 1.
 *
 * Each step runs as one call of a WebAssembly kernel emitted for the network's configuration, on
 * a memory that holds all of the learner's arrays; where WebAssembly is unavailable, or
 * `configureCpu({ wasm: false })` is in force, the same step runs as TypeScript loops on the same
 * arrays. Both compute the same bits (the same operations in the same order, and Math.exp's and
 * Math.tanh's values), so results never depend on which ran. The choice is made when the learner
 * is built and at every {@link RTRL1997.reset}: a `configureCpu` change takes effect at the next
 * sequence.
 *
 * @example
 * const net = new LSTM1997({ inputSize: 2, outputSize: 1, blocks: 1, cellsPerBlock: 1, dtype: 'float64' });
 * const steps: [number[], number[] | null][] = [[[1, 0], null], [[0, 1], [1]]]; // (input, target) pairs
 * const rtrl = new RTRL1997(net, { lr: 0.1 });
 * rtrl.reset();                        // a new sequence: activations and traces to zero
 * for (const [x, t] of steps) rtrl.step(x, t);
 * rtrl.sync();                         // write the trained weights back into `net`
 */
export class RTRL1997 {
  readonly lr: number;
  readonly #net: LSTM1997;
  readonly #I: number;
  readonly #K: number;
  readonly #C: number;
  readonly #S: number;
  readonly #M: number; // width of u = [x, r(t−1), 1]: inputs, recurrent units (connectivity 'F' only), bias input
  readonly #outGate: boolean;
  readonly #g: number; // squash codes (SQUASH_CODE)
  readonly #h: number;
  readonly #out: number;
  // Every array below is a view of one memory (#buffer), laid out by rtrlLayout: the WASM kernel
  // and the TypeScript loops read and write the same arrays, so either can run any step.
  readonly #shape: RTRLShape;
  readonly #memory: WebAssembly.Memory | null;
  /** The kernel on #memory: undefined until first wanted, null where it cannot run. */
  #kernel: RTRLKernel | null | undefined;
  /** The kernel this sequence runs on; null: the TypeScript loops. */
  #wasm: RTRLKernel | null = null;
  readonly #x: Float64Array; // the step's input and target, copied in for the kernel
  readonly #target: Float64Array;
  readonly #w: Record<ParamName, Float64Array | null>;
  readonly #grad: Record<ParamName, Float64Array | null>;
  // Where a target step adds its Δ, times what: straight into the weights (α = lr) when
  // learning on-line, else into the gradient accumulators (α = 1). Each entry receives exactly
  // one term per step, so w += α·Δ equals accumulating Δ and adding α·Δ after: same bits, one
  // pass over the weights fewer.
  readonly #delta: Record<ParamName, Float64Array | null>;
  readonly #alpha: number;
  // u(t) is kept in two parts: the nonzero inputs as (index, value) lists — one-hot inputs
  // (Exp. 1, 2) leave most of x zero, and a zero contributes nothing to a sum or a trace — and
  // u[I, M − 1) = r(t − 1) (connectivity 'F'), every unit read; u[M − 1] = 1 is the bias input,
  // whose weights live in the bias arrays.
  readonly #u: Float64Array;
  readonly #inIdx: Int32Array;
  readonly #inVal: Float64Array;
  #nIn = 0;
  readonly #netIn: Float64Array; // net inputs of every input gate, then output gate, then cell
  // per-sequence state
  readonly #s: Float64Array;
  readonly #traceCell: Float64Array; // [C·S, M]: ∂s_v/∂w_{c_v, m}
  readonly #traceIn: Float64Array; // [C·S, M]: ∂s_v/∂w_{in_j(v), m}
  // per-step activations, and the derivatives the backward needs
  readonly #yIn: Float64Array;
  readonly #yOut: Float64Array;
  readonly #yc: Float64Array;
  readonly #y: Float64Array;
  readonly #dg: Float64Array; // g'(net_c)
  readonly #hs: Float64Array; // h(s), h'(s)
  readonly #dhs: Float64Array;
  readonly #dy: Float64Array; // f'(net_k)
  readonly #ek: Float64Array; // output units' errors
  readonly #es: Float64Array; // cell states' errors

  constructor(net: LSTM1997, opts: RTRLOptions = {}) {
    if (!(net instanceof LSTM1997)) throw new ValueError(`net must be an LSTM1997, got ${describeValue(net)}`, 'RTRL1997');
    const c = net.config;
    if (!c.truncated) throw new ValueError('RTRL1997 computes the truncated gradient; build the LSTM1997 with truncated: true', 'RTRL1997');
    this.lr = opts.lr ?? 0.1;
    if (!(this.lr >= 0)) throw new ValueError(`lr must be ≥ 0, got ${this.lr}`, 'RTRL1997');
    this.#alpha = this.lr > 0 ? this.lr : 1;
    this.#net = net;
    [this.#I, this.#K, this.#C, this.#S] = [c.inputSize, c.outputSize, c.blocks, c.cellsPerBlock];
    const CS = this.#C * this.#S;
    this.#outGate = c.outputGate;
    const g = resolveSquash(c.g, 'g');
    const h = resolveSquash(c.h, 'h');
    const out = c.outputActivation === 'logistic' ? 'logistic' : 'identity';
    this.#g = SQUASH_CODE[g];
    this.#h = SQUASH_CODE[h];
    this.#out = SQUASH_CODE[out];
    const has = Object.fromEntries(RTRL1997.#names.map((n) => [n, net[n] !== null])) as Record<ParamName, boolean>;
    this.#shape = {
      I: c.inputSize,
      K: c.outputSize,
      C: c.blocks,
      S: c.cellsPerBlock,
      outGate: c.outputGate,
      recurrent: c.connectivity === 'F',
      g,
      h,
      out,
      has,
      accumulate: !(this.lr > 0),
    };
    this.#M = widthOfU(this.#shape);

    const L = rtrlLayout(this.#shape);
    const { buffer, memory } = kernelMemory(L.bytes);
    this.#memory = memory;
    const f64 = (at: number, n: number) => new Float64Array(buffer, at, n);
    const sizes = paramSizes(this.#shape);
    const params = (at: Record<ParamName, number>) =>
      Object.fromEntries(RTRL1997.#names.map((n) => [n, has[n] ? f64(at[n], sizes[n]) : null])) as Record<ParamName, Float64Array | null>;
    f64(L.alpha, 1)[0] = this.#alpha;
    this.#x = f64(L.x, this.#I);
    this.#target = f64(L.target, this.#K);
    this.#w = params(L.w);
    this.#grad = params(L.grad);
    this.#delta = this.lr > 0 ? this.#w : this.#grad;
    this.load();
    this.#netIn = f64(L.netIn, (c.outputGate ? 2 : 1) * this.#C + CS);
    this.#u = f64(L.u, this.#M);
    this.#inIdx = new Int32Array(buffer, L.inIdx, this.#I);
    this.#inVal = f64(L.inVal, this.#I);
    this.#s = f64(L.s, CS);
    this.#traceCell = f64(L.traceCell, CS * this.#M);
    this.#traceIn = f64(L.traceIn, CS * this.#M);
    this.#yIn = f64(L.yIn, this.#C);
    this.#yOut = f64(L.yOut, this.#C);
    this.#yc = f64(L.yc, CS);
    this.#y = f64(L.y, this.#K);
    this.#dg = f64(L.dg, CS);
    this.#hs = f64(L.hs, CS);
    this.#dhs = f64(L.dhs, CS);
    this.#dy = f64(L.dy, this.#K);
    this.#ek = f64(L.ek, this.#K);
    this.#es = f64(L.es, CS);
    this.reset();
  }

  static readonly #names: readonly ParamName[] = PARAM_NAMES;

  /** Copies the network's current weights in (call after changing them outside) and clears the accumulated gradients. */
  load(): void {
    for (const name of RTRL1997.#names) {
      const p = this.#net[name];
      const w = this.#w[name];
      if (!p && !w) continue;
      if (!p || !w || p.size !== w.length) {
        throw new ValueError(`${name} of the network changed since the learner was built; build a new RTRL1997`, 'RTRL1997.load');
      }
      w.set(p.dataSync());
      this.#grad[name]!.fill(0);
    }
  }

  /** Writes the weights trained here back into the network's parameters. */
  sync(): void {
    noGrad(() => {
      for (const name of RTRL1997.#names) {
        const p = this.#net[name];
        const w = this.#w[name];
        if (p && w) p.assign(tensor(w, { shape: p.shape, dtype: p.dtype }));
      }
    });
  }

  /** ∂L/∂w accumulated since the last {@link RTRL1997.zeroGradients} (L = ½Σ(t − y)² over target steps). */
  gradients(): Partial<Record<ParamName, Float64Array>> {
    const out: Partial<Record<ParamName, Float64Array>> = {};
    for (const name of RTRL1997.#names) {
      const g = this.#grad[name];
      if (g) out[name] = g.map((v) => -v); // accumulated as Δ-direction (−∂L/∂w)
    }
    return out;
  }

  /** Clears the accumulated gradients. */
  zeroGradients(): void {
    for (const g of Object.values(this.#grad)) g?.fill(0);
  }

  /**
   * Starts a new sequence: activations, cell states and ∂s/∂w traces back to zero. The sequence
   * runs on the WebAssembly kernel when the runtime has WebAssembly and `configureCpu().wasm` is
   * true, else on the TypeScript loops (same results).
   */
  reset(): void {
    this.#u.fill(0);
    this.#u[this.#M - 1] = 1;
    this.#nIn = 0;
    this.#s.fill(0);
    this.#traceCell.fill(0);
    this.#traceIn.fill(0);
    this.#wasm = this.#memory && configureCpu().wasm ? this.#compiled() : null;
  }

  /** @internal Which code runs this sequence's steps (set by {@link RTRL1997.reset}); for tests. */
  get runsOn(): 'wasm' | 'typescript' {
    return this.#wasm ? 'wasm' : 'typescript';
  }

  /** The kernel on this learner's memory, compiled (once per configuration) on first use. */
  #compiled(): RTRLKernel | null {
    if (this.#kernel === undefined) this.#kernel = rtrlKernel(this.#shape, this.#memory!);
    return this.#kernel;
  }

  /**
   * One time step: reads `x`, updates the cells, returns the output units' activations (a view,
   * valid until the next step). With a `target`, computes the step's error, accumulates its
   * gradient and (lr > 0) updates the weights at once.
   *
   * @throws ValueError when `x` or `target` has the wrong length.
   */
  step(x: ArrayLike<number>, target?: ArrayLike<number> | null): Float64Array {
    if (target && target.length !== this.#K)
      throw new ValueError(`target has ${target.length} values, expected ${this.#K}`, 'RTRL1997.step');
    if (this.#wasm) {
      this.#copyIn(x, 'RTRL1997.step');
      if (target) this.#target.set(target);
      this.#wasm.step(target ? LEARN : OUTPUTS);
      return this.#y;
    }
    this.#advanceCells(x, 'RTRL1997.step');
    this.#outputs();
    if (target) this.#learn(target);
    this.#feedBack();
    return this.#y;
  }

  /**
   * A time step whose outputs are not needed: no target, and nobody reads y(t). It updates the
   * cells, their traces and r(t) exactly as {@link RTRL1997.step} does, and skips the output
   * units (which feed nothing back). Use it for the steps before a sequence's only target.
   *
   * @throws ValueError when `x` has the wrong length.
   * @example
   * const net = new LSTM1997({ inputSize: 2, outputSize: 1, blocks: 1, cellsPerBlock: 1, dtype: 'float64' });
   * const rtrl = new RTRL1997(net, { lr: 0.1 });
   * rtrl.reset();
   * rtrl.advance([1, 0]);                 // the outputs of this step are never looked at
   * const y = rtrl.step([0, 1], [1]);     // the target step: output, error, update
   */
  advance(x: ArrayLike<number>): void {
    if (this.#wasm) {
      this.#copyIn(x, 'RTRL1997.advance');
      this.#wasm.step(ADVANCE);
      return;
    }
    this.#advanceCells(x, 'RTRL1997.advance');
    this.#feedBack();
  }

  /** Copies x(t) into the kernel's memory. */
  #copyIn(x: ArrayLike<number>, op: string): void {
    if (x.length !== this.#I) throw new ValueError(`input has ${x.length} values, expected ${this.#I}`, op);
    this.#x.set(x);
  }

  /** Reads x(t) and runs the gates and cells (with their traces) of the step. */
  #advanceCells(x: ArrayLike<number>, op: string): void {
    if (x.length !== this.#I) throw new ValueError(`input has ${x.length} values, expected ${this.#I}`, op);
    this.#readInput(x);
    this.#netInputs();
    this.#gates();
    this.#cells();
  }

  /** Lists x's nonzero entries (index, value), in ascending index. */
  #readInput(x: ArrayLike<number>): void {
    const I = this.#I;
    const idx = this.#inIdx;
    const val = this.#inVal;
    let n = 0;
    for (let i = 0; i < I; i += 4) {
      // one-hot inputs are mostly runs of zeros: one branch skips four of them
      if (i + 4 <= I && x[i] === 0 && x[i + 1] === 0 && x[i + 2] === 0 && x[i + 3] === 0) continue;
      for (let j = i, end = Math.min(i + 4, I); j < end; j++) {
        const v = x[j]!;
        if (v !== 0) {
          idx[n] = j;
          val[n++] = v;
        }
      }
    }
    this.#nIn = n;
  }

  /** The net inputs w·u + bias of every input gate, output gate and cell, into #netIn in that order. */
  #netInputs(): void {
    const { weight_in_gate: win, bias_in_gate: bIn, weight_out_gate: wout, bias_out_gate: bOut, weight_cell: wc, bias_cell: bc } = this.#w;
    const C = this.#C;
    this.#matVecU(win!, bIn, C, 0);
    if (wout) this.#matVecU(wout, bOut, C, C);
    this.#matVecU(wc!, bc, C * this.#S, wout ? 2 * C : C);
  }

  /**
   * netIn[at + i] = w[i, :]·u + bias[i] for the n rows of w (rows of M − 1: no column for the bias
   * input, the biases live apart). Two rows per pass over u: two independent sums let the adds
   * overlap, and each keeps its order — ascending m, the order of a dense loop (the inputs
   * skipped are exact zeros, which change no sum).
   */
  #matVecU(w: Float64Array, bias: Float64Array | null, n: number, at: number): void {
    const net = this.#netIn;
    const idx = this.#inIdx;
    const val = this.#inVal;
    const u = this.#u;
    const nIn = this.#nIn;
    const Mw = this.#M - 1;
    for (let i = 0; i < n; i += 2) {
      const j = Math.min(i + 1, n - 1); // an odd row out is paired with itself
      const [ra, rb] = [i * Mw, j * Mw];
      let sa = bias ? bias[i]! : 0;
      let sb = bias ? bias[j]! : 0;
      for (let q = 0; q < nIn; q++) {
        const m = idx[q]!;
        sa += w[ra + m]! * val[q]!;
        sb += w[rb + m]! * val[q]!;
      }
      for (let m = this.#I; m < Mw; m++) {
        sa += w[ra + m]! * u[m]!;
        sb += w[rb + m]! * u[m]!;
      }
      net[at + i] = sa;
      net[at + j] = sb;
    }
  }

  /** y_in, y_out of every block. */
  #gates(): void {
    const C = this.#C;
    const net = this.#netIn;
    const yOut = this.#yOut;
    for (let j = 0; j < C; j++) this.#yIn[j] = sig(net[j]!);
    if (this.#outGate) for (let j = 0; j < C; j++) yOut[j] = sig(net[C + j]!);
    else yOut.fill(1); // no output gate: y^c = h(s)
  }

  /** Cell states and their outputs y^c, and the RTRL traces' step (eqs. above). */
  #cells(): void {
    const S = this.#S;
    const M = this.#M;
    const [g, h] = [this.#g, this.#h];
    const [st, net, dg, hs, dhs, yc] = [this.#s, this.#netIn, this.#dg, this.#hs, this.#dhs, this.#yc];
    const net0 = this.#outGate ? 2 * this.#C : this.#C; // the cells' rows follow the gates'
    for (let j = 0, v = 0; j < this.#C; j++) {
      const yin = this.#yIn[j]!;
      const yout = this.#yOut[j]!;
      const dIn = yin * (1 - yin);
      for (let q = 0; q < S; q++, v++) {
        const gz = squash(g, net[net0 + v]!, dg, v);
        st[v]! += yin * gz;
        this.#addToTraces(v * M, dg[v]! * yin, gz * dIn);
        hs[v] = squash(h, st[v]!, dhs, v);
        yc[v] = yout * hs[v]!;
      }
    }
  }

  /** Adds a·u(t) to the cell trace row and b·u(t) to the input-gate trace row that start at `row`. */
  #addToTraces(row: number, a: number, b: number): void {
    const tc = this.#traceCell;
    const ti = this.#traceIn;
    const idx = this.#inIdx;
    const val = this.#inVal;
    const u = this.#u;
    for (let q = 0, n = this.#nIn; q < n; q++) {
      const r = row + idx[q]!;
      tc[r]! += a * val[q]!;
      ti[r]! += b * val[q]!;
    }
    const end = this.#M - 1;
    for (let m = this.#I; m < end; m++) {
      tc[row + m]! += a * u[m]!;
      ti[row + m]! += b * u[m]!;
    }
    tc[row + end]! += a; // the bias input, u = 1
    ti[row + end]! += b;
  }

  /** Output units; they see the cells of the same step (and, with connectivity 'B', x(t)). */
  #outputs(): void {
    const K = this.#K;
    const I = this.#I;
    const CS = this.#C * this.#S;
    const { weight_output: wk, bias_output: bk, weight_input_output: wio } = this.#w;
    const yc = this.#yc;
    for (let k = 0; k < K; k++) {
      let n = bk ? bk[k]! : 0;
      for (let v = 0; v < CS; v++) n += wk![k * CS + v]! * yc[v]!;
      if (wio) for (let q = 0; q < this.#nIn; q++) n += wio[k * I + this.#inIdx[q]!]! * this.#inVal[q]!;
      this.#y[k] = squash(this.#out, n, this.#dy, k);
    }
  }

  /** r(t) = [y_c, y_in, y_out] becomes part of u(t + 1) (connectivity 'F'). */
  #feedBack(): void {
    const u = this.#u;
    if (this.#M - 1 === this.#I) return; // connectivity 'B': no recurrent inputs
    const I = this.#I;
    const C = this.#C;
    const CS = C * this.#S;
    for (let v = 0; v < CS; v++) u[I + v] = this.#yc[v]!;
    for (let j = 0; j < C; j++) u[I + CS + j] = this.#yIn[j]!;
    if (this.#outGate) for (let j = 0; j < C; j++) u[I + CS + C + j] = this.#yOut[j]!;
  }

  /**
   * The step's error and its Δ (eqs. above), added as α·Δ to the weights (on-line learning) or
   * to the gradient accumulators. Every Δ uses the weights that produced this step's output:
   * the only weights read here, w_k, change last.
   */
  #learn(target: ArrayLike<number>): void {
    const K = this.#K;
    const C = this.#C;
    const S = this.#S;
    const M = this.#M;
    const CS = C * S;
    const Mw = M - 1;
    const alpha = this.#alpha;
    const ek = this.#ek;
    for (let k = 0; k < K; k++) ek[k] = this.#dy[k]! * (target[k]! - this.#y[k]!);
    const wk = this.#w.weight_output!;
    const D = this.#delta;
    const es = this.#es;
    const traceCell = this.#traceCell;
    const traceIn = this.#traceIn;
    for (let j = 0, v0 = 0; j < C; j++, v0 += S) {
      const yo = this.#yOut[j]!;
      // cells: e_s, and Δw_c = α e_s ∂s/∂w_c
      let back = 0; // Σ_v h(s_v) Σ_k w_kv e_k, the output gate's error before f'
      for (let v = v0; v < v0 + S; v++) {
        let dc = 0;
        for (let k = 0; k < K; k++) dc += wk[k * CS + v]! * ek[k]!;
        back += this.#hs[v]! * dc;
        es[v] = yo * this.#dhs[v]! * dc;
        addScaledRow(D.weight_cell!, v * Mw, alpha, es[v]!, traceCell, v * M, Mw);
        if (D.bias_cell) D.bias_cell[v]! += alpha * (es[v]! * traceCell[v * M + Mw]!);
      }
      // output gate: Δw_out = α e_out u
      if (D.weight_out_gate) {
        const eOut = yo * (1 - yo) * back;
        this.#addScaledU(D.weight_out_gate, j * Mw, alpha, eOut);
        if (D.bias_out_gate) D.bias_out_gate[j]! += alpha * eOut;
      }
      // input gate: Δw_in = α Σ_v e_s ∂s_v/∂w_in, over the block's cells (trace column Mw: the bias)
      const dIn = D.weight_in_gate!;
      for (let m = 0; m < Mw; m++) dIn[j * Mw + m]! += alpha * blockSum(es, traceIn, v0, S, M, m);
      if (D.bias_in_gate) D.bias_in_gate[j]! += alpha * blockSum(es, traceIn, v0, S, M, Mw);
    }
    // output units: Δw_k = α e_k y^c (and α e_k x for the shortcut of connectivity 'B')
    const yc = this.#yc;
    const I = this.#I;
    for (let k = 0; k < K; k++) {
      addScaledRow(D.weight_output!, k * CS, alpha, ek[k]!, yc, 0, CS);
      if (D.bias_output) D.bias_output[k]! += alpha * ek[k]!;
      const dio = D.weight_input_output;
      if (dio) for (let q = 0; q < this.#nIn; q++) dio[k * I + this.#inIdx[q]!]! += alpha * (ek[k]! * this.#inVal[q]!);
    }
  }

  /** d[row + m] += α·(e·u_m) over the nonzero inputs and the recurrent units. */
  #addScaledU(d: Float64Array, row: number, alpha: number, e: number): void {
    const idx = this.#inIdx;
    const val = this.#inVal;
    const u = this.#u;
    for (let q = 0, n = this.#nIn; q < n; q++) d[row + idx[q]!]! += alpha * (e * val[q]!);
    for (let m = this.#I, end = this.#M - 1; m < end; m++) d[row + m]! += alpha * (e * u[m]!);
  }

  /**
   * w += lr·Δ with the Δ accumulated since the last update, then clears it. Steps with targets
   * update the weights themselves when `lr > 0` (per-step on-line learning); with `lr: 0`, call
   * it at the end of a sequence for one update per sequence.
   *
   * @example
   * const net = new LSTM1997({ inputSize: 3, outputSize: 2, blocks: 1, cellsPerBlock: 1 });
   * const rtrl = new RTRL1997(net, { lr: 0 }); // accumulate only
   * rtrl.reset();
   * rtrl.step([1, 0, 0], [0, 1]);
   * rtrl.applyUpdate(0.1); // one update for the whole sequence
   */
  applyUpdate(lr: number): void {
    for (const name of RTRL1997.#names) {
      const w = this.#w[name];
      const d = this.#grad[name];
      if (!w || !d) continue;
      for (let i = 0; i < w.length; i++) w[i]! += lr * d[i]!;
      d.fill(0);
    }
  }
}

/** Σ_v e[v]·trace[v·M + m] over the S cells of a block, v = v0, …, v0 + S − 1, summed from 0 in that order. */
function blockSum(e: Float64Array, trace: Float64Array, v0: number, S: number, M: number, m: number): number {
  let sum = 0;
  for (let v = v0; v < v0 + S; v++) sum += e[v]! * trace[v * M + m]!;
  return sum;
}

/** d[dRow + i] += α·(e·src[sRow + i]) for i < n. (With α = 1 the product is exact: plain accumulation.) */
function addScaledRow(d: Float64Array, dRow: number, alpha: number, e: number, src: Float64Array, sRow: number, n: number): void {
  for (let i = 0; i < n; i++) d[dRow + i]! += alpha * (e * src[sRow + i]!);
}
