import { concat, formatShape as fmt, noGrad, ShapeError, type Tensor, tensor, ValueError, zeros } from '@carousel/autograd';
import { init, Module, parameter } from '@carousel/nn';

// The network of Gers, Schmidhuber & Cummins (2000) for the continual embedded Reber grammar,
// and its learning algorithm. It is not the 1997 `LSTM1997`: the cells and gates see the inputs
// and the cell outputs of t−1 but not the gate activations, the output units also see the
// inputs (shortcuts), and the outputs are biased. 4 blocks × 2 cells, 7 inputs and 7 outputs:
// 8·(7+8) + 12·(7+8+1) + 7·(7+8+1) = 424 weights with forget gates, 360 without.

/** How the cell state carries over from one step to the next. */
export type CergForget = 'gate' | number;

/** Options of {@link CergNet}. */
export interface CergNetOptions {
  inputSize: number;
  outputSize: number;
  /** Memory blocks C (default 4). */
  blocks?: number;
  /** Cells per block S, sharing the block's gates (default 2). */
  cellsPerBlock?: number;
  /**
   * `'gate'` (default): one learned forget gate per block, s(t) = φ·s(t−1) + y^in·g (G00);
   * a number: a fixed factor instead (1 is the 1997 CEC, "standard LSTM"; 0.9 is G00's "state decay").
   */
  forget?: CergForget;
  /** Weights and output biases start in U(±initRange) (default 0.2). */
  initRange?: number;
  /** Input-gate biases per block (default −0.5, −1, −1.5, …: G00's CERG values). */
  inputGateBias?: readonly number[];
  /** Output-gate biases per block (default −0.5, −1, −1.5, …). */
  outputGateBias?: readonly number[];
  /** Forget-gate biases per block (default +0.5, +1, +1.5, …). */
  forgetGateBias?: readonly number[];
  dtype?: 'float32' | 'float64';
}

/** What carries from one step to the next: the cell states and the cell outputs. */
export interface CergState {
  /** Cell states, `[B, C·S]`. */
  s: Tensor;
  /** Cell outputs of the last step, `[B, C·S]`. */
  yc: Tensor;
}

/** The blockwise bias of G00: `sign`·0.5, ·1, ·1.5, … for blocks 1, 2, 3, … */
const blockwise = (C: number, sign: number) => Array.from({ length: C }, (_, j) => (sign * (j + 1)) / 2);

const paperG = (x: Tensor) => x.sigmoid().mul(4).sub(2); // g ∈ [−2, 2]
const paperH = (x: Tensor) => x.sigmoid().mul(2).sub(1); // h ∈ [−1, 1]

/**
 * G00's LSTM with forget gates (or, with a fixed `forget` factor, the same net without them).
 * C blocks of S cells share an input gate, a forget gate and an output gate; with
 * u(t) = [x(t), y^c(t−1)] (the recurrent part detached: the truncated gradient of 1997/2000),
 *
 * ```
 * y^in_j = σ(W_in_j·u + b)   φ_j = σ(W_φ_j·u + b)   y^out_j = σ(W_out_j·u + b)
 * s_jv(t) = φ_j·s_jv(t−1) + y^in_j·g(W_c_jv·u)           g ∈ [−2, 2]
 * y^c_jv  = y^out_j·h(s_jv(t))                          h ∈ [−1, 1]
 * y^k     = σ(W_k·[x(t), y^c(t)] + b_k)
 * ```
 *
 * Train it per step with {@link CergRTRL}; `forward` is the same computation on tensors (its
 * autograd gradient is what the RTRL accumulates).
 *
 * @example
 * const net = new CergNet({ inputSize: 7, outputSize: 7 });
 * net.numParameters(); // 424
 * new CergNet({ inputSize: 7, outputSize: 7, forget: 1 }).numParameters(); // 360
 */
export class CergNet extends Module {
  weight_cell: Tensor;
  weight_in_gate: Tensor;
  bias_in_gate: Tensor;
  weight_forget_gate: Tensor | null;
  bias_forget_gate: Tensor | null;
  weight_out_gate: Tensor;
  bias_out_gate: Tensor;
  /** `[K, I + C·S]`: the input shortcuts, then the cells. */
  weight_output: Tensor;
  bias_output: Tensor;
  readonly config: Readonly<Required<Omit<CergNetOptions, 'inputGateBias' | 'outputGateBias' | 'forgetGateBias'>>>;

  constructor(opts: CergNetOptions) {
    super();
    const { inputSize: I, outputSize: K } = opts;
    const C = opts.blocks ?? 4;
    const S = opts.cellsPerBlock ?? 2;
    for (const [name, v] of Object.entries({ inputSize: I, outputSize: K, blocks: C, cellsPerBlock: S }))
      if (!Number.isSafeInteger(v) || v < 1) throw new ValueError(`${name} must be a positive integer, got ${v}`, 'CergNet');
    const forget = opts.forget ?? 'gate';
    if (forget !== 'gate' && !(typeof forget === 'number' && forget >= 0 && forget <= 1))
      throw new ValueError(`forget must be 'gate' or a factor in [0, 1], got ${JSON.stringify(forget)}`, 'CergNet');
    const initRange = opts.initRange ?? 0.2;
    if (!(initRange >= 0)) throw new ValueError(`initRange must be ≥ 0, got ${initRange}`, 'CergNet');
    const dtype = opts.dtype ?? 'float64';
    this.config = { inputSize: I, outputSize: K, blocks: C, cellsPerBlock: S, forget, initRange, dtype };
    const fan = I + C * S;
    const p = (shape: number[]) => init.uniform(initRange)(parameter(zeros(shape, { dtype })));
    const bias = (values: readonly number[] | undefined, fallback: number[], name: string) => {
      const v = values ?? fallback;
      if (v.length !== C || v.some((b) => !Number.isFinite(b)))
        throw new ValueError(`${name} needs ${C} finite values (one per block), got ${JSON.stringify(values)}`, 'CergNet');
      return parameter(tensor([...v], { dtype }));
    };
    this.weight_cell = p([C * S, fan]);
    this.weight_in_gate = p([C, fan]);
    this.bias_in_gate = bias(opts.inputGateBias, blockwise(C, -1), 'inputGateBias');
    this.weight_forget_gate = forget === 'gate' ? p([C, fan]) : null;
    this.bias_forget_gate = forget === 'gate' ? bias(opts.forgetGateBias, blockwise(C, 1), 'forgetGateBias') : null;
    this.weight_out_gate = p([C, fan]);
    this.bias_out_gate = bias(opts.outputGateBias, blockwise(C, -1), 'outputGateBias');
    this.weight_output = p([K, fan]);
    this.bias_output = p([K]);
  }

  /** A zero state for `batch` streams (a stream starts from rest). */
  initialState(batch: number): CergState {
    const { blocks: C, cellsPerBlock: S, dtype } = this.config;
    return { s: zeros([batch, C * S], { dtype }), yc: zeros([batch, C * S], { dtype }) };
  }

  /**
   * Runs `[T, B, I]` (or unbatched `[T, I]`) from `state` (zeros by default). The gradient is
   * truncated as in the paper: nothing flows back through y^c(t−1), only through the cell states.
   *
   * @throws ShapeError for an input or state of the wrong shape; ValueError for the wrong dtype.
   */
  forward(x: Tensor, state?: CergState): { output: Tensor; state: CergState } {
    const op = 'CergNet.forward';
    const { inputSize: I, blocks: C, cellsPerBlock: S, forget, dtype } = this.config;
    const CS = C * S;
    if ((x.rank !== 3 && x.rank !== 2) || x.shape[x.rank - 1] !== I)
      throw new ShapeError(`input must be [T, B, ${I}] or [T, ${I}], got ${fmt(x.shape)}`, op);
    if (x.dtype !== dtype) throw new ValueError(`input is ${x.dtype}, the parameters are ${dtype}`, op);
    const seq = x.rank === 2 ? x.unsqueeze(1) : x;
    const B = seq.shape[1]!;
    let { s, yc } = state ?? this.initialState(B);
    if (s.shape.join() !== `${B},${CS}` || yc.shape.join() !== `${B},${CS}`)
      throw new ShapeError(`state must be { s: [${B}, ${CS}], yc: [${B}, ${CS}] }, got s ${fmt(s.shape)}, yc ${fmt(yc.shape)}`, op);
    const gated = this.weight_forget_gate !== null;
    // one matmul for all units: rows [cells | input gates | forget gates | output gates]
    const w = concat([
      this.weight_cell,
      this.weight_in_gate,
      ...(gated ? [this.weight_forget_gate!] : []),
      this.weight_out_gate,
    ]).transpose();
    const b = concat([zeros([CS], { dtype }), this.bias_in_gate, ...(gated ? [this.bias_forget_gate!] : []), this.bias_out_gate]);
    const wk = this.weight_output.transpose();
    const block = (t: Tensor) => t.reshape([B, C, 1]);
    const outputs: Tensor[] = [];
    for (const xt of seq.split(1, 0).map((t) => t.reshape([B, I]))) {
      const net = concat([xt, yc.detach()], 1).matmul(w).add(b);
      const parts = net.split(gated ? [CS, C, C, C] : [CS, C, C], 1);
      const netC = parts[0]!;
      const yIn = parts[1]!.sigmoid();
      const yOut = parts.at(-1)!.sigmoid();
      const kept = gated ? block(parts[2]!.sigmoid()).mul(s.reshape([B, C, S])) : s.reshape([B, C, S]).mul(forget as number);
      s = kept.add(block(yIn).mul(paperG(netC).reshape([B, C, S]))).reshape([B, CS]);
      yc = block(yOut)
        .mul(paperH(s).reshape([B, C, S]))
        .reshape([B, CS]);
      outputs.push(concat([xt, yc], 1).matmul(wk).add(this.bias_output).sigmoid().unsqueeze(0));
    }
    const output = concat(outputs);
    return { output: x.rank === 2 ? output.squeeze(1) : output, state: { s, yc } };
  }
}

const sig = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** The parameters {@link CergRTRL} trains, in {@link CergNet}'s field order. */
const NAMES = [
  'weight_cell',
  'weight_in_gate',
  'bias_in_gate',
  'weight_forget_gate',
  'bias_forget_gate',
  'weight_out_gate',
  'bias_out_gate',
  'weight_output',
  'bias_output',
] as const;
/** A parameter name of {@link CergNet}. */
export type CergParamName = (typeof NAMES)[number];

/**
 * G00's learning algorithm for {@link CergNet}: the 1997 truncated RTRL extended to forget gates
 * (G00 §3). Each step carries forward ∂s/∂w for every cell's own weights and its block's input-
 * and forget-gate weights — the traces decay with the forget gate —
 *
 * ```
 * ∂s/∂w_c(t) = φ·∂s/∂w_c(t−1) + g'(net_c)·y^in·u     ∂s/∂w_in(t) = φ·∂s/∂w_in(t−1) + g(net_c)·f'(net_in)·u
 * ∂s/∂w_φ(t) = φ·∂s/∂w_φ(t−1) + s(t−1)·f'(net_φ)·u
 * ```
 *
 * and, when the step has a target, updates every weight at once by Δw = α·e·∂y/∂w (on-line
 * learning at every symbol). O(W) per step, no history. With `lr: 0` it accumulates the
 * truncated gradient instead, which equals autograd's through {@link CergNet.forward}
 * (`gradients()`; tested).
 *
 * @example
 * const net = new CergNet({ inputSize: 7, outputSize: 7 });
 * const rtrl = new CergRTRL(net, { lr: 0.5 });
 * rtrl.reset();
 * const y = rtrl.step(Float64Array.of(1, 0, 0, 0, 0, 0, 0), Float64Array.of(0, 1, 1, 0, 0, 0, 0));
 * rtrl.sync(); // write the trained weights back into `net`
 */
export class CergRTRL {
  /** Default learning rate of {@link CergRTRL.step}. */
  readonly lr: number;
  readonly #net: CergNet;
  readonly #I: number;
  readonly #K: number;
  readonly #C: number;
  readonly #S: number;
  /** Width of u = [x, y^c(t−1), 1]; weight rows of gates have M − 1 columns plus a bias. */
  readonly #M: number;
  readonly #fixedForget: number | null;
  readonly #w: Record<CergParamName, Float64Array | null>;
  readonly #d: Record<CergParamName, Float64Array | null>;
  readonly #u: Float64Array;
  readonly #z: Float64Array; // [x(t), y^c(t)]: what the output units see
  readonly #s: Float64Array;
  readonly #trCell: Float64Array; // [C·S, M−1]
  readonly #trIn: Float64Array; // [C·S, M]
  readonly #trForget: Float64Array; // [C·S, M]
  readonly #yIn: Float64Array;
  readonly #phi: Float64Array;
  readonly #yOut: Float64Array;
  readonly #y: Float64Array;
  readonly #ek: Float64Array;
  readonly #eIn: Float64Array;
  readonly #eForget: Float64Array;

  constructor(net: CergNet, opts: { lr?: number } = {}) {
    this.lr = opts.lr ?? 0.5;
    if (!(this.lr >= 0)) throw new ValueError(`lr must be ≥ 0, got ${this.lr}`, 'CergRTRL');
    const c = net.config;
    this.#net = net;
    [this.#I, this.#K, this.#C, this.#S] = [c.inputSize, c.outputSize, c.blocks, c.cellsPerBlock];
    const CS = this.#C * this.#S;
    this.#M = this.#I + CS + 1;
    this.#fixedForget = c.forget === 'gate' ? null : c.forget;
    this.#w = {} as Record<CergParamName, Float64Array | null>;
    this.#d = {} as Record<CergParamName, Float64Array | null>;
    this.load();
    this.#u = new Float64Array(this.#M);
    this.#z = new Float64Array(this.#M - 1);
    this.#s = new Float64Array(CS);
    this.#trCell = new Float64Array(CS * (this.#M - 1));
    this.#trIn = new Float64Array(CS * this.#M);
    this.#trForget = new Float64Array(CS * this.#M);
    this.#yIn = new Float64Array(this.#C);
    this.#phi = new Float64Array(this.#C);
    this.#yOut = new Float64Array(this.#C);
    this.#y = new Float64Array(this.#K);
    this.#ek = new Float64Array(this.#K);
    this.#eIn = new Float64Array(this.#C * this.#M);
    this.#eForget = new Float64Array(this.#C * this.#M);
    this.reset();
  }

  /** Number of trained weights (424 for G00's net with forget gates). */
  get numWeights(): number {
    return NAMES.reduce((n, name) => n + (this.#w[name]?.length ?? 0), 0);
  }

  /** Copies the network's current weights in (after changing them outside). */
  load(): void {
    for (const name of NAMES) {
      const p = this.#net[name];
      this.#w[name] = p ? Float64Array.from(p.dataSync()) : null;
      this.#d[name] = p ? new Float64Array(p.size) : null;
    }
  }

  /** Writes the weights trained here back into the network's parameters. */
  sync(): void {
    noGrad(() => {
      for (const name of NAMES) {
        const p = this.#net[name];
        const w = this.#w[name];
        if (p && w) p.assign(tensor(w, { shape: p.shape, dtype: p.dtype }));
      }
    });
  }

  /** ∂L/∂w accumulated by the steps with targets and `lr` 0 (L = ½Σ(t − y)² over those steps). */
  gradients(): Partial<Record<CergParamName, Float64Array>> {
    const out: Partial<Record<CergParamName, Float64Array>> = {};
    for (const name of NAMES) {
      const d = this.#d[name];
      if (d) out[name] = d.map((v) => -v); // accumulated as the update direction −∂L/∂w
    }
    return out;
  }

  /** Starts a stream from rest: cell states, cell outputs and traces to zero. */
  reset(): void {
    this.#u.fill(0);
    this.#u[this.#M - 1] = 1;
    this.#s.fill(0);
    this.#trCell.fill(0);
    this.#trIn.fill(0);
    this.#trForget.fill(0);
  }

  /**
   * One learning step: reads `x`, carries the traces and returns the output units (a view,
   * valid until the next step). With a `target` it updates the weights at once by −lr·∂E(t)/∂w,
   * or, with `lr` 0, accumulates ∂E(t)/∂w for {@link CergRTRL.gradients}.
   *
   * @throws ValueError when `x` or `target` has the wrong length.
   */
  step(x: ArrayLike<number>, target?: ArrayLike<number> | null, lr: number = this.lr): Float64Array {
    if (target && target.length !== this.#K)
      throw new ValueError(`target has ${target.length} values, expected ${this.#K}`, 'CergRTRL.step');
    this.#forward(x, true, 'CergRTRL.step');
    if (target) this.#learn(target, lr);
    return this.#finish();
  }

  /**
   * The outputs for `x` with frozen weights and no traces (cheaper: testing). Learning after
   * it needs a {@link CergRTRL.reset}, since the traces did not follow.
   *
   * @throws ValueError when `x` has the wrong length.
   */
  predict(x: ArrayLike<number>): Float64Array {
    this.#forward(x, false, 'CergRTRL.predict');
    return this.#finish();
  }

  /** y^c(t) becomes part of u(t+1); returns the outputs. */
  #finish(): Float64Array {
    this.#u.set(this.#z.subarray(this.#I), this.#I);
    return this.#y;
  }

  #forward(x: ArrayLike<number>, learn: boolean, op: string): void {
    // plain locals and loops: this runs for every symbol of every stream
    const I = this.#I;
    const K = this.#K;
    const C = this.#C;
    const S = this.#S;
    const M = this.#M;
    const Mw = M - 1;
    if (x.length !== I) throw new ValueError(`input has ${x.length} values, expected ${I}`, op);
    const u = this.#u;
    const z = this.#z;
    for (let i = 0; i < I; i++) z[i] = u[i] = x[i]!;
    const w = this.#w;
    const wIn = w.weight_in_gate!;
    const bIn = w.bias_in_gate!;
    const wF = w.weight_forget_gate;
    const bF = w.bias_forget_gate;
    const wOut = w.weight_out_gate!;
    const bOut = w.bias_out_gate!;
    const yIn = this.#yIn;
    const phi = this.#phi;
    const yOut = this.#yOut;
    const st = this.#s;
    const fixed = this.#fixedForget;
    for (let j = 0, r = 0; j < C; j++, r += Mw) {
      let ni = bIn[j]!;
      let nf = wF ? bF![j]! : 0;
      let no = bOut[j]!;
      for (let m = 0; m < Mw; m++) {
        const um = u[m]!;
        ni += wIn[r + m]! * um;
        if (wF) nf += wF[r + m]! * um;
        no += wOut[r + m]! * um;
      }
      yIn[j] = sig(ni);
      phi[j] = fixed ?? sig(nf);
      yOut[j] = sig(no);
    }
    const wc = w.weight_cell!;
    const tc = this.#trCell;
    const ti = this.#trIn;
    const tf = this.#trForget;
    for (let j = 0, v = 0; j < C; j++) {
      const yin = yIn[j]!;
      const f = phi[j]!;
      for (let q = 0; q < S; q++, v++) {
        const rc = v * Mw;
        let nc = 0;
        for (let m = 0; m < Mw; m++) nc += wc[rc + m]! * u[m]!;
        const e = sig(nc);
        const gz = 4 * e - 2;
        const sPrev = st[v]!;
        const sv = f * sPrev + yin * gz;
        st[v] = sv;
        if (learn) {
          const a = 4 * e * (1 - e) * yin; // g'(net_c)·y^in
          const b = gz * yin * (1 - yin); // g(net_c)·f'(net_in)
          const c = fixed === null ? sPrev * f * (1 - f) : 0; // s(t−1)·f'(net_φ)
          const rt = v * M;
          for (let m = 0; m < Mw; m++) tc[rc + m] = f * tc[rc + m]! + a * u[m]!;
          for (let m = 0; m < M; m++) {
            ti[rt + m] = f * ti[rt + m]! + b * u[m]!;
            tf[rt + m] = f * tf[rt + m]! + c * u[m]!;
          }
        }
        z[I + v] = yOut[j]! * (2 * sig(sv) - 1);
      }
    }
    const wk = w.weight_output!;
    const bk = w.bias_output!;
    const y = this.#y;
    for (let k = 0, r = 0; k < K; k++, r += Mw) {
      let n = bk[k]!;
      for (let m = 0; m < Mw; m++) n += wk[r + m]! * z[m]!;
      y[k] = sig(n);
    }
  }

  /**
   * The step's Δw = e·∂y/∂w, from the weights that produced its output: added straight to the
   * weights times `lr` (each weight gets one term per step, so this equals accumulating and
   * then applying), or, with `lr` 0, to the accumulated gradient.
   */
  #learn(target: ArrayLike<number>, lr: number): void {
    const I = this.#I;
    const K = this.#K;
    const C = this.#C;
    const S = this.#S;
    const M = this.#M;
    const Mw = M - 1;
    const ek = this.#ek;
    const eIn = this.#eIn;
    const eForget = this.#eForget;
    const y = this.#y;
    const u = this.#u;
    const z = this.#z;
    const st = this.#s;
    const yOut = this.#yOut;
    const tc = this.#trCell;
    const ti = this.#trIn;
    const tf = this.#trForget;
    for (let k = 0; k < K; k++) ek[k] = y[k]! * (1 - y[k]!) * (target[k]! - y[k]!);
    const wk = this.#w.weight_output!; // read below before it is updated, last
    const into = lr > 0 ? this.#w : this.#d;
    const a = lr > 0 ? lr : 1;
    const gCell = into.weight_cell!;
    const gIn = into.weight_in_gate!;
    const bIn = into.bias_in_gate!;
    const gF = into.weight_forget_gate;
    const bF = into.bias_forget_gate;
    const gOut = into.weight_out_gate!;
    const bOut = into.bias_out_gate!;
    const gK = into.weight_output!;
    const bK = into.bias_output!;
    eIn.fill(0);
    eForget.fill(0);
    for (let j = 0, v = 0; j < C; j++) {
      let back = 0; // Σ_v h(s_v)·∂E/∂y^c_v: what reaches the output gate
      for (let q = 0; q < S; q++, v++) {
        let dc = 0;
        for (let k = 0; k < K; k++) dc += wk[k * Mw + I + v]! * ek[k]!;
        const hs = 2 * sig(st[v]!) - 1;
        back += hs * dc;
        const es = yOut[j]! * 0.5 * (1 - hs * hs) * dc; // y^out·h'(s)·Σ_k w_kv e_k
        const rc = v * Mw;
        const rt = v * M;
        for (let m = 0; m < Mw; m++) gCell[rc + m]! += a * (es * tc[rc + m]!);
        for (let m = 0; m < M; m++) {
          eIn[j * M + m]! += es * ti[rt + m]!;
          eForget[j * M + m]! += es * tf[rt + m]!;
        }
      }
      const yo = yOut[j]!;
      const eOut = yo * (1 - yo) * back;
      for (let m = 0, r = j * Mw, e = j * M; m < Mw; m++) {
        gOut[r + m]! += a * (eOut * u[m]!);
        gIn[r + m]! += a * eIn[e + m]!;
        if (gF) gF[r + m]! += a * eForget[e + m]!;
      }
      bOut[j]! += a * eOut;
      bIn[j]! += a * eIn[j * M + Mw]!;
      if (bF) bF[j]! += a * eForget[j * M + Mw]!;
    }
    for (let k = 0, r = 0; k < K; k++, r += Mw) {
      for (let m = 0; m < Mw; m++) gK[r + m]! += a * (ek[k]! * z[m]!);
      bK[k]! += a * ek[k]!;
    }
  }
}
