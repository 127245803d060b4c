import { setSeed, ValueError } from '@carousel/autograd';
import { LSTM1997, type LSTM1997Options, modelFromSafetensors } from '@carousel/nn';
import { REBER_BASELINE_HIDDEN, reberNet } from '../experiments/exp1-embedded-reber.js';
import { weightMatchedHidden } from '../experiments/exp2-protocol.js';
import { EXP2AB_NET } from '../experiments/exp2a-long-lags.js';
import { EXP2C_NET } from '../experiments/exp2c-very-long-lags.js';
import { EXP3_NET } from '../experiments/exp3-two-sequence.js';
import { addingTask } from '../experiments/exp4-adding.js';
import { multiplicationTask } from '../experiments/exp5-multiplication.js';
import { temporalOrderTask } from '../experiments/exp6-temporal-order.js';
import { MODERN_ADDING_TRAINING, modernAddingTask } from '../experiments/modern-adding.js';
import { COPY_TRAINING, copyTask } from '../experiments/modern-copy.js';
import { type Architectures, BaselineNet, BPTT_MODELS, type BpttModel } from '../learners/index.js';

/**
 * Model-zoo presets: the paper's net for each experiment, built with the configuration that
 * experiment trains (taken from the experiment files, not repeated here), and — for the
 * experiments whose trained weights ship in `weights/` — the trained net; and the experiment's
 * BPTT baselines (Elman, forget-gate LSTM, peephole, coupled, GRU), as its baseline trials
 * build them.
 */

/** The net of one experiment: its sizes and the paper's LSTM options (Table 10). */
interface PresetSpec {
  inputSize: number;
  outputSize: number;
  net: Architectures['lstm1997'];
}

/** The end-target experiments (4–6), by id. */
const END_TARGET_TASKS = {
  '4': () => addingTask(100),
  '5': () => multiplicationTask(140),
  '6a': () => temporalOrderTask('6a'),
  '6b': () => temporalOrderTask('6b'),
} as const;

const endTarget = (task: { inputSize: number; outputSize: number; arch: Architectures }): PresetSpec => ({
  inputSize: task.inputSize,
  outputSize: task.outputSize,
  net: task.arch.lstm1997,
});

/** The experiments with a preset, and how each builds its net (2a/2b: p = 100; 2c: q = p = 50). */
const SPECS = {
  reber: (): PresetSpec => ({ inputSize: 7, outputSize: 7, net: reberNet() }),
  '2a': (): PresetSpec => ({ inputSize: 101, outputSize: 101, net: EXP2AB_NET }),
  '2b': (): PresetSpec => ({ inputSize: 101, outputSize: 101, net: EXP2AB_NET }),
  '2c': (): PresetSpec => ({ inputSize: 54, outputSize: 2, net: EXP2C_NET }),
  '3a': (): PresetSpec => ({ inputSize: 1, outputSize: 1, net: EXP3_NET }),
  '3b': (): PresetSpec => ({ inputSize: 1, outputSize: 1, net: EXP3_NET }),
  '3c': (): PresetSpec => ({ inputSize: 1, outputSize: 1, net: EXP3_NET }),
  '4': () => endTarget(END_TARGET_TASKS['4']()),
  '5': () => endTarget(END_TARGET_TASKS['5']()),
  '6a': () => endTarget(END_TARGET_TASKS['6a']()),
  '6b': () => endTarget(END_TARGET_TASKS['6b']()),
} as const;

/**
 * Experiment ids that have a preset (the registry's ids: `carousel list`).
 *
 * @example
 * const id: PresetId = '6a';
 */
export type PresetId = keyof typeof SPECS;

/**
 * Every experiment id with a preset, in the paper's order.
 *
 * @example
 * PRESET_IDS.includes('6a'); // true
 */
export const PRESET_IDS: readonly PresetId[] = ['reber', '2a', '2b', '2c', '3a', '3b', '3c', '4', '5', '6a', '6b'];

/**
 * Experiments whose trained `lstm1997` weights ship with the package (in
 * `src/presets/weights/<id>-lstm1997.safetensors`, trained by `carousel train`).
 *
 * @example
 * for (const id of PRETRAINED) presets[id].lstm1997({ pretrained: true });
 */
export const PRETRAINED = ['reber', '3a', '6a'] as const satisfies readonly PresetId[];

/**
 * The full constructor options of experiment `id`'s `LSTM1997` (float64, logistic outputs —
 * exactly what the experiment trains).
 *
 * @example
 * presetConfig('6a').blocks; // 2
 */
export function presetConfig(id: PresetId): LSTM1997Options {
  const spec = SPECS[id as keyof typeof SPECS];
  if (!spec) throw new ValueError(`no preset for experiment '${id}'; presets: ${PRESET_IDS.join(', ')}`, 'presets');
  const { inputSize, outputSize, net } = spec();
  return { ...net, inputSize, outputSize, outputActivation: 'logistic', dtype: 'float64' };
}

/**
 * The modern benchmarks, which have baseline presets only (they have no paper net).
 *
 * @example
 * const id: ModernPresetId = 'copy';
 */
export type ModernPresetId = 'adding-modern' | 'copy';
/**
 * Every experiment id with baseline presets.
 *
 * @example
 * const id: BaselinePresetId = '6a';
 */
export type BaselinePresetId = PresetId | ModernPresetId;

/**
 * Every experiment id with baseline presets, in the papers' order.
 *
 * @example
 * BASELINE_PRESET_IDS.includes('copy'); // true
 */
export const BASELINE_PRESET_IDS: readonly BaselinePresetId[] = [...PRESET_IDS, 'adding-modern', 'copy'];

/** Table 10's weight counts of the paper's nets, which the baselines of 2a–3c match in size (see `weightMatchedHidden`). */
const PAPER_WEIGHTS = { '2a': 10_504, '2b': 10_504, '2c': 364, '3a': 102, '3b': 102, '3c': 102 } as const;

/**
 * How experiment `id`'s baseline trials build their nets: sizes, hidden units (reber: 12, the
 * paper net's cells and gates; 2a–3c: the Elman
 * size nearest the paper net's weight count; 4–6: the paper net's hidden units; the modern tasks:
 * their training configuration) and output squash (the paper's logistic units; linear for the
 * modern tasks, whose losses read raw outputs).
 *
 * @throws ValueError for an id without baseline presets.
 * @example
 * baselineConfig('3a').hidden; // 8
 */
export function baselineConfig(id: BaselinePresetId): Required<Omit<ConstructorParameters<typeof BaselineNet>[1], 'dtype'>> {
  if (id === 'adding-modern' || id === 'copy') {
    const [task, training] = id === 'copy' ? [copyTask(100), COPY_TRAINING] : [modernAddingTask(100), MODERN_ADDING_TRAINING];
    return { inputSize: task.inputSize, outputSize: task.outputSize, hidden: training.hidden, outputActivation: 'identity' };
  }
  const spec = SPECS[id as PresetId];
  if (!spec) throw new ValueError(`no baseline presets for experiment '${id}'; presets: ${BASELINE_PRESET_IDS.join(', ')}`, 'presets');
  const { inputSize, outputSize } = spec();
  const weights = PAPER_WEIGHTS[id as keyof typeof PAPER_WEIGHTS];
  const hidden =
    id === 'reber'
      ? REBER_BASELINE_HIDDEN
      : weights
        ? weightMatchedHidden(weights, inputSize, outputSize)
        : END_TARGET_TASKS[id as keyof typeof END_TARGET_TASKS]().arch.hidden;
  return { inputSize, outputSize, hidden, outputActivation: 'logistic' };
}

/** Options of a baseline preset (`presets.<id>.gru()`, …). */
export interface BaselinePresetOptions {
  /** Seeds the random initial weights; default: the global stream as it is. */
  seed?: number;
  /** float64 (default, as the experiments train on the CPU) or float32 (e.g. for WebGPU). */
  dtype?: 'float32' | 'float64';
}

/** The BPTT baselines of one experiment: each builds a fresh, randomly initialised {@link BaselineNet}. */
export interface BaselinePresets {
  /** Elman RNN (`nn.RNN`, tanh) with a linear head and the experiment's output squash. */
  readonly elman: (opts?: BaselinePresetOptions) => BaselineNet;
  /** Forget-gate LSTM (`nn.LSTM`, PyTorch's cell). */
  readonly lstm: (opts?: BaselinePresetOptions) => BaselineNet;
  /** Peephole LSTM (Gers et al. 2002). */
  readonly peephole: (opts?: BaselinePresetOptions) => BaselineNet;
  /** LSTM with coupled input and forget gates. */
  readonly coupled: (opts?: BaselinePresetOptions) => BaselineNet;
  /** GRU (`nn.GRU`, PyTorch's reset placement). */
  readonly gru: (opts?: BaselinePresetOptions) => BaselineNet;
}

/** Options of {@link Preset.lstm1997}. */
export interface PresetOptions {
  /** Load the shipped trained weights (only for the ids in {@link PRETRAINED}). */
  pretrained?: boolean;
  /** Seeds the random initial weights (ignored with `pretrained`); default: the global stream as it is. */
  seed?: number;
}

/** One experiment's presets: the paper's net and the baselines. */
export interface Preset extends BaselinePresets {
  readonly id: PresetId;
  /** Whether trained weights ship for this experiment. */
  readonly hasPretrained: boolean;
  /** A fresh `LSTM1997` with the paper's configuration for this experiment (randomly initialised, or pretrained). */
  lstm1997(opts?: PresetOptions): LSTM1997;
}

/**
 * An experiment whose trained `lstm1997` ships with the package.
 *
 * @example
 * const id: PretrainedId = 'reber';
 */
export type PretrainedId = (typeof PRETRAINED)[number];

/** A trained preset read from its weights file: the net and the file's metadata. */
export interface Pretrained {
  net: LSTM1997;
  /** Experiment, model, seed, sequences to success, date, package version, the command that trained it. */
  metadata: Record<string, string>;
}

/**
 * Rebuilds experiment `id`'s trained `lstm1997` from the bytes of its weights file — what
 * {@link loadPretrained} (Node) and {@link fetchPretrained} (anywhere) do once they have read it.
 *
 * @throws ValueError for an id without shipped weights, or bytes trained for another configuration.
 * @example
 * const config = presetConfig('6a');
 * const bytes = modelToSafetensors(new LSTM1997(config), config, { experiment: '6a' });
 * const { net, metadata } = pretrainedFromSafetensors('6a', bytes);
 * metadata.experiment; // '6a'
 */
export function pretrainedFromSafetensors(id: PresetId, bytes: Uint8Array): Pretrained {
  assertPretrained(id);
  const expected = presetConfig(id);
  let metadata: Record<string, string> = {};
  const net = modelFromSafetensors(bytes, (config: LSTM1997Options, meta) => {
    if (JSON.stringify(config) !== JSON.stringify(expected))
      throw new ValueError(`the weights of '${id}' were trained for another configuration: ${JSON.stringify(config)}`, 'presets');
    metadata = meta;
    return new LSTM1997(config);
  });
  return { net, metadata };
}

/** @internal Throws a ValueError unless trained weights ship for `id`. */
export function assertPretrained(id: string): asserts id is PretrainedId {
  if (!(PRETRAINED as readonly string[]).includes(id))
    throw new ValueError(`no trained weights ship for '${id}'; pretrained presets: ${PRETRAINED.join(', ')}`, 'presets');
}

/**
 * The file name of experiment `id`'s shipped weights, in `src/presets/weights/` (and `dist/weights/`).
 *
 * @example
 * pretrainedFileName('reber'); // 'reber-lstm1997.safetensors'
 */
export function pretrainedFileName(id: PretrainedId): string {
  return `${id}-lstm1997.safetensors`;
}

/** The baseline builders of experiment `id`. */
function baselinePresets(id: BaselinePresetId): BaselinePresets {
  const build =
    (model: BpttModel) =>
    (opts: BaselinePresetOptions = {}) => {
      const config = baselineConfig(id);
      if (opts.seed !== undefined) setSeed(opts.seed);
      return new BaselineNet(model, { ...config, dtype: opts.dtype ?? 'float64' });
    };
  return Object.fromEntries(BPTT_MODELS.map((m) => [m, build(m)])) as unknown as BaselinePresets;
}

/** The type of {@link presets}: one entry per experiment id. */
export type Presets = { readonly [K in BaselinePresetId]: K extends PresetId ? Preset : BaselinePresets & { readonly id: K } };

/**
 * @internal Builds the `presets` object; `readWeights` returns the bytes of a shipped weights file
 * (Node reads the file; the browser entry cannot read synchronously and throws, naming
 * `fetchPretrained`).
 */
export function createPresets(readWeights: (id: PretrainedId) => Uint8Array): Presets {
  return Object.fromEntries([
    ...PRESET_IDS.map((id): [PresetId, Preset] => {
      const hasPretrained = (PRETRAINED as readonly string[]).includes(id);
      return [
        id,
        {
          id,
          hasPretrained,
          lstm1997(opts: PresetOptions = {}) {
            if (opts.pretrained) {
              assertPretrained(id);
              return pretrainedFromSafetensors(id, readWeights(id)).net;
            }
            if (opts.seed !== undefined) setSeed(opts.seed);
            return new LSTM1997(presetConfig(id));
          },
          ...baselinePresets(id),
        },
      ];
    }),
    ...(['adding-modern', 'copy'] as const).map((id) => [id, { id, ...baselinePresets(id) }]),
  ]) as never;
}
