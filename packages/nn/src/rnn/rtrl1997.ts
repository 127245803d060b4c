import { noGrad, tensor, ValueError } from '@carousel/autograd';
import { type LSTM1997, resolveSquash, type Squash } from './lstm1997.js';

function sig(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
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

/** Names of the parameters RTRL1997 trains (those of {@link LSTM1997}). */
export type ParamName =
  | 'weight_cell'
  | 'bias_cell'
  | 'weight_in_gate'
  | 'bias_in_gate'
  | 'weight_out_gate'
  | 'bias_out_gate'
  | 'weight_output'
  | 'bias_output'
  | 'weight_input_output';

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
  readonly #M: number; // width of u = [x, r(t−1)] (+1 for the bias input); r only with connectivity 'F'
  readonly #recurrent: boolean;
  readonly #outGate: boolean;
  readonly #g: number; // squash codes (SQUASH_CODE)
  readonly #h: number;
  readonly #out: number;
  readonly #w: Record<ParamName, Float64Array | null>;
  readonly #grad: Record<ParamName, Float64Array | null>;
  // per-sequence state
  readonly #u: Float64Array;
  readonly #s: Float64Array;
  readonly #traceCell: Float64Array; // [C·S, M]: ∂s_v/∂w_{c_v, m}
  readonly #traceIn: Float64Array; // [C·S, M]: ∂s_v/∂w_{in_j(v), m}
  readonly #netC: Float64Array;
  readonly #yIn: Float64Array;
  readonly #yOut: Float64Array;
  readonly #yc: Float64Array;
  readonly #netK: Float64Array;
  readonly #y: Float64Array;
  readonly #ek: Float64Array;
  // per-step scratch: derivatives from the forward pass, the nonzero inputs, the input gates' error
  readonly #dg: Float64Array; // g'(net_c)
  readonly #hs: Float64Array; // h(s), h'(s)
  readonly #dhs: Float64Array;
  readonly #dy: Float64Array; // f'(net_k)
  readonly #nz: Int32Array; // indices m < M − 1 with u[m] ≠ 0 (one-hot inputs leave most zero)
  #nnz = 0; // how many, or −1 when the step reads all inputs
  readonly #eIn: Float64Array;

  constructor(net: LSTM1997, opts: RTRLOptions = {}) {
    const c = net.config;
    if (!c.truncated) throw new ValueError('RTRL1997 computes the truncated gradient; build the LSTM1997 with truncated: true', 'RTRL1997');
    this.lr = opts.lr ?? 0.1;
    if (!(this.lr >= 0)) throw new ValueError(`lr must be ≥ 0, got ${this.lr}`, 'RTRL1997');
    this.#net = net;
    [this.#I, this.#K, this.#C, this.#S] = [c.inputSize, c.outputSize, c.blocks, c.cellsPerBlock];
    const CS = this.#C * this.#S;
    this.#recurrent = c.connectivity === 'F';
    this.#outGate = c.outputGate;
    this.#M = c.inputSize + (this.#recurrent ? net.hiddenUnits : 0) + 1;
    this.#g = SQUASH_CODE[resolveSquash(c.g, 'g')];
    this.#h = SQUASH_CODE[resolveSquash(c.h, 'h')];
    this.#out = c.outputActivation === 'logistic' ? SQUASH_CODE.logistic : SQUASH_CODE.identity;
    this.#w = {} as Record<ParamName, Float64Array | null>;
    this.#grad = {} as Record<ParamName, Float64Array | null>;
    this.load();
    this.#u = new Float64Array(this.#M);
    this.#s = new Float64Array(CS);
    this.#traceCell = new Float64Array(CS * this.#M);
    this.#traceIn = new Float64Array(CS * this.#M);
    this.#netC = new Float64Array(CS);
    this.#yIn = new Float64Array(this.#C);
    this.#yOut = new Float64Array(this.#C);
    this.#yc = new Float64Array(CS);
    this.#netK = new Float64Array(this.#K);
    this.#y = new Float64Array(this.#K);
    this.#ek = new Float64Array(this.#K);
    this.#dg = new Float64Array(CS);
    this.#hs = new Float64Array(CS);
    this.#dhs = new Float64Array(CS);
    this.#dy = new Float64Array(this.#K);
    this.#nz = new Int32Array(this.#M);
    this.#eIn = new Float64Array(this.#C * this.#M);
    this.reset();
  }

  static readonly #names: ParamName[] = [
    'weight_cell',
    'bias_cell',
    'weight_in_gate',
    'bias_in_gate',
    'weight_out_gate',
    'bias_out_gate',
    'weight_output',
    'bias_output',
    'weight_input_output',
  ];

  /** Copies the network's current weights in (call after changing them outside). */
  load(): void {
    for (const name of RTRL1997.#names) {
      const p = this.#net[name];
      this.#w[name] = p ? Float64Array.from(p.dataSync()) : null;
      this.#grad[name] = p ? new Float64Array(p.size) : null;
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

  /** Starts a new sequence: activations, cell states and ∂s/∂w traces back to zero. */
  reset(): void {
    this.#u.fill(0);
    this.#u[this.#M - 1] = 1;
    this.#s.fill(0);
    this.#traceCell.fill(0);
    this.#traceIn.fill(0);
  }

  /**
   * One time step: reads `x`, updates the cells, returns the output units' activations (a view,
   * valid until the next step). With a `target`, computes the step's error, accumulates its
   * gradient and (lr > 0) updates the weights at once.
   */
  step(x: ArrayLike<number>, target?: ArrayLike<number> | null): Float64Array {
    const I = this.#I;
    const K = this.#K;
    const C = this.#C;
    const S = this.#S;
    const M = this.#M;
    const u = this.#u;
    if (x.length !== I) throw new ValueError(`input has ${x.length} values, expected ${I}`, 'RTRL1997.step');
    const Mw = M - 1; // weight rows have no column for the bias input (u[M − 1] = 1); biases live apart
    // Only the nonzero inputs contribute to a net input or a trace: with one-hot inputs (Exp. 1,
    // 2) that skips most of u (terms of exact zeros change no sum, so the result is the same).
    // When most inputs are nonzero, the loops run over all of them instead: the index list would
    // cost more than it saves (`sparse` picks, per step).
    const nz = this.#nz;
    let nnz = 0;
    for (let i = 0; i < I; i++) {
      const v = x[i]!;
      u[i] = v;
      if (v !== 0) nz[nnz++] = i;
    }
    for (let m = I; m < Mw; m++) if (u[m] !== 0) nz[nnz++] = m;
    const sparse = 2 * nnz < Mw;
    this.#nnz = sparse ? nnz : -1;
    const w = this.#w;
    const wc = w.weight_cell!;
    const win = w.weight_in_gate!;
    const wout = w.weight_out_gate;
    const bIn = w.bias_in_gate;
    const bOut = w.bias_out_gate;
    const bCell = w.bias_cell;
    const yIn = this.#yIn;
    const yOut = this.#yOut;
    // gates: y_in, y_out (per block)
    for (let j = 0; j < C; j++) {
      let ni = bIn ? bIn[j]! : 0;
      let no = bOut ? bOut[j]! : 0;
      const row = j * Mw;
      if (!sparse) {
        for (let m = 0; m < Mw; m++) ni += win[row + m]! * u[m]!;
        if (wout) for (let m = 0; m < Mw; m++) no += wout[row + m]! * u[m]!;
      } else {
        for (let q = 0; q < nnz; q++) {
          const m = nz[q]!;
          ni += win[row + m]! * u[m]!;
        }
        if (wout)
          for (let q = 0; q < nnz; q++) {
            const m = nz[q]!;
            no += wout[row + m]! * u[m]!;
          }
      }
      yIn[j] = sig(ni);
      yOut[j] = wout ? sig(no) : 1; // no output gate: y^c = h(s)
    }
    // cells: state update and the RTRL traces (which read u(t), so before u is overwritten)
    const st = this.#s;
    const traceCell = this.#traceCell;
    const traceIn = this.#traceIn;
    const netC = this.#netC;
    const yc = this.#yc;
    const dg = this.#dg;
    const hs = this.#hs;
    for (let j = 0, v = 0; j < C; j++) {
      const yin = yIn[j]!;
      const dIn = yin * (1 - yin);
      for (let q = 0; q < S; q++, v++) {
        let nc = bCell ? bCell[v]! : 0;
        const wrow = v * Mw;
        if (!sparse) for (let m = 0; m < Mw; m++) nc += wc[wrow + m]! * u[m]!;
        else
          for (let p = 0; p < nnz; p++) {
            const m = nz[p]!;
            nc += wc[wrow + m]! * u[m]!;
          }
        netC[v] = nc;
        const gz = squash(this.#g, nc, dg, v);
        st[v]! += yin * gz;
        const a = dg[v]! * yin;
        const b = gz * dIn;
        const row = v * M;
        if (!sparse)
          for (let m = 0; m < Mw; m++) {
            traceCell[row + m]! += a * u[m]!;
            traceIn[row + m]! += b * u[m]!;
          }
        else
          for (let p = 0; p < nnz; p++) {
            const m = nz[p]!;
            traceCell[row + m]! += a * u[m]!;
            traceIn[row + m]! += b * u[m]!;
          }
        traceCell[row + Mw]! += a; // the bias input, u = 1
        traceIn[row + Mw]! += b;
        hs[v] = squash(this.#h, st[v]!, this.#dhs, v);
        yc[v] = yOut[j]! * hs[v]!;
      }
    }
    // output units see the cells of the same step
    const wk = w.weight_output!;
    const bk = w.bias_output;
    const wio = w.weight_input_output; // connectivity 'B': outputs also see x(t) = u[0, I)
    const CS = C * S;
    for (let k = 0; k < K; k++) {
      let n = bk ? bk[k]! : 0;
      for (let v = 0; v < CS; v++) n += wk[k * CS + v]! * yc[v]!;
      if (wio) for (let i = 0; i < I; i++) n += wio[k * I + i]! * u[i]!;
      this.#netK[k] = n;
      this.#y[k] = squash(this.#out, n, this.#dy, k);
    }
    if (target) this.#learn(target);
    // r(t) = [y_c, y_in, y_out] becomes part of u(t+1) (loops: a few values, cheaper than set())
    if (this.#recurrent) {
      for (let v = 0; v < CS; v++) u[I + v] = yc[v]!;
      for (let j = 0; j < C; j++) u[I + CS + j] = yIn[j]!;
      if (this.#outGate) for (let j = 0; j < C; j++) u[I + CS + C + j] = yOut[j]!;
    }
    return this.#y;
  }

  #learn(target: ArrayLike<number>): void {
    const K = this.#K;
    const C = this.#C;
    const S = this.#S;
    const M = this.#M;
    const CS = C * S;
    const Mw = M - 1;
    if (target.length !== K) throw new ValueError(`target has ${target.length} values, expected ${K}`, 'RTRL1997.step');
    const ek = this.#ek;
    const y = this.#y;
    const dy = this.#dy;
    for (let k = 0; k < K; k++) ek[k] = dy[k]! * (target[k]! - y[k]!);
    const G = this.#grad;
    const wk = this.#w.weight_output!;
    const u = this.#u;
    const nz = this.#nz;
    const nnz = this.#nnz;
    const traceCell = this.#traceCell;
    const traceIn = this.#traceIn;
    const hs = this.#hs;
    const dhs = this.#dhs;
    const yOut = this.#yOut;
    // Δ for output gates and cells first, with the weights that produced this step's output
    const gradOut = G.weight_out_gate;
    const gradCell = G.weight_cell!;
    const gradIn = G.weight_in_gate!;
    const gBiasCell = G.bias_cell;
    const eIn = this.#eIn;
    eIn.fill(0);
    for (let j = 0, v0 = 0; j < C; j++, v0 += S) {
      let back = 0;
      const eRow = j * M;
      for (let q = 0; q < S; q++) {
        const v = v0 + q;
        let dc = 0;
        for (let k = 0; k < K; k++) dc += wk[k * CS + v]! * ek[k]!;
        back += hs[v]! * dc;
        const es = yOut[j]! * dhs[v]! * dc;
        const gRow = v * Mw;
        const tRow = v * M;
        for (let m = 0; m < Mw; m++) gradCell[gRow + m]! += es * traceCell[tRow + m]!;
        if (gBiasCell) gBiasCell[v]! += es * traceCell[tRow + Mw]!;
        for (let m = 0; m < M; m++) eIn[eRow + m]! += es * traceIn[tRow + m]!;
      }
      if (gradOut) {
        const yo = yOut[j]!;
        const eOut = yo * (1 - yo) * back;
        const row = j * Mw;
        if (nnz < 0) for (let m = 0; m < Mw; m++) gradOut[row + m]! += eOut * u[m]!;
        else
          for (let p = 0; p < nnz; p++) {
            const m = nz[p]!;
            gradOut[row + m]! += eOut * u[m]!;
          }
        if (G.bias_out_gate) G.bias_out_gate[j]! += eOut;
      }
      for (let m = 0; m < Mw; m++) gradIn[j * Mw + m]! += eIn[eRow + m]!;
      if (G.bias_in_gate) G.bias_in_gate[j]! += eIn[eRow + Mw]!;
    }
    const gk = G.weight_output!;
    const yc = this.#yc;
    for (let k = 0; k < K; k++) {
      for (let v = 0; v < CS; v++) gk[k * CS + v]! += ek[k]! * yc[v]!;
      if (G.bias_output) G.bias_output[k]! += ek[k]!;
    }
    const gio = G.weight_input_output;
    if (gio) {
      const I = this.#I;
      for (let k = 0; k < K; k++) for (let i = 0; i < I; i++) gio[k * I + i]! += ek[k]! * u[i]!;
    }
    if (this.lr > 0) this.applyUpdate(this.lr);
  }

  /**
   * w += lr·Δ with the Δ accumulated since the last update, then clears it. Steps with targets
   * call it themselves when `lr > 0` (per-step on-line learning); with `lr: 0`, call it at the end
   * of a sequence for one update per sequence.
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
