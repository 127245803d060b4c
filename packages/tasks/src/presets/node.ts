import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ValueError } from '@carousel/autograd';
import {
  assertPretrained,
  createPresets,
  type Presets,
  type Pretrained,
  type PretrainedId,
  pretrainedFileName,
  pretrainedFromSafetensors,
} from './index.js';

// The presets as Node loads them: the shipped weights are read from files beside the module.

/** Where the shipped weights of `id` are: beside this module in the sources, in `dist/weights` from the bundle. */
function weightsPath(id: PretrainedId): string {
  const name = pretrainedFileName(id);
  const candidates = [new URL(`./weights/${name}`, import.meta.url), new URL(`../src/presets/weights/${name}`, import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new ValueError(`the weights of preset '${id}' are missing (looked for ${name} beside the module)`, 'presets');
  return found;
}

/**
 * The shipped trained `lstm1997` of experiment `id`, with its file's metadata (experiment,
 * model, seed, sequences to success, date, package version, the command that trained it).
 * Node only (it reads the file synchronously); {@link fetchPretrained} works everywhere.
 *
 * @throws ValueError for an id without shipped weights, or if the file's configuration is not the preset's.
 * @example
 * const { net, metadata } = loadPretrained('6a');
 * metadata.seed; // the training seed, e.g. '1'
 */
export function loadPretrained(id: PretrainedId): Pretrained {
  assertPretrained(id);
  return pretrainedFromSafetensors(id, readFileSync(weightsPath(id)));
}

/**
 * The shipped trained `lstm1997` of experiment `id`, read asynchronously: in Node from the
 * package's files, in a browser (the `@carousel/tasks/browser` entry) fetched from the asset URL
 * a bundler gives the file. The same call works in both.
 *
 * @throws ValueError (as a rejection) for an id without shipped weights.
 * @example
 * const { net } = await fetchPretrained('reber');
 * net.numParameters(); // 276
 */
export async function fetchPretrained(id: PretrainedId): Promise<Pretrained> {
  assertPretrained(id);
  return pretrainedFromSafetensors(id, await readFile(weightsPath(id)));
}

/**
 * `presets.<id>.<model>()`. For every experiment with a paper net, `lstm1997()` builds a fresh
 * `LSTM1997` with the paper's configuration (Table 10); `{ pretrained: true }` loads the shipped
 * trained weights (experiments in {@link PRETRAINED}; in a browser, use {@link fetchPretrained}).
 * For those and the modern benchmarks, `elman()`, `lstm()`, `peephole()`, `coupled()` and `gru()`
 * build the experiment's BPTT baseline as its trials do (see {@link baselineConfig}; randomly
 * initialised, no shipped weights). Ids that are not identifiers take brackets.
 *
 * @example
 * const net = presets['6a'].lstm1997({ seed: 1 });
 * net.numParameters(); // 156
 * const trained = presets['6a'].lstm1997({ pretrained: true });
 * const gru = presets['3a'].gru({ seed: 1 }); // 8 hidden units, like 3a's GRU trials
 * const copy = presets.copy.lstm(); // 64 hidden units, linear outputs
 */
export const presets: Presets = createPresets((id) => readFileSync(weightsPath(id)));
