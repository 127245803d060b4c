import { describe, expect, it } from 'vitest';
import { experimentAliases, experimentList, experiments, getExperiment } from './registry.js';

describe('the registry', () => {
  it("lists every experiment once, in the papers' order", () => {
    const ids = experimentList.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const main = ['reber', '2a', '2b', '2c', '3a', '3b', '3c', '4', '5', '6a', '6b', 'cerg', 'adding-modern', 'copy'];
    const at = main.map((id) => ids.indexOf(id));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    // a task's table rows follow its main row, before the next task
    expect(ids.indexOf('2c-q1000-p50')).toBeLessThan(ids.indexOf('3a'));
    expect(ids.indexOf('3a-t1000-n3')).toBeLessThan(ids.indexOf('3b'));
    expect(ids.indexOf('4-1000')).toBeLessThan(ids.indexOf('5'));
    expect(ids.at(-1)).toBe('copy');
  });

  it('finds every listed experiment and every alias by id', () => {
    expect(Object.keys(experiments).sort()).toEqual([...experimentList.map((e) => e.id), ...Object.keys(experimentAliases)].sort());
    for (const e of experimentList) expect(getExperiment(e.id)).toBe(e);
    for (const [alias, id] of Object.entries(experimentAliases)) {
      const a = getExperiment(alias);
      expect(a.id).toBe(alias);
      expect(a.runTrial).toBe(getExperiment(id).runTrial);
      expect(a.title).toBe(getExperiment(id).title);
    }
  });

  it('names the known ids, in order, for an unknown one', () => {
    expect(() => getExperiment('nope')).toThrow(/unknown experiment 'nope'; known: reber, 2a, .*, copy, adding, multiplication$/);
    expect(() => getExperiment('toString')).toThrow(/unknown experiment 'toString'/);
  });
});
