// SVG charts rendered headless by Vega-Lite → Vega (no browser, no canvas): learning curves of
// a run and the gradient-flow plot. Vega is loaded on first use, so `carousel list` and bad
// input stay fast.
import type { RunSummary } from './runner.js';

/** One line of a chart. */
export interface Series {
  name: string;
  /** `[x, y]` points in x order. */
  points: readonly (readonly [number, number])[];
}

/** A line chart: one line per series. */
export interface LineChart {
  title: string;
  /** Axis titles. */
  x: string;
  y: string;
  series: readonly Series[];
  /** Logarithmic y axis (points with y ≤ 0 or non-finite are dropped). */
  logY?: boolean;
  /** Plot area in pixels (default 640 × 360). */
  width?: number;
  height?: number;
}

/**
 * Renders a line chart to an SVG document with Vega-Lite (compiled to Vega, rendered by a
 * headless Vega View).
 *
 * @example
 * const svg = await lineChartSvg({ title: 'loss', x: 'step', y: 'loss', series: [{ name: 'a', points: [[0, 1], [1, 0.5]] }] });
 */
export async function lineChartSvg(chart: LineChart): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const ok = (y: number) => Number.isFinite(y) && (!chart.logY || y > 0);
  const values = chart.series.flatMap((s) =>
    s.points.filter(([x, y]) => Number.isFinite(x) && ok(y)).map(([x, y]) => ({ series: s.name, x, y })),
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: chart.width ?? 640,
    height: chart.height ?? 360,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: values.length <= 200, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: chart.x },
      y: {
        field: 'y',
        type: 'quantitative',
        title: chart.y,
        ...(chart.logY ? { scale: { type: 'log' }, axis: { format: '.0e' } } : { scale: { zero: true } }),
      },
      color: { field: 'series', type: 'nominal', title: null, sort: chart.series.map((s) => s.name) },
    },
  } as const;
  const view = new vega.View(vega.parse(vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec), {
    renderer: 'none',
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The learning curves of a run: training error against sequences presented, one line per
 * trial (named by its seed, and where it succeeded).
 */
export function learningCurveChart(summary: RunSummary, title?: string): LineChart {
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    title: title ?? `${summary.experiment}: training error (${summary.model}, lr ${summary.lr})`,
    x: 'training sequences',
    y: 'training error',
    series: summary.trials.map((t) => ({
      name: `seed ${t.seed}${t.success ? `, solved at ${n(t.sequences)}` : ''}`,
      points: t.curve,
    })),
  };
}
