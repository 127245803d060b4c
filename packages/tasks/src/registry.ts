import { ValueError } from '@carousel/autograd';
import type { Experiment } from './experiment.js';
import { embeddedReber } from './experiments/exp1-embedded-reber.js';

/** Every experiment, by id. */
export const experiments: Readonly<Record<string, Experiment>> = {
  [embeddedReber.id]: embeddedReber,
};

/** The experiment `id`, or a ValueError listing the known ids. */
export function getExperiment(id: string): Experiment {
  const e = experiments[id];
  if (!e) throw new ValueError(`unknown experiment '${id}'; known: ${Object.keys(experiments).join(', ')}`, 'experiments');
  return e;
}
