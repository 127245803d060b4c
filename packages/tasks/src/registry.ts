import { ValueError } from '@carousel/autograd';
import type { Experiment } from './experiment.js';
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

/** Every experiment, by id. */
export const experiments: Readonly<Record<string, Experiment>> = {
  [embeddedReber.id]: embeddedReber,
  ...Object.fromEntries(
    [
      noiseFreeLongLags,
      ...noiseFreeLongLagsShort,
      noLocalRegularities,
      veryLongLags,
      ...veryLongLagsTable3,
      twoSequence,
      twoSequenceNoisy,
      twoSequenceNoisyTargets,
      ...twoSequenceTables,
    ].map((e) => [e.id, e]),
  ),
  [addingProblem.id]: addingProblem,
  adding: { ...addingProblem, id: 'adding' },
  [addingProblem500.id]: addingProblem500,
  [addingProblem1000.id]: addingProblem1000,
  [multiplicationProblem.id]: multiplicationProblem,
  multiplication: { ...multiplicationProblem, id: 'multiplication' },
  [multiplicationProblem13.id]: multiplicationProblem13,
  [temporalOrder2.id]: temporalOrder2,
  [temporalOrder3.id]: temporalOrder3,
  [modernAdding.id]: modernAdding,
  [copyMemory.id]: copyMemory,
};

/** The experiment `id`, or a ValueError listing the known ids. */
export function getExperiment(id: string): Experiment {
  const e = experiments[id];
  if (!e) throw new ValueError(`unknown experiment '${id}'; known: ${Object.keys(experiments).join(', ')}`, 'experiments');
  return e;
}
