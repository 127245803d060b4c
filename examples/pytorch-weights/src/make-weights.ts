// Writes weights/tagger.safetensors the way the PyTorch script in the README does — the model's
// state dict plus a probe input and the model's output on it — but with Carousel, whose LSTM is
// numerically PyTorch's, since this repository has no Python. Run: pnpm make-weights
import { writeFileSync } from 'node:fs';
import { noGrad, randn, setSeed } from '@carousel/autograd';
import { saveSafetensors } from '@carousel/nn';
import { Tagger } from './tagger.js';

setSeed(0);
const model = new Tagger().eval();
const probe = randn([5, 1, 4]);
const tensors = { ...model.stateDict(), 'probe.input': probe, 'probe.output': noGrad(() => model.forward(probe)) };
const file = new URL('../weights/tagger.safetensors', import.meta.url);
writeFileSync(file, saveSafetensors(tensors, { format: 'pt', producer: 'examples/pytorch-weights/src/make-weights.ts' }));
console.log(`wrote ${Object.keys(tensors).length} tensors to ${file.pathname}`);
