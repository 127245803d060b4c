import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setSeed, ValueError } from '@carousel/autograd';
import { LSTM1997, type LSTM1997Options, modelFromSafetensors } from '@carousel/nn';
import { EXP2AB_NET } from '../experiments/exp2a-long-lags.js';
import { EXP2C_NET } from '../experiments/exp2c-very-long-lags.js';
import { EXP3_NET } from '../experiments/exp3-two-sequence.js';
import { addingTask } from '../experiments/exp4-adding.js';
import { multiplicationTask } from '../experiments/exp5-multiplication.js';
import { temporalOrderTask } from '../experiments/exp6-temporal-order.js';
import type { Architectures } from '../learners/index.js';

/**
 * Model-zoo presets: the paper's net for each experiment, built with the configuration that
 * experiment trains (taken from the experiment files, not repeated here), and — for the
 * experiments whose trained weights ship in `weights/` — the trained net.
 */

/** The net of one experiment: its sizes and the paper's LSTM options (Table 10). */
interface PresetSpec {
  inputSize: number;
  outputSize: number;
  net: Architectures['lstm1997'];
}

const endTarget = (task: { inputSize: number; outputSize: number; arch: Architectures }): PresetSpec => ({
  inputSize: task.inputSize,
  outputSize: task.outputSize,
  net: task.arch.lstm1997,
});

/** The experiments with a preset, and how each builds its net (2a/2b: p = 100; 2c: q = p = 50). */
const SPECS = {
  '2a': (): PresetSpec => ({ inputSize: 101, outputSize: 101, net: EXP2AB_NET }),
  '2b': (): PresetSpec => ({ inputSize: 101, outputSize: 101, net: EXP2AB_NET }),
  '2c': (): PresetSpec => ({ inputSize: 54, outputSize: 2, net: EXP2C_NET }),
  '3a': (): PresetSpec => ({ inputSize: 1, outputSize: 1, net: EXP3_NET }),
  '3b': (): PresetSpec => ({ inputSize: 1, outputSize: 1, net: EXP3_NET }),
  '3c': (): PresetSpec => ({ inputSize: 1, outputSize: 1, net: EXP3_NET }),
  '4': () => endTarget(addingTask(100)),
  '5': () => endTarget(multiplicationTask(140)),
  '6a': () => endTarget(temporalOrderTask('6a')),
  '6b': () => endTarget(temporalOrderTask('6b')),
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
export const PRESET_IDS: readonly PresetId[] = ['2a', '2b', '2c', '3a', '3b', '3c', '4', '5', '6a', '6b'];

/**
 * Experiments whose trained `lstm1997` weights ship with the package (in
 * `src/presets/weights/<id>-lstm1997.safetensors`, trained by `carousel train`).
 *
 * @example
 * for (const id of PRETRAINED) presets[id].lstm1997({ pretrained: true });
 */
export const PRETRAINED = ['3a', '6a'] as const satisfies readonly PresetId[];

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

/** Options of {@link Preset.lstm1997}. */
export interface PresetOptions {
  /** Load the shipped trained weights (only for the ids in {@link PRETRAINED}). */
  pretrained?: boolean;
  /** Seeds the random initial weights (ignored with `pretrained`); default: the global stream as it is. */
  seed?: number;
}

/** One experiment's presets. */
export interface Preset {
  readonly id: PresetId;
  /** Whether trained weights ship for this experiment. */
  readonly hasPretrained: boolean;
  /** A fresh `LSTM1997` with the paper's configuration for this experiment (randomly initialised, or pretrained). */
  lstm1997(opts?: PresetOptions): LSTM1997;
}

/** Where the shipped weights of `id` are: beside this module in the sources, `../src/presets/weights` from the bundle in dist. */
function weightsPath(id: string): string {
  const name = `${id}-lstm1997.safetensors`;
  const candidates = [new URL(`./weights/${name}`, import.meta.url), new URL(`../src/presets/weights/${name}`, import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new ValueError(`the weights of preset '${id}' are missing (looked for ${name} beside the module)`, 'presets');
  return found;
}

/**
 * The shipped trained `lstm1997` of experiment `id`, with its file's metadata (experiment,
 * model, seed, sequences to success, date, package version, the command that trained it).
 * Throws a ValueError for an id without shipped weights, or if the file's configuration is not
 * the preset's.
 *
 * @example
 * const { net, metadata } = loadPretrained('6a');
 * metadata.seed; // the training seed, e.g. '1'
 */
export function loadPretrained(id: PresetId): { net: LSTM1997; metadata: Record<string, string> } {
  if (!(PRETRAINED as readonly string[]).includes(id))
    throw new ValueError(`no trained weights ship for '${id}'; pretrained presets: ${PRETRAINED.join(', ')}`, 'presets');
  const expected = presetConfig(id);
  let metadata: Record<string, string> = {};
  const net = modelFromSafetensors(readFileSync(weightsPath(id)), (config: LSTM1997Options, meta) => {
    if (JSON.stringify(config) !== JSON.stringify(expected))
      throw new ValueError(`the weights of '${id}' were trained for another configuration: ${JSON.stringify(config)}`, 'presets');
    metadata = meta;
    return new LSTM1997(config);
  });
  return { net, metadata };
}

/**
 * `presets.<id>.lstm1997()`: for every experiment with a paper net, a fresh `LSTM1997` with the
 * paper's configuration (Table 10); `{ pretrained: true }` loads the shipped trained weights
 * (experiments in {@link PRETRAINED}). Ids that are not identifiers take brackets.
 *
 * @example
 * const net = presets['6a'].lstm1997({ seed: 1 });
 * net.numParameters(); // 156
 * const trained = presets['6a'].lstm1997({ pretrained: true });
 */
export const presets: Readonly<Record<PresetId, Preset>> = Object.fromEntries(
  PRESET_IDS.map((id): [PresetId, Preset] => {
    const hasPretrained = (PRETRAINED as readonly string[]).includes(id);
    return [
      id,
      {
        id,
        hasPretrained,
        lstm1997(opts: PresetOptions = {}) {
          if (opts.pretrained) return loadPretrained(id).net;
          if (opts.seed !== undefined) setSeed(opts.seed);
          return new LSTM1997(presetConfig(id));
        },
      },
    ];
  }),
) as Record<PresetId, Preset>;
