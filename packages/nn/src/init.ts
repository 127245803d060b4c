import {
  type FloatDType,
  noGrad,
  randn,
  type Shape,
  type Tensor,
  tensor,
  tidy,
  uniform as uniformTensor,
  ValueError,
} from '@carousel/autograd';

/** Initialisers fill an existing parameter in place (like `torch.nn.init.*_`) and return it. */
export type Init = <T extends Tensor>(t: T) => T;

// tidy: drawing and casting the values makes intermediates (scaled draws, scalar operands)
const fill = (t: Tensor, values: () => Tensor) => tidy(() => noGrad(() => t.assign(values().cast(t.dtype) as Tensor<typeof t.dtype>)));

const fans = (shape: Shape, op: string): [number, number] => {
  if (shape.length < 2) throw new ValueError(`fan-in/fan-out need a tensor of rank ≥ 2, got shape [${shape.join(', ')}]`, op);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1]! * receptive, shape[0]! * receptive];
};

const floatOf = (t: Tensor): FloatDType => (t.dtype === 'float64' ? 'float64' : 'float32');

/**
 * Uniform in `[-range, range]` (or `[low, high]`): the paper's "weights initialised in [−0.1, 0.1]".
 *
 * @example
 * uniform(0.1)(parameter(zeros([3, 3])));
 */
export function uniform(range: number, high?: number): Init {
  const [lo, hi] = high === undefined ? [-range, range] : [range, high];
  return (t) => {
    fill(t, () => uniformTensor(t.shape, lo, hi, { dtype: floatOf(t) }));
    return t;
  };
}

/** Fills with a constant. @example constant(0)(parameter(ones([3]))); */
export function constant(value: number): Init {
  return (t) => {
    noGrad(() => t.assign(value));
    return t;
  };
}

/**
 * Xavier/Glorot uniform: `U(±gain·√(6 / (fanIn + fanOut)))`.
 *
 * @example
 * xavierUniform()(parameter(zeros([4, 3])));
 */
export function xavierUniform(gain = 1): Init {
  return (t) => {
    const [fanIn, fanOut] = fans(t.shape, 'xavierUniform');
    return uniform(gain * Math.sqrt(6 / (fanIn + fanOut)))(t);
  };
}

/**
 * Kaiming/He uniform for ReLU-like layers: `U(±gain·√(3 / fanIn))` with `gain = √(2 / (1 + a²))`.
 *
 * @example
 * kaimingUniform()(parameter(zeros([4, 3])));
 */
export function kaimingUniform(a = 0): Init {
  return (t) => {
    const [fanIn] = fans(t.shape, 'kaimingUniform');
    return uniform(Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn))(t);
  };
}

/**
 * A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al. 2014),
 * times `gain`. Rows are orthonormal when rows ≤ columns, columns otherwise.
 *
 * @example
 * orthogonal()(parameter(zeros([4, 4])));
 */
export function orthogonal(gain = 1): Init {
  return (t) => {
    if (t.rank < 2) throw new ValueError(`orthogonal needs a tensor of rank ≥ 2, got shape [${t.shape.join(', ')}]`, 'orthogonal');
    const rows = t.shape[0]!;
    const cols = t.size / rows;
    const [n, m] = rows < cols ? [cols, rows] : [rows, cols];
    const g = noGrad(() => randn([n, m], { dtype: 'float64' }));
    const a = g.dataSync();
    g.dispose();
    // modified Gram–Schmidt on the m columns of an n×m Gaussian matrix (n ≥ m)
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a[i * m + j]! * a[i * m + k]!;
        for (let i = 0; i < n; i++) a[i * m + j]! -= dot * a[i * m + k]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += a[i * m + j]! ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) a[i * m + j]! /= norm;
    }
    const q = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] = gain * (rows < cols ? a[c * m + r]! : a[r * m + c]!);
    fill(t, () => tensor(q, { shape: t.shape, dtype: 'float64' }));
    return t;
  };
}

/**
 * PyTorch's default for recurrent layers: every weight and bias `U(±1/√hiddenSize)`.
 *
 * @example
 * rnnDefault(16)(parameter(zeros([64, 8])));
 */
export function rnnDefault(hiddenSize: number): Init {
  if (!(hiddenSize > 0)) throw new ValueError(`hiddenSize must be positive, got ${hiddenSize}`, 'rnnDefault');
  return uniform(1 / Math.sqrt(hiddenSize));
}
