// A minimal line chart on a <canvas>: the raw losses in light grey, their running mean on top.

/** Draws `losses` (one per step) and their running mean over `window` steps. */
export function drawLoss(canvas: HTMLCanvasElement, losses: readonly number[], window = 10): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width: w, height: h } = canvas;
  const pad = { left: 44, right: 10, top: 10, bottom: 24 };
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#556';
  ctx.strokeStyle = '#dde';
  const yMax = Math.max(2, ...losses.slice(0, 5));
  const steps = Math.max(50, losses.length);
  const px = (i: number) => pad.left + (i / (steps - 1)) * (w - pad.left - pad.right);
  const py = (v: number) => pad.top + (1 - Math.min(v, yMax) / yMax) * (h - pad.top - pad.bottom);
  // grid and labels
  ctx.textAlign = 'right';
  for (let v = 0; v <= yMax + 1e-9; v += 0.5) {
    ctx.beginPath();
    ctx.moveTo(pad.left, py(v));
    ctx.lineTo(w - pad.right, py(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(1), pad.left - 6, py(v) + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText(`step ${losses.length}`, (pad.left + w - pad.right) / 2, h - 6);
  const line = (values: readonly number[], color: string, lineWidth: number) => {
    if (values.length < 2) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    ctx.moveTo(px(0), py(values[0]!));
    for (let i = 1; i < values.length; i++) ctx.lineTo(px(i), py(values[i]!));
    ctx.stroke();
    ctx.lineWidth = 1;
  };
  line(losses, '#b8bfd0', 1);
  line(runningMean(losses, window), '#2458c6', 2);
}

/** `out[i]` is the mean of `v[max(0, i − window + 1) ..= i]`. */
export function runningMean(v: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  v.forEach((x, i) => {
    sum += x;
    if (i >= window) sum -= v[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  });
  return out;
}
