// The page: picks WebGPU (or falls back to the CPU), trains the Reber LSTM step by step, and shows
// the loss curve and the network's next-symbol predictions. The end-to-end test reads the
// `#backend`, `#step`, `#loss` and `#pretrained` elements and `body[data-state]`.
import { getBackend, setBackend } from '@carousel/autograd';
import { RTRL1997 } from '@carousel/nn';
import { embeddedReberString, fetchPretrained, legalSuccessors, oneHotSymbol, Rng, SYMBOLS } from '@carousel/tasks';
import { drawLoss, runningMean } from './chart.js';
import { type Prediction, ReberNet, ranksLegalFirst } from './train.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
/** `?backend=cpu` forces the CPU; `?steps=N` stops after N steps (default 2000). */
const wanted = params.get('backend') ?? 'webgpu';
const maxSteps = Number(params.get('steps') ?? 2000);

async function chooseBackend(): Promise<string> {
  if (wanted !== 'cpu') {
    try {
      await setBackend('webgpu');
      $('adapter').textContent = (await adapterDescription()) ?? 'WebGPU';
      return getBackend();
    } catch (e) {
      $('adapter').textContent = `WebGPU unavailable (${(e as Error).message}); using the CPU`;
    }
  } else $('adapter').textContent = 'CPU chosen by ?backend=cpu';
  await setBackend('cpu');
  return getBackend();
}

async function adapterDescription(): Promise<string | undefined> {
  const adapter = await navigator.gpu?.requestAdapter();
  const info = adapter?.info;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU' : undefined;
}

function showPredictions(p: Prediction): void {
  const table = document.createElement('table');
  table.className = 'pred';
  const head = table.createTHead().insertRow();
  head.insertCell().outerHTML = '<th></th>';
  for (let t = 0; t < p.probs.length; t++) {
    const th = document.createElement('th');
    th.textContent = p.string[t]!;
    th.title = p.right[t] ? 'legal successors ranked first' : 'an illegal symbol outranks a legal one';
    if (!p.right[t]) th.className = 'wrong';
    head.appendChild(th);
  }
  const body = table.createTBody();
  SYMBOLS.forEach((symbol, k) => {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.textContent = symbol;
    row.appendChild(th);
    p.probs.forEach((probs, t) => {
      const cell = row.insertCell();
      const v = probs[k]!;
      cell.textContent = v >= 0.005 ? v.toFixed(2).replace(/^0/, '') : '';
      cell.style.background = `rgba(36, 88, 198, ${v.toFixed(3)})`;
      cell.style.color = v > 0.5 ? 'white' : 'inherit';
      if (p.legal[t]!.has(symbol)) cell.className = 'legal';
    });
  });
  $('predictions').replaceChildren(table);
}

/**
 * The paper's own net, as it ships with @carousel/tasks: the LSTM1997 trained by the paper's RTRL.
 * Returns how many of `strings` it predicts right. It runs on Float64Arrays (CPU), so it loads
 * before the backend switches to WebGPU.
 */
async function pretrainedRight(strings: readonly string[]): Promise<number> {
  const { net, metadata } = await fetchPretrained('reber');
  $('pretrained-source').textContent = `${metadata.command} (solved after ${metadata.sequences} strings)`;
  const rtrl = new RTRL1997(net, { lr: 0 });
  return strings.filter((s) => {
    rtrl.reset();
    return legalSuccessors(s).every((legal, t) => ranksLegalFirst(rtrl.step(oneHotSymbol(s[t]!)), legal));
  }).length;
}

async function main(): Promise<void> {
  const sample = embeddedReberString(new Rng(2024));
  const testSet = Array.from({ length: 20 }, (_, i) => embeddedReberString(new Rng(1000 + i)));
  $('pretrained').textContent = `${await pretrainedRight(testSet)} / ${testSet.length} test strings`;
  const backend = await chooseBackend();
  $('backend').textContent = backend;
  document.body.dataset.backend = backend;
  const net = new ReberNet();
  const rng = new Rng(1);
  const losses: number[] = [];
  document.body.dataset.state = 'training';
  $('status').textContent = 'training';
  const started = performance.now();
  for (let step = 1; step <= maxSteps; step++) {
    losses.push(await net.step(rng));
    $('step').textContent = String(step);
    $('loss').textContent = runningMean(losses, 10).at(-1)!.toFixed(4);
    drawLoss($<HTMLCanvasElement>('chart'), losses);
    if (step % 20 === 0 || step === 1) {
      const [shown, ...tested] = await net.predict([sample, ...testSet]);
      showPredictions(shown!);
      const right = tested.filter((p) => p.right.every(Boolean)).length;
      $('accuracy').textContent = `${right} / ${testSet.length} test strings`;
      const rate = (step / (performance.now() - started)) * 1000;
      $('status').textContent = `training, ${rate.toFixed(1)} steps/s`;
    }
    // let the page paint between steps
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  net.dispose();
  document.body.dataset.state = 'done';
  $('status').textContent = `done after ${maxSteps} steps`;
}

main().catch((e: unknown) => {
  document.body.dataset.state = 'error';
  const el = $('error');
  el.hidden = false;
  el.textContent = `Error: ${(e as Error)?.stack ?? String(e)}`;
  $('status').textContent = 'error';
  console.error(e);
});
