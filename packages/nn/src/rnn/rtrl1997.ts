import { noGrad, tensor, ValueError } from '@carousel/autograd';
import type { LSTM1997, Squash } from './lstm1997.js';

/** A squash and its derivative, on plain numbers (the RTRL loops run on Float64Arrays). */
interface Scalar {
  f: (x: number) => number;
  df: (x: number) => number;
}
const sig = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const scalar: Record<Squash | 'paper_g' | 'paper_h', Scalar> = {
  paper_g: { f: (x) => 4 * sig(x) - 2, df: (x) => 4 * sig(x) * (1 - sig(x)) },
  paper_h: { f: (x) => 2 * sig(x) - 1, df: (x) => 2 * sig(x) * (1 - sig(x)) },
  paper: { f: sig, df: (x) => sig(x) * (1 - sig(x)) }, // unused: 'paper' resolves per g/h
  logistic: { f: sig, df: (x) => sig(x) * (1 - sig(x)) },
  tanh: { f: Math.tanh, df: (x) => 1 - Math.tanh(x) ** 2 },
  identity: { f: (x) => x, df: () => 1 },
};

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
  readonly #g: Scalar;
  readonly #h: Scalar;
  readonly #out: Scalar;
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
    this.#g = c.g === 'paper' ? scalar.paper_g : scalar[c.g];
    this.#h = c.h === 'paper' ? scalar.paper_h : scalar[c.h];
    this.#out = c.outputActivation === 'logistic' ? scalar.logistic : scalar.identity;
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
    for (let i = 0; i < I; i++) u[i] = x[i]!;
    const w = this.#w;
    const wc = w.weight_cell!;
    const win = w.weight_in_gate!;
    const wout = w.weight_out_gate;
    const Mw = M - 1; // weight rows have no column for the bias input; biases live apart
    // gates: y_in, y_out (per block)
    for (let j = 0; j < C; j++) {
      let ni = w.bias_in_gate ? w.bias_in_gate[j]! : 0;
      let no = w.bias_out_gate ? w.bias_out_gate[j]! : 0;
      for (let m = 0; m < Mw; m++) ni += win[j * Mw + m]! * u[m]!;
      if (wout) for (let m = 0; m < Mw; m++) no += wout[j * Mw + m]! * u[m]!;
      this.#yIn[j] = sig(ni);
      this.#yOut[j] = wout ? sig(no) : 1; // no output gate: y^c = h(s)
    }
    // cells: state update and the RTRL traces (which read u(t), so before u is overwritten)
    const g = this.#g;
    const h = this.#h;
    for (let j = 0, v = 0; j < C; j++) {
      const yin = this.#yIn[j]!;
      const dIn = yin * (1 - yin);
      for (let q = 0; q < S; q++, v++) {
        let nc = w.bias_cell ? w.bias_cell[v]! : 0;
        for (let m = 0; m < Mw; m++) nc += wc[v * Mw + m]! * u[m]!;
        this.#netC[v] = nc;
        const gz = g.f(nc);
        this.#s[v]! += yin * gz;
        const a = g.df(nc) * yin;
        const b = gz * dIn;
        const row = v * M;
        for (let m = 0; m < M; m++) {
          this.#traceCell[row + m]! += a * u[m]!;
          this.#traceIn[row + m]! += b * u[m]!;
        }
        this.#yc[v] = this.#yOut[j]! * h.f(this.#s[v]!);
      }
    }
    // output units see the cells of the same step
    const wk = w.weight_output!;
    const wio = w.weight_input_output; // connectivity 'B': outputs also see x(t) = u[0, I)
    const CS = C * S;
    for (let k = 0; k < K; k++) {
      let n = w.bias_output ? w.bias_output[k]! : 0;
      for (let v = 0; v < CS; v++) n += wk[k * CS + v]! * this.#yc[v]!;
      if (wio) for (let i = 0; i < I; i++) n += wio[k * I + i]! * u[i]!;
      this.#netK[k] = n;
      this.#y[k] = this.#out.f(n);
    }
    if (target) this.#learn(target);
    // r(t) = [y_c, y_in, y_out] becomes part of u(t+1)
    if (this.#recurrent) {
      u.set(this.#yc, I);
      u.set(this.#yIn, I + CS);
      if (this.#outGate) u.set(this.#yOut, I + CS + C);
    }
    return this.#y;
  }

  #learn(target: ArrayLike<number>): void {
    const [K, C, S, M] = [this.#K, this.#C, this.#S, this.#M];
    const CS = C * S;
    const Mw = M - 1;
    if (target.length !== K) throw new ValueError(`target has ${target.length} values, expected ${K}`, 'RTRL1997.step');
    const ek = this.#ek;
    for (let k = 0; k < K; k++) ek[k] = this.#out.df(this.#netK[k]!) * (target[k]! - this.#y[k]!);
    const G = this.#grad;
    const wk = this.#w.weight_output!;
    const u = this.#u;
    // Δ for output gates and cells first, with the weights that produced this step's output
    const gradOut = G.weight_out_gate;
    const gradCell = G.weight_cell!;
    const gradIn = G.weight_in_gate!;
    const eIn = new Float64Array(C * M);
    for (let j = 0, v0 = 0; j < C; j++, v0 += S) {
      let back = 0;
      for (let q = 0; q < S; q++) {
        const v = v0 + q;
        let dc = 0;
        for (let k = 0; k < K; k++) dc += wk[k * CS + v]! * ek[k]!;
        const s = this.#s[v]!;
        back += this.#h.f(s) * dc;
        const es = this.#yOut[j]! * this.#h.df(s) * dc;
        for (let m = 0; m < Mw; m++) gradCell[v * Mw + m]! += es * this.#traceCell[v * M + m]!;
        if (G.bias_cell) G.bias_cell[v]! += es * this.#traceCell[v * M + Mw]!;
        for (let m = 0; m < M; m++) eIn[j * M + m]! += es * this.#traceIn[v * M + m]!;
      }
      if (gradOut) {
        const yo = this.#yOut[j]!;
        const eOut = yo * (1 - yo) * back;
        for (let m = 0; m < Mw; m++) gradOut[j * Mw + m]! += eOut * u[m]!;
        if (G.bias_out_gate) G.bias_out_gate[j]! += eOut;
      }
      for (let m = 0; m < Mw; m++) gradIn[j * Mw + m]! += eIn[j * M + m]!;
      if (G.bias_in_gate) G.bias_in_gate[j]! += eIn[j * M + Mw]!;
    }
    const gk = G.weight_output!;
    for (let k = 0; k < K; k++) {
      for (let v = 0; v < CS; v++) gk[k * CS + v]! += ek[k]! * this.#yc[v]!;
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
