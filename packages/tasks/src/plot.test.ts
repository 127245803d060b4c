import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { learningCurveChart, lineChartSvg } from './plot.js';
import { planRun, summarize } from './runner.js';

describe('SVG charts', () => {
  it('draws learning curves as a valid SVG document', async () => {
    const summary = summarize(planRun('reber', { maxSequences: 3000 }), [
      {
        seed: 1,
        success: true,
        sequences: 3000,
        testError: 0,
        aborted: false,
        curve: [
          [1000, 0.9],
          [2000, 0.4],
          [3000, 0],
        ],
      },
      {
        seed: 2,
        success: false,
        sequences: 3000,
        testError: 0.5,
        aborted: false,
        curve: [
          [1000, 1],
          [2000, 0.8],
          [3000, 0.7],
        ],
      },
    ]);
    const svg = await lineChartSvg(learningCurveChart(summary));
    expect(XMLValidator.validate(svg)).toBe(true);
    const root = new XMLParser({ ignoreAttributes: false }).parse(svg).svg;
    expect(root['@_xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(Number(root['@_width'])).toBeGreaterThan(600);
    expect(svg).toContain('seed 1, solved at 3,000');
    expect(svg).toContain('training sequences');
    expect((svg.match(/role-mark[^"]*marktype-line|mark-line role-mark/g) ?? []).length).toBeGreaterThan(0);
  });

  it('a log axis drops points it cannot show', async () => {
    const svg = await lineChartSvg({
      title: 'log',
      x: 'q',
      y: 'norm',
      logY: true,
      series: [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 0],
            [2, 1e-6],
            [3, Number.NaN],
          ],
        },
      ],
    });
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('1e-6');
  });
});
