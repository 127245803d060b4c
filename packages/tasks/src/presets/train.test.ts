import { LSTM1997, loadSafetensors, modelFromSafetensors } from '@carousel/nn';
import { describe, expect, it } from 'vitest';
import { presetToSafetensors, TRAINABLE, trainPreset } from '../train.js';
import { presetConfig } from './index.js';

describe('trainPreset', () => {
  it('runs one trial on the preset net and saves it with its metadata', () => {
    const t = trainPreset('6a', { seed: 2, maxSequences: 50 });
    expect(t).toMatchObject({ experiment: '6a', model: 'lstm1997', seed: 2, lr: 0.5 });
    expect(t.result).toMatchObject({ success: false, sequences: 50, seed: 2 });
    expect(t.net.numParameters()).toBe(156);
    const bytes = presetToSafetensors(t, '0.1.0', { command: 'test' });
    const { metadata } = loadSafetensors(bytes);
    expect(metadata).toMatchObject({
      experiment: '6a',
      model: 'lstm1997',
      seed: '2',
      sequences: '50',
      success: 'false',
      version: '0.1.0',
      command: 'test',
    });
    const again = modelFromSafetensors(bytes, (c: typeof t.config) => new LSTM1997(c));
    expect(again.weight_output.dataSync()).toEqual(t.net.weight_output.dataSync());
    expect(JSON.parse(metadata.carousel!)).toEqual(presetConfig('6a'));
  });

  it('is deterministic for a seed, and trains the weights', () => {
    const a = trainPreset('3a', { seed: 8, maxSequences: 200 });
    const b = trainPreset('3a', { seed: 8, maxSequences: 200 });
    expect(a.net.weight_cell.dataSync()).toEqual(b.net.weight_cell.dataSync());
    const initial = trainPreset('3a', { seed: 8, maxSequences: 1, lr: 1e-12 });
    expect(a.net.weight_cell.dataSync()).not.toEqual(initial.net.weight_cell.dataSync());
  });

  it('reber: the trial of `carousel run reber` with the net kept (seed 6 solves it, as the shipped preset)', () => {
    const t = trainPreset('reber', { seed: 6, maxSequences: 5000 });
    expect(t.result).toMatchObject({ success: true, testError: 0, sequences: 2000 });
    expect(t.config).toMatchObject({ blocks: 3, cellsPerBlock: 2, g: 'sigmoid1', h: 'sigmoid2' });
    expect(t.net.numParameters()).toBe(276);
  });

  it('refuses experiments it cannot train and bad budgets', () => {
    expect(TRAINABLE).toEqual(['reber', '3a', '3b', '3c', '4', '5', '6a', '6b']);
    expect(() => trainPreset('2c')).toThrow(/cannot train '2c'/);
    expect(() => trainPreset('6a', { maxSequences: 0 })).toThrow(/maxSequences/);
  });
});
