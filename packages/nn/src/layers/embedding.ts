import {
  checkTensor,
  DTypeError,
  type FloatDType,
  formatShape as fmt,
  noGrad,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  where,
} from '@carousel/autograd';
import { Module, parameter } from '../module.js';
import { checkPositiveInt } from '../validate.js';

/**
 * Options of {@link Embedding}.
 *
 * @example
 * new Embedding(1000, 64, { paddingIdx: 0, dtype: 'float64' });
 */
export interface EmbeddingOptions {
  /**
   * Index of the padding row (negative counts from the end, as in PyTorch): initialised to zero
   * and never updated (its gradient is always zero); it still returns whatever it holds.
   */
  paddingIdx?: number;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * Options of {@link Embedding.fromPretrained}.
 *
 * @example
 * const vectors = randn([100, 50]); // 100 words, 50 dimensions
 * Embedding.fromPretrained(vectors, { freeze: false, paddingIdx: 0 });
 */
export interface PretrainedEmbeddingOptions {
  /** Keep the table fixed (no gradient; default true, as PyTorch). */
  freeze?: boolean;
  /** As {@link EmbeddingOptions.paddingIdx}, but the row keeps its pretrained values. */
  paddingIdx?: number;
}

/**
 * A lookup table `weight [numEmbeddings, embeddingDim]`: `forward(indices)` picks rows by int32
 * index, giving `[...indices.shape, embeddingDim]`. Like `torch.nn.Embedding`: initialised
 * `N(0, 1)`, one parameter named `weight`, and an optional `paddingIdx` row that starts at zero
 * and receives no gradient. The backward pass is a scatter-add, so repeated indices accumulate.
 *
 * @example
 * const emb = new Embedding(100, 8, { paddingIdx: 0 });
 * emb.forward(tensor([[1, 2, 0]], { dtype: 'int32' })).shape; // [1, 3, 8]
 */
export class Embedding extends Module {
  /** The table, `[numEmbeddings, embeddingDim]`. */
  weight: Tensor;
  /** The padding row, normalised to `[0, numEmbeddings)`, or null. */
  readonly paddingIdx: number | null;

  constructor(
    /** Number of rows (the vocabulary size). */
    readonly numEmbeddings: number,
    /** Size of each row. */
    readonly embeddingDim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    checkPositiveInt('Embedding', { numEmbeddings, embeddingDim });
    this.paddingIdx = normalizePadding(opts.paddingIdx, numEmbeddings);
    const dtype = opts.dtype ?? 'float32';
    const draw = randn([numEmbeddings, embeddingDim], { dtype });
    const values = draw.dataSync();
    draw.dispose();
    if (this.paddingIdx !== null) values.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    const w = tensor(values, { shape: [numEmbeddings, embeddingDim], dtype });
    this.weight = parameter(w);
  }

  /**
   * An embedding holding a copy of `weights` (`[num, dim]`, float), like
   * `nn.Embedding.from_pretrained`: frozen unless `freeze: false`.
   *
   * @example
   * const emb = Embedding.fromPretrained(tensor([[0, 0], [1, 2]]), { paddingIdx: 0 });
   * emb.forward(tensor([1], { dtype: 'int32' })).arraySync(); // [[1, 2]]
   */
  static fromPretrained(weights: Tensor, opts: PretrainedEmbeddingOptions = {}): Embedding {
    const op = 'Embedding.fromPretrained';
    checkTensor(weights, op, 'weights');
    if (weights.rank !== 2) throw new ShapeError(`weights must be [numEmbeddings, embeddingDim], got ${fmt(weights.shape)}`, op);
    if (weights.dtype !== 'float32' && weights.dtype !== 'float64')
      throw new DTypeError(`weights must be float32 or float64, got ${weights.dtype}`, op);
    const [num, dim] = weights.shape as [number, number];
    const emb = new Embedding(num, dim, {
      dtype: weights.dtype,
      ...(opts.paddingIdx === undefined ? {} : { paddingIdx: opts.paddingIdx }),
    });
    noGrad(() => emb.weight.assign(weights));
    if (opts.freeze ?? true) emb.weight.requiresGrad = false;
    return emb;
  }

  /** Looks up `indices` (int32, any shape, each in `[0, numEmbeddings)`): `[...indices.shape, embeddingDim]`. */
  forward(indices: Tensor): Tensor {
    const op = 'Embedding.forward';
    checkTensor(indices, op, 'indices');
    if (indices.dtype !== 'int32') throw new DTypeError(`indices must be int32, got ${indices.dtype}; cast with .cast('int32')`, op);
    const flat = indices.reshape([indices.size]) as Tensor<'int32'>;
    let rows = this.weight.indexSelect(0, flat);
    if (this.paddingIdx !== null && this.weight.requiresGrad) {
      // same values, but no gradient flows into the padding row
      const isPad = flat.eq(this.paddingIdx).reshape([indices.size, 1]) as Tensor<'bool'>;
      rows = where(isPad, rows.detach(), rows);
    }
    return rows.reshape([...indices.shape, this.embeddingDim]);
  }
}

function normalizePadding(paddingIdx: number | undefined, num: number): number | null {
  if (paddingIdx === undefined) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
    throw new ValueError(`paddingIdx must be an integer in [${-num}, ${num}), got ${paddingIdx}`, 'Embedding');
  }
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}
