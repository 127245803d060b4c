import {
  bernoulli,
  checkTensor,
  concat,
  hasFusedKernel,
  type LSTMCellSpec,
  type LSTMLayerInputs,
  lstmSequence,
  noGrad,
  ShapeError,
  stack,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@carousel/autograd';
import { rnnDefault } from '../init.js';
import { Module, parameter } from '../module.js';
import { checkPositiveInt, checkProbability } from '../validate.js';
import { layerNorm } from './functional.js';
import { type DirectionRunner, projectedInputs, projectSteps, SequenceLayer, type SequenceOptions } from './sequence.js';

/** Greff et al. (2015)'s names for the variants of their "vanilla" (peephole) LSTM. */
export type GreffVariant = 'vanilla' | 'NIG' | 'NFG' | 'NOG' | 'NIAF' | 'NOAF' | 'NP' | 'CIFG' | 'FGR';

/** How the cell is built; every flag defaults to PyTorch's `nn.LSTM`. */
export interface LSTMCellOptions {
  bias?: boolean;
  dtype?: 'float32' | 'float64';
  /** Shorthand for Greff et al.'s variants (all but NP have peepholes); explicit flags override it. */
  variant?: GreffVariant;
  /** Peephole connections (Gers 2002): i and f see c(t−1), o sees c(t). Adds `weight_peephole`. */
  peephole?: boolean;
  /** Coupled input–forget gate (CIFG): f = 1 − i; the forget gate has no weights. */
  coupled?: boolean;
  /** false: f = 1, the 1997 constant error carousel (NFG). */
  forgetGate?: boolean;
  /** false: i = 1 (NIG). */
  inputGate?: boolean;
  /** false: o = 1 (NOG). */
  outputGate?: boolean;
  /** Block input activation g (NIAF: identity). */
  inputActivation?: 'tanh' | 'identity';
  /** Cell output activation h (NOAF: identity). */
  outputActivation?: 'tanh' | 'identity';
  /** Gates also see the gate activations of t−1 (FGR). Adds `weight_gate_hh`. */
  fullGateRecurrence?: boolean;
  /** Layer normalisation of the two gate pre-activations and of c (Ba et al. 2016). */
  layerNorm?: boolean;
  /** Initial value of the forget-gate bias (split as bias_ih = value, bias_hh = 0). */
  forgetBias?: number;
  /** Variational dropout on h(t−1) before the recurrent matmul, one mask per sequence (training only). */
  recurrentDropout?: number;
  /** Zoneout probability (Krueger et al. 2016): units keep their previous h and c. */
  zoneout?: number;
}

/** Options of {@link LSTM}: PyTorch's plus the variant flags. */
export interface LSTMOptions extends SequenceOptions, Omit<LSTMCellOptions, 'bias' | 'dtype'> {
  /** Project h to this size with `weight_hr` (PyTorch's proj_size); 0 = none. */
  projSize?: number;
  /**
   * Use the backend's fused whole-sequence kernel when it has one (the CPU does) and the cell
   * allows it (default true): every variant except FGR, layer norm, projection, zoneout and
   * recurrent dropout in training. Same values and gradients as the composite cell, higher-order
   * gradients included; `false` forces the composite. Under `noGrad` (or when nothing requires
   * grad) the kernel keeps no per-step activations, so inference needs memory for the output only.
   */
  fused?: boolean;
}

/** The resolved structure of a cell: which gates exist, in i,f,g,o order. */
interface Structure {
  gates: ('i' | 'f' | 'g' | 'o')[];
  peepholes: ('i' | 'f' | 'o')[];
  coupled: boolean;
  identityG: boolean;
  identityH: boolean;
  fgr: boolean;
  layerNorm: boolean;
  forgetBias: number | undefined;
  recurrentDropout: number;
  zoneout: number;
}

const GREFF: Record<GreffVariant, Partial<LSTMCellOptions>> = {
  vanilla: { peephole: true },
  NIG: { peephole: true, inputGate: false },
  NFG: { peephole: true, forgetGate: false },
  NOG: { peephole: true, outputGate: false },
  NIAF: { peephole: true, inputActivation: 'identity' },
  NOAF: { peephole: true, outputActivation: 'identity' },
  NP: { peephole: false },
  CIFG: { peephole: true, coupled: true },
  FGR: { peephole: true, fullGateRecurrence: true },
};

function resolve(opts: LSTMCellOptions, layer: string): Structure {
  if (opts.variant !== undefined && !Object.hasOwn(GREFF, opts.variant)) {
    throw new ValueError(`unknown variant '${opts.variant}'; expected one of ${Object.keys(GREFF).join(', ')}`, layer);
  }
  const o = { ...(opts.variant ? GREFF[opts.variant] : {}), ...stripUndefined(opts) };
  const coupled = o.coupled ?? false;
  const inputGate = o.inputGate ?? true;
  if (coupled && (o.forgetGate === false || !inputGate))
    throw new ValueError('coupled (f = 1 − i) needs both an input gate and a forget gate', layer);
  for (const [name, v] of [
    ['inputActivation', o.inputActivation],
    ['outputActivation', o.outputActivation],
  ] as const) {
    if (v !== undefined && v !== 'tanh' && v !== 'identity')
      throw new ValueError(`${name} must be 'tanh' or 'identity', got '${v}'`, layer);
  }
  const gates = (['i', 'f', 'g', 'o'] as const).filter((g) =>
    g === 'i' ? inputGate : g === 'f' ? !coupled && (o.forgetGate ?? true) : g === 'o' ? (o.outputGate ?? true) : true,
  );
  const hasF = coupled || (o.forgetGate ?? true);
  const peepholes = o.peephole ? (['i', 'f', 'o'] as const).filter((g) => (g === 'f' ? hasF && !coupled : gates.includes(g))) : [];
  checkProbability(layer, 'recurrentDropout', o.recurrentDropout ?? 0);
  checkProbability(layer, 'zoneout', o.zoneout ?? 0);
  return {
    gates,
    peepholes,
    coupled,
    identityG: o.inputActivation === 'identity',
    identityH: o.outputActivation === 'identity',
    fgr: o.fullGateRecurrence ?? false,
    layerNorm: o.layerNorm ?? false,
    forgetBias: o.forgetBias,
    recurrentDropout: o.recurrentDropout ?? 0,
    zoneout: o.zoneout ?? 0,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The tensors of one cell (one layer and direction), looked up by name on the owning module. */
interface Weights {
  wih: Tensor;
  whh: Tensor;
  bih?: Tensor;
  bhh?: Tensor;
  whr?: Tensor;
  peep?: Tensor;
  wgate?: Tensor;
  ln?: Record<'ih_weight' | 'ih_bias' | 'hh_weight' | 'hh_bias' | 'c_weight' | 'c_bias', Tensor>;
}

/** Creates a cell's parameters on `owner` under PyTorch names with `suffix`, initialised U(±1/√H). */
function createWeights(
  owner: Module,
  s: Structure,
  inputSize: number,
  hiddenSize: number,
  recurrentSize: number,
  bias: boolean,
  dtype: 'float32' | 'float64',
  suffix: string,
  projSize: number,
): void {
  const H = hiddenSize;
  const G = s.gates.length;
  const init = rnnDefault(H);
  const make = (name: string, shape: number[]) => {
    (owner as unknown as Record<string, Tensor>)[name + suffix] = init(parameter(zeros(shape, { dtype })));
  };
  make('weight_ih', [G * H, inputSize]);
  make('weight_hh', [G * H, recurrentSize]);
  if (bias) {
    make('bias_ih', [G * H]);
    make('bias_hh', [G * H]);
    const f = s.gates.indexOf('f');
    if (s.forgetBias !== undefined && f >= 0) {
      const ps = owner as unknown as Record<string, Tensor>;
      for (const [name, value] of [
        ['bias_ih', s.forgetBias],
        ['bias_hh', 0],
      ] as const) {
        const b = ps[name + suffix]!;
        const v = b.dataSync();
        v.fill(value, f * H, (f + 1) * H);
        noGrad(() => b.assign(tensor(v, { dtype })));
      }
    }
  }
  if (projSize > 0) make('weight_hr', [projSize, H]);
  if (s.peepholes.length) make('weight_peephole', [s.peepholes.length, H]);
  const nSig = s.gates.filter((g) => g !== 'g').length;
  if (s.fgr) make('weight_gate_hh', [nSig * H, nSig * H]);
  if (s.layerNorm) {
    const ps = owner as unknown as Record<string, Tensor>;
    const ones = (n: number) => parameter(zeros([n], { dtype }).add(1));
    ps[`ln_ih_weight${suffix}`] = ones(G * H);
    ps[`ln_ih_bias${suffix}`] = parameter(zeros([G * H], { dtype }));
    ps[`ln_hh_weight${suffix}`] = ones(G * H);
    ps[`ln_hh_bias${suffix}`] = parameter(zeros([G * H], { dtype }));
    ps[`ln_c_weight${suffix}`] = ones(H);
    ps[`ln_c_bias${suffix}`] = parameter(zeros([H], { dtype }));
  }
}

function weightsOf(owner: Module, suffix: string, s: Structure): Weights {
  const ps = owner as unknown as Record<string, Tensor | undefined>;
  const get = (n: string) => ps[n + suffix];
  return {
    wih: get('weight_ih')!,
    whh: get('weight_hh')!,
    bih: get('bias_ih'),
    bhh: get('bias_hh'),
    whr: get('weight_hr'),
    peep: get('weight_peephole'),
    wgate: get('weight_gate_hh'),
    ln: s.layerNorm
      ? {
          ih_weight: get('ln_ih_weight')!,
          ih_bias: get('ln_ih_bias')!,
          hh_weight: get('ln_hh_weight')!,
          hh_bias: get('ln_hh_bias')!,
          c_weight: get('ln_c_weight')!,
          c_bias: get('ln_c_bias')!,
        }
      : undefined,
  };
}

/** Per-sequence context of one cell: its weights, transposed once, and the masks drawn for the sequence. */
type Step = (xw: Tensor, h: Tensor, c: Tensor, gatesPrev: Tensor | undefined) => { h: Tensor; c: Tensor; gates: Tensor | undefined };

/**
 * One LSTM step on precomputed input projections `xw = x·W_ihᵀ (+ b_ih)`:
 *
 * ```
 * [i, f, g, o] = split(xw + h·W_hhᵀ + b_hh)           (only the gates the variant has)
 * i = σ(i + p_i ⊙ c)      f = σ(f + p_f ⊙ c)  or 1 − i (coupled) or 1 (no forget gate)
 * g = tanh(g)             c' = f ⊙ c + i ⊙ g
 * o = σ(o + p_o ⊙ c')     h' = o ⊙ tanh(c')   (then · W_hrᵀ with a projection)
 * ```
 */
function makeStep(w: Weights, s: Structure, H: number, training: boolean, batch: number): Step {
  const whhT = w.whh.transpose();
  const whrT = w.whr?.transpose();
  const wgateT = w.wgate?.transpose();
  const peep = w.peep ? Object.fromEntries(s.peepholes.map((g, k) => [g, w.peep!.slice([k])])) : {};
  const recMask =
    training && s.recurrentDropout > 0
      ? noGrad(() =>
          bernoulli(1 - s.recurrentDropout, [batch, whhT.shape[0]!])
            .cast(w.wih.dtype)
            .mul(1 / (1 - s.recurrentDropout)),
        )
      : undefined;
  return (xw, h, c, gatesPrev) => {
    const hIn = recMask ? h.mul(recMask) : h;
    let hh = hIn.matmul(whhT);
    if (w.ln) hh = layerNorm(hh, w.ln.hh_weight, w.ln.hh_bias);
    let pre = xw.add(hh);
    if (w.bhh) pre = pre.add(w.bhh);
    if (wgateT && gatesPrev) pre = addToSigmoidGates(pre, gatesPrev.matmul(wgateT), s, H);
    const parts = pre.split(H, -1);
    const part = (g: 'i' | 'f' | 'g' | 'o') => parts[s.gates.indexOf(g)]!;
    const withPeep = (g: 'i' | 'f' | 'o', cell: Tensor) => (peep[g] ? part(g).add(peep[g].mul(cell)) : part(g));
    const i = s.gates.includes('i') ? withPeep('i', c).sigmoid() : undefined;
    const f = s.gates.includes('f') ? withPeep('f', c).sigmoid() : s.coupled ? i!.neg().add(1) : undefined;
    const g = s.identityG ? part('g') : part('g').tanh();
    let cNew = i ? i.mul(g) : g;
    cNew = f ? f.mul(c).add(cNew) : c.add(cNew);
    const o = s.gates.includes('o') ? withPeep('o', cNew).sigmoid() : undefined;
    const cOut = w.ln ? layerNorm(cNew, w.ln.c_weight, w.ln.c_bias) : cNew;
    const act = s.identityH ? cOut : cOut.tanh();
    let hNew = o ? o.mul(act) : act;
    if (whrT) hNew = hNew.matmul(whrT);
    // FGR feeds the next step the activations of the gates that have weights (i, f, o order)
    const gates = wgateT
      ? concat(
          [i, s.gates.includes('f') ? f : undefined, o].filter((t): t is Tensor => t !== undefined),
          -1,
        )
      : undefined;
    if (s.zoneout > 0) return { ...zoneout(h, c, hNew, cNew, s.zoneout, training), gates };
    return { h: hNew, c: cNew, gates };
  };
}

/** FGR: adds the recurrent gate-to-gate term to the sigmoid gates' pre-activations (not to g). */
function addToSigmoidGates(pre: Tensor, term: Tensor, s: Structure, H: number): Tensor {
  const parts = pre.split(H, -1);
  const extra = term.split(H, -1);
  let k = 0;
  return concat(
    s.gates.map((g, j) => (g === 'g' ? parts[j]! : parts[j]!.add(extra[k++]!))),
    -1,
  );
}

/** Zoneout: in training each unit keeps its previous value with probability p; in eval the expectation. */
function zoneout(h: Tensor, c: Tensor, hNew: Tensor, cNew: Tensor, p: number, training: boolean): { h: Tensor; c: Tensor } {
  const mix = (prev: Tensor, next: Tensor) => {
    if (!training) return prev.mul(p).add(next.mul(1 - p));
    const keep = noGrad(() => bernoulli(p, prev.shape).cast(prev.dtype));
    return prev.mul(keep).add(next.mul(keep.neg().add(1)));
  };
  return { h: mix(h, hNew), c: mix(c, cNew) };
}

/** The fused kernel's description of a cell, or undefined when the cell needs the composite. */
function fusedSpec(w: Weights, s: Structure, training: boolean): LSTMCellSpec | undefined {
  if (s.fgr || s.layerNorm || w.whr || s.zoneout > 0 || (training && s.recurrentDropout > 0)) return undefined;
  return {
    i: s.gates.indexOf('i'),
    f: s.gates.indexOf('f'),
    g: s.gates.indexOf('g'),
    o: s.gates.indexOf('o'),
    peepI: s.peepholes.indexOf('i'),
    peepF: s.peepholes.indexOf('f'),
    peepO: s.peepholes.indexOf('o'),
    coupled: s.coupled,
    identityG: s.identityG,
    identityH: s.identityH,
  };
}

/** The fused path: the whole layer (input projection and recurrence) as one op. */
function fusedLstmRun(w: Weights, s: Structure, H: number, training: boolean, spec: LSTMCellSpec, x: Tensor, h0: Tensor, c0: Tensor) {
  const T = x.shape[0]!;
  const B = x.shape[1]!;
  // the composite of the same meaning, for gradients of gradients: [h(1…T); c(T)] like the kernel
  const composite = (inp: LSTMLayerInputs) => {
    const step = makeStep({ ...w, whh: inp.whh, bhh: inp.bhh, peep: inp.peep }, s, H, training, B);
    let h = inp.h0;
    let c = inp.c0;
    const outs: Tensor[] = [];
    for (const xt of projectedInputs(inp).split(1, 0)) {
      const r = step(xt.reshape([B, -1]), h, c, undefined);
      h = r.h;
      c = r.c;
      outs.push(h);
    }
    return concat(
      [...outs, c].map((t) => t.unsqueeze(0)),
      0,
    );
  };
  const packed = lstmSequence({ x, wih: w.wih, bih: w.bih, whh: w.whh, bhh: w.bhh, h0, c0, peep: w.peep }, spec, { composite });
  return { output: packed.slice([[0, T]]), h: packed.slice([T - 1]), c: packed.slice([T]) };
}

/** Runs one direction of one layer over a `[T, B, I]` sequence. */
function lstmRunner(w: Weights, s: Structure, H: number, training: boolean, fused = false): DirectionRunner {
  const spec = fused ? fusedSpec(w, s, training) : undefined;
  return (x, h0, c0) => {
    if (spec && hasFusedKernel('lstm', x)) return fusedLstmRun(w, s, H, training, spec, x, h0, c0!);
    const B = x.shape[1]!;
    const xs = projectSteps(x, w.wih, (xw) => {
      const normed = w.ln ? layerNorm(xw, w.ln.ih_weight, w.ln.ih_bias) : xw;
      return w.bih ? normed.add(w.bih) : normed;
    });
    const step = makeStep(w, s, H, training, B);
    let h = h0;
    let c = c0!;
    let gates: Tensor | undefined = s.fgr
      ? zeros([B, s.gates.filter((g) => g !== 'g').length * H], { dtype: x.dtype as 'float32' })
      : undefined;
    const outs: Tensor[] = [];
    for (const xt of xs) {
      const r = step(xt, h, c, gates);
      h = r.h;
      c = r.c;
      gates = r.gates;
      outs.push(h);
    }
    return { output: stack(outs, 0), h, c };
  };
}

/**
 * A multi-layer LSTM, numerically identical to `torch.nn.LSTM` by default (gate order i,f,g,o,
 * two biases, same state_dict keys, same options), with the zoo's variants as options:
 * peephole (Gers 2002), coupled input–forget (CIFG), no forget gate (the 1997 CEC), Greff et
 * al.'s NIG/NFG/NOG/NIAF/NOAF/NP/FGR, layer norm, recurrent dropout, zoneout, forget-bias init.
 * At each step $t$, for each layer (its input $x_t$ is the previous layer's $h_t$):
 *
 * $$
 * \begin{aligned}
 * i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
 * f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
 * g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
 * o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
 * c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
 * h_t &= o_t \odot \tanh(c_t)
 * \end{aligned}
 * $$
 *
 * with $\sigma$ the logistic sigmoid and $\odot$ the element-wise product. The variants change
 * these lines: `peephole` adds $p_i \odot c_{t-1}$, $p_f \odot c_{t-1}$ and $p_o \odot c_t$ to
 * the pre-activations of $i_t$, $f_t$ and $o_t$; `coupled` sets $f_t = 1 - i_t$;
 * `forgetGate: false` sets $f_t = 1$, the 1997 constant error carousel $c_t = c_{t-1} + i_t \odot g_t$.
 *
 * References: Hochreiter & Schmidhuber 1997; Gers, Schmidhuber & Cummins 2000 (forget gate);
 * Gers, Schraudolph & Schmidhuber 2002 (peepholes); Greff et al. 2015 (variants).
 *
 * @example
 * const lstm = new LSTM(8, 16, { numLayers: 2 });
 * const { output, state } = lstm.forward(randn([100, 1, 8])); // output [100, 1, 16]
 */
export class LSTM extends SequenceLayer<{ h: Tensor; c: Tensor }> {
  protected readonly hasCell = true;
  readonly projSize: number;
  /** Whether the fused kernel may be used (see {@link LSTMOptions.fused}). */
  readonly fused: boolean;
  readonly #structure: Structure;

  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super(inputSize, hiddenSize, opts, 'LSTM');
    this.projSize = opts.projSize ?? 0;
    this.fused = opts.fused ?? true;
    if (!Number.isInteger(this.projSize) || this.projSize < 0 || this.projSize >= hiddenSize) {
      if (this.projSize !== 0) throw new ValueError(`projSize must be an integer in [0, hiddenSize), got ${this.projSize}`, 'LSTM');
    }
    this.#structure = resolve(opts, 'LSTM');
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < this.numDirections; d++) {
        const inSize = layer === 0 ? inputSize : this.outputSize * this.numDirections;
        createWeights(
          this,
          this.#structure,
          inSize,
          hiddenSize,
          this.outputSize,
          this.bias,
          this.dtype,
          this.suffix(layer, d),
          this.projSize,
        );
      }
    }
  }

  override get outputSize(): number {
    return this.projSize || this.hiddenSize;
  }

  protected runner(layer: number, direction: number): DirectionRunner {
    const w = weightsOf(this, this.suffix(layer, direction), this.#structure);
    return lstmRunner(w, this.#structure, this.hiddenSize, this.training, this.fused);
  }
}

/**
 * One LSTM step (the cell of {@link LSTM}), like `torch.nn.LSTMCell`: parameters `weight_ih`,
 * `weight_hh`, `bias_ih`, `bias_hh` (+ the variant's extras); `forward(x [B, I], {h, c}?)`.
 * With $[i, f, g, o]$ the four row blocks of the weights and biases:
 *
 * $$
 * \begin{aligned}
 * i &= \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\
 * f &= \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
 * g &= \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\
 * o &= \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
 * c' &= f \odot c + i \odot g \\
 * h' &= o \odot \tanh(c')
 * \end{aligned}
 * $$
 *
 * @example
 * const cell = new LSTMCell(8, 16);
 * let state = cell.forward(randn([4, 8]));
 * state = cell.forward(randn([4, 8]), state);
 */
export class LSTMCell extends Module {
  readonly #structure: Structure;
  readonly dtype: 'float32' | 'float64';

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: LSTMCellOptions = {},
  ) {
    super();
    checkPositiveInt('LSTMCell', { inputSize, hiddenSize });
    this.dtype = opts.dtype ?? 'float32';
    this.#structure = resolve(opts, 'LSTMCell');
    if (this.#structure.fgr) throw new ValueError('fullGateRecurrence needs the gate activations of t−1: use the LSTM layer', 'LSTMCell');
    createWeights(this, this.#structure, inputSize, hiddenSize, hiddenSize, opts.bias ?? true, this.dtype, '', 0);
  }

  /** One step from `state` (zeros when omitted); returns the new `{ h, c }`. */
  forward(x: Tensor, state?: { h: Tensor; c: Tensor }): { h: Tensor; c: Tensor } {
    const op = 'LSTMCell.forward';
    checkTensor(x, op, 'input');
    const unbatched = x.rank === 1;
    const xb = unbatched ? x.unsqueeze(0) : x;
    if (xb.rank !== 2 || xb.shape[1] !== this.inputSize) {
      throw new ShapeError(`input must be [B, ${this.inputSize}] or [${this.inputSize}], got [${x.shape.join(', ')}]`, op);
    }
    if (x.dtype !== this.dtype) throw new ValueError(`input is ${x.dtype}, the cell's parameters are ${this.dtype}; cast the input`, op);
    const B = xb.shape[0]!;
    const h = state?.h ? (unbatched ? state.h.unsqueeze(0) : state.h) : zeros([B, this.hiddenSize], { dtype: this.dtype });
    const c = state?.c ? (unbatched ? state.c.unsqueeze(0) : state.c) : zeros([B, this.hiddenSize], { dtype: this.dtype });
    for (const [name, t] of [
      ['h', h],
      ['c', c],
    ] as const) {
      if (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== this.hiddenSize) {
        throw new ShapeError(`state ${name} must be [${B}, ${this.hiddenSize}], got [${t.shape.join(', ')}]`, op);
      }
      if (t.dtype !== this.dtype) throw new ValueError(`state ${name} is ${t.dtype}, expected ${this.dtype}`, op);
    }
    const w = weightsOf(this, '', this.#structure);
    let xw = xb.matmul(w.wih.transpose());
    if (w.ln) xw = layerNorm(xw, w.ln.ih_weight, w.ln.ih_bias);
    if (w.bih) xw = xw.add(w.bih);
    const r = makeStep(w, this.#structure, this.hiddenSize, this.training, B)(xw, h, c, undefined);
    return unbatched ? { h: r.h.squeeze(0), c: r.c.squeeze(0) } : { h: r.h, c: r.c };
  }
}
