// End to end: serves the page with Vite on 127.0.0.1, opens it in headless Chromium (Debian's,
// through playwright-core) with WebGPU enabled, checks the page chose the WebGPU backend, waits
// (bounded) for the training loss to fall below a threshold, and saves a screenshot. Before
// training, the page loads the shipped pretrained LSTM1997 (fetched as an asset), which must get
// all 20 test strings right.
//
// Needs /usr/bin/chromium (Debian's `chromium` package) or CHROMIUM_PATH. With `CI` set a missing
// browser fails the test; locally it is skipped with a message.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Mean cross-entropy of the last 10 steps must fall below this (ln 7 ≈ 1.95 at the start, ≈ 0.5 when learnt). */
const LOSS_THRESHOLD = 0.9;
const TRAIN_TIMEOUT_MS = 90_000;
const START_TIMEOUT_MS = 30_000;

/**
 * Flags that give headless Chromium a WebGPU adapter on a machine without a GPU (SwiftShader's
 * Vulkan, bundled with Chromium), and keep it off the network. Playwright adds --headless,
 * --no-sandbox and a fresh temporary profile (--user-data-dir) itself.
 */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A port that was free a moment ago (Vite moves to the next one if it is taken by then). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((ok, fail) => probe.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = probe.address();
  await new Promise((ok) => probe.close(ok));
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI)
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH`);
  console.warn(`[browser e2e] skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
}

describe.skipIf(!haveChromium)('examples/browser in headless Chromium', () => {
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url = '';
  const logs: string[] = [];

  beforeAll(async () => {
    server = await createServer({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: await freePort(), strictPort: false, hmr: false },
    });
    await server.listen();
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error(`Vite server has no TCP address: ${String(address)}`);
    url = `http://127.0.0.1:${address.port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  });

  /** The page's error box and recent console lines, for failure messages. */
  const diagnostics = async () => {
    const error = await page
      .locator('#error')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    return `\n  page error: ${error || '(none)'}\n  status: ${await text('#status')}\n  last console lines:\n    ${logs.slice(-15).join('\n    ') || '(none)'}`;
  };
  const text = (selector: string) =>
    page
      .locator(selector)
      .textContent({ timeout: 1000 })
      .catch(() => '?');

  it('trains on WebGPU until the loss falls below the threshold', async () => {
    await page.goto(url, { waitUntil: 'load', timeout: START_TIMEOUT_MS });

    // started: training (or failed)
    await page
      .waitForFunction(() => ['training', 'done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: START_TIMEOUT_MS })
      .catch(async (e) => {
        throw new Error(`the page did not start training within ${START_TIMEOUT_MS} ms (${(e as Error).message})${await diagnostics()}`);
      });
    if ((await page.getAttribute('body', 'data-state')) === 'error') throw new Error(`the page failed to start${await diagnostics()}`);

    // the shipped LSTM1997, fetched as an asset through @carousel/tasks's browser entry
    expect(await text('#pretrained'), `the pretrained net${await diagnostics()}`).toBe('20 / 20 test strings');

    const backend = await text('#backend');
    expect(backend, `the page fell back to '${backend}': ${await text('#adapter')}${await diagnostics()}`).toBe('webgpu');

    const started = Date.now();
    await page
      .waitForFunction(
        (threshold) => {
          if (document.body.dataset.state === 'error') return true;
          const step = Number(document.getElementById('step')?.textContent);
          const loss = Number(document.getElementById('loss')?.textContent);
          return step >= 10 && loss < threshold;
        },
        LOSS_THRESHOLD,
        { timeout: TRAIN_TIMEOUT_MS, polling: 250 },
      )
      .catch(async (e) => {
        throw new Error(
          `the loss did not fall below ${LOSS_THRESHOLD} within ${TRAIN_TIMEOUT_MS} ms: step ${await text('#step')}, ` +
            `loss ${await text('#loss')} (${(e as Error).message})${await diagnostics()}`,
        );
      });
    if ((await page.getAttribute('body', 'data-state')) === 'error') throw new Error(`training failed${await diagnostics()}`);

    const step = await text('#step');
    const loss = await text('#loss');
    console.log(
      `[browser e2e] backend ${backend} (${await text('#adapter')}): loss ${loss} < ${LOSS_THRESHOLD} at step ${step}, ` +
        `after ${((Date.now() - started) / 1000).toFixed(1)} s of training; ${await text('#status')}`,
    );
    mkdirSync(RESULTS, { recursive: true });
    const shot = join(RESULTS, 'reber-webgpu.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`[browser e2e] screenshot: ${shot}`);
    expect(Number(loss)).toBeLessThan(LOSS_THRESHOLD);
  });
});
