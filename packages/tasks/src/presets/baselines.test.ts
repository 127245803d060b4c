import { randn } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { exp2abLearner } from '../experiments/exp2a-long-lags.js';
import { endTargetLearner } from '../experiments/exp4-6-protocol.js';
import { addingTask } from '../experiments/exp4-adding.js';
import { temporalOrderTask } from '../experiments/exp6-temporal-order.js';
import { modernModel } from '../experiments/modern-common.js';
import { BPTT_MODELS, type BpttModel, bpttLearner } from '../learners/index.js';
import { BASELINE_PRESET_IDS, type BaselinePresetId, baselineConfig, PRESET_IDS } from './index.js';
import { presets } from './node.js';

/** Weights of a zoo layer (two bias vectors per gate, as PyTorch) and its linear head. */
function weights(model: BpttModel, I: number, K: number, H: number): number {
  const gates = { elman: 1, lstm: 4, peephole: 4, coupled: 3, gru: 3 }[model];
  return gates * H * (I + H + 2) + (model === 'peephole' ? 3 * H : 0) + K * (H + 1);
}

describe('baseline presets', () => {
  it('size each experiment’s baselines as its trials do', () => {
    // 2a–3c: the Elman size nearest the paper net's weight count (10,504; 364; 102); 4–6: the
    // paper net's hidden units; the modern tasks: 64
    const hidden: Record<BaselinePresetId, number> = {
      reber: 12,
      '2a': 42,
      '2b': 42,
      '2c': 6,
      '3a': 8,
      '3b': 8,
      '3c': 8,
      '4': 8,
      '5': 8,
      '6a': 8,
      '6b': 12,
      'adding-modern': 64,
      copy: 64,
    };
    expect([...BASELINE_PRESET_IDS].sort()).toEqual(Object.keys(hidden).sort());
    for (const id of BASELINE_PRESET_IDS) expect(baselineConfig(id).hidden, id).toBe(hidden[id]);
    expect(baselineConfig('copy')).toEqual({ inputSize: 10, outputSize: 10, hidden: 64, outputActivation: 'identity' });
    expect(baselineConfig('6b')).toMatchObject({ inputSize: 8, outputSize: 8, outputActivation: 'logistic' });
  });

  it('have the weight count of the nets the experiments train', () => {
    for (const id of BASELINE_PRESET_IDS) {
      const { inputSize: I, outputSize: K, hidden: H } = baselineConfig(id);
      for (const model of BPTT_MODELS)
        expect(presets[id][model]({ seed: 1 }).numParameters(), `${id} ${model}`).toBe(weights(model, I, K, H));
    }
    // against the experiments' own builders
    expect(presets['2a'].gru().numParameters()).toBe(exp2abLearner('gru', 100, 1, 1).numWeights);
    expect(presets['4'].elman().numParameters()).toBe(endTargetLearner(addingTask(100), 'elman', 0.5, 1).numWeights);
    expect(presets['6b'].peephole().numParameters()).toBe(endTargetLearner(temporalOrderTask('6b'), 'peephole', 0.1, 1).numWeights);
    const copy = modernModel('coupled', 10, 10, 64).params.reduce((n, p) => n + p.size, 0);
    expect(presets.copy.coupled().numParameters()).toBe(copy);
  });

  it('build, from a seed, the very net the experiment’s learner starts from', () => {
    for (const model of BPTT_MODELS) {
      const { inputSize, outputSize, hidden } = baselineConfig('3a');
      const learner = bpttLearner(model, { inputSize, outputSize, lr: 1, seed: 5 }, hidden);
      const preset = presets['3a'][model]({ seed: 5 });
      const a = learner.net.namedParameters();
      const b = preset.namedParameters();
      expect(b.map(([n]) => n)).toEqual(a.map(([n]) => n));
      for (const [i, [name, p]] of b.entries()) expect([...p.dataSync()], `${model} ${name}`).toEqual([...a[i]![1].dataSync()]);
    }
  });

  it('map [T, B, inputs] to [T, B, outputs], squashed as the experiment’s outputs are', () => {
    for (const id of ['2c', '6a', 'adding-modern'] as const) {
      const { inputSize, outputSize, outputActivation } = baselineConfig(id);
      for (const model of BPTT_MODELS) {
        const net = presets[id][model]({ seed: 2 });
        const y = net.forward(randn([9, 3, inputSize], { dtype: 'float64' }).mul(3));
        expect(y.shape, `${id} ${model}`).toEqual([9, 3, outputSize]);
        const inUnit = [...y.dataSync()].every((v) => v > 0 && v < 1);
        if (outputActivation === 'logistic') expect(inUnit).toBe(true);
      }
    }
    expect(presets['6a'].gru({ dtype: 'float32' }).config.dtype).toBe('float32');
  });

  it('sit beside the paper net, and the modern tasks have baselines only', () => {
    for (const id of PRESET_IDS) expect(typeof presets[id].lstm1997).toBe('function');
    expect('lstm1997' in presets.copy).toBe(false);
    expect(presets['adding-modern'].id).toBe('adding-modern');
    expect(() => baselineConfig('cerg' as never)).toThrow(/no baseline presets for experiment 'cerg'/);
  });
});
