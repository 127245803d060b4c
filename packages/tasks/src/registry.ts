import { ValueError } from '@carousel/autograd';
import type { Experiment } from './experiment.js';
import { continualReber } from './experiments/cerg.js';
import { embeddedReber } from './experiments/exp1-embedded-reber.js';
import { noiseFreeLongLags, noiseFreeLongLagsShort } from './experiments/exp2a-long-lags.js';
import { noLocalRegularities } from './experiments/exp2b-no-local-regularities.js';
import { veryLongLags, veryLongLagsTable3 } from './experiments/exp2c-very-long-lags.js';
import { twoSequence, twoSequenceNoisy, twoSequenceNoisyTargets, twoSequenceTables } from './experiments/exp3-two-sequence.js';
import { addingProblem, addingProblem500, addingProblem1000 } from './experiments/exp4-adding.js';
import { multiplicationProblem, multiplicationProblem13 } from './experiments/exp5-multiplication.js';
import { temporalOrder2, temporalOrder3 } from './experiments/exp6-temporal-order.js';
import { modernAdding } from './experiments/modern-adding.js';
import { copyMemory } from './experiments/modern-copy.js';

/** The rows of one of Tables 4–6 (3a, 3b, 3c), in the table's order. */
const table3 = (variant: string) => twoSequenceTables.filter((e) => e.id.startsWith(`${variant}-`));

/**
 * Every experiment once, in the order of the papers: Hochreiter & Schmidhuber 1997's
 * experiments 1–6 (each task's main row, then the other rows of its table), Gers et al. 2000's
 * continual embedded Reber grammar, then the modern benchmarks. `carousel list` prints this.
 *
 * @example
 * experimentList.map((e) => e.id).slice(0, 2); // ['reber', '2a']
 */
export const experimentList: readonly Experiment[] = [
  embeddedReber,
  noiseFreeLongLags,
  ...noiseFreeLongLagsShort,
  noLocalRegularities,
  veryLongLags,
  ...veryLongLagsTable3,
  twoSequence,
  ...table3('3a'),
  twoSequenceNoisy,
  ...table3('3b'),
  twoSequenceNoisyTargets,
  ...table3('3c'),
  addingProblem,
  addingProblem500,
  addingProblem1000,
  multiplicationProblem,
  multiplicationProblem13,
  temporalOrder2,
  temporalOrder3,
  continualReber,
  modernAdding,
  copyMemory,
];

/**
 * Other ids that run the same experiment (alias → id).
 *
 * @example
 * experimentAliases.adding; // '4'
 */
export const experimentAliases: Readonly<Record<string, string>> = { adding: addingProblem.id, multiplication: multiplicationProblem.id };

/** Every experiment by id, aliases included (an alias's experiment carries the alias as its id). */
export const experiments: Readonly<Record<string, Experiment>> = {
  ...Object.fromEntries(experimentList.map((e) => [e.id, e])),
  ...Object.fromEntries(
    Object.entries(experimentAliases).map(([alias, id]) => [alias, { ...experimentList.find((e) => e.id === id)!, id: alias }]),
  ),
};

/** The experiment `id`, or a ValueError listing the known ids. */
export function getExperiment(id: string): Experiment {
  const e = Object.hasOwn(experiments, id) ? experiments[id] : undefined;
  if (!e)
    throw new ValueError(
      `unknown experiment '${id}'; known: ${[...experimentList.map((x) => x.id), ...Object.keys(experimentAliases)].join(', ')}`,
      'experiments',
    );
  return e;
}
