// Loads an nn.LSTM + nn.Linear exported from PyTorch with safetensors (weights/tagger.safetensors;
// see the README for the PyTorch side), runs it, and checks the output against the one stored with
// the weights. It takes well under a second, so --quick (or QUICK=1) changes nothing.
import { readFileSync } from 'node:fs';
import { noGrad, type Tensor } from '@carousel/autograd';
import { fromPyTorch, Linear, LSTM, loadSafetensors } from '@carousel/nn';
import { Tagger } from './tagger.js';

const { tensors, metadata } = loadSafetensors(readFileSync(new URL('../weights/tagger.safetensors', import.meta.url)));
console.log(`tagger.safetensors: ${Object.keys(tensors).length} tensors, metadata ${JSON.stringify(metadata)}`);
for (const [name, t] of Object.entries(tensors)) console.log(`  ${name.padEnd(18)} ${t.dtype} [${t.shape.join(', ')}]`);

// 1. One layer at a time: fromPyTorch selects a submodule's keys and strips the prefix.
const lstm = new LSTM(4, 8, { numLayers: 2 }).loadStateDict(fromPyTorch(tensors, { prefix: 'lstm' }));
const fc = new Linear(8, 3).loadStateDict(fromPyTorch(tensors, { prefix: 'fc' }));

// 2. Or the whole model, whose field names match PyTorch's submodule names. loadStateDict is
// strict: drop the keys that are not weights (the probe) first, or it lists them as unexpected.
const { 'probe.input': input, 'probe.output': expected, ...weights } = tensors;
const model = new Tagger().loadStateDict(fromPyTorch(weights)).eval();

if (!input || !expected) throw new Error('the file has no probe.input / probe.output');
noGrad(() => {
  const byLayers = fc.forward(lstm.forward(input).output);
  const byModel = model.forward(input);
  const diff = (a: Tensor) => a.sub(expected).abs().max().item() as number;
  console.log(`\noutput [${byModel.shape.join(', ')}] at the last step: ${JSON.stringify(byModel.slice([-1]).arraySync())}`);
  console.log(`max |Carousel − stored output|: layer by layer ${diff(byLayers)}, whole model ${diff(byModel)}`);
  if (diff(byModel) > 1e-5) throw new Error('the outputs disagree');
});
