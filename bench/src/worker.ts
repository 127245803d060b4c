// A worker of `pnpm bench` (forked by isolated.ts): one JS framework set up for one workload, in a
// process of its own, answering the harness's requests one at a time over IPC. It exits when the
// harness closes the channel (after `dispose`, or when the bench itself exits).
import { JS_FRAMEWORKS, READY, type Reply, type Request } from './isolated.js';
import type { ProcessMemory, Runner } from './runner.js';

let runner: Runner | undefined;
// read after every request (so between samples), as the harness read its own process before
let peakArrayBuffers = process.memoryUsage().arrayBuffers;

const set = (): Runner => {
  if (!runner) throw new Error('worker: no framework set up (send setup first)');
  return runner;
};

async function handle(req: Request): Promise<unknown> {
  switch (req.cmd) {
    case 'setup': {
      const load = JS_FRAMEWORKS[req.framework];
      if (!load) throw new Error(`worker: unknown framework ${req.framework}; expected ${Object.keys(JS_FRAMEWORKS).join(', ')}`);
      runner = await (await load()).setup(req.workload);
      return { tensorBytes: runner.tensorBytes !== undefined };
    }
    case 'run':
      return set().run(req.iters);
    case 'loss':
      return set().lossStep();
    case 'tensorBytes':
      return set().tensorBytes?.();
    case 'memory':
      // maxRSS is in KiB (getrusage's ru_maxrss)
      return { peakRss: process.resourceUsage().maxRSS * 1024, peakArrayBuffers } satisfies ProcessMemory;
    case 'dispose':
      await runner?.dispose();
      runner = undefined;
      return undefined;
  }
}

const send = (m: Reply) => process.send?.(m);
let queue = Promise.resolve();
process.on('message', (req: Request) => {
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id: req.id, ok: true, value: await handle(req) };
    } catch (e) {
      reply = { id: req.id, ok: false, error: String((e as Error)?.message ?? e) };
    }
    peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
    send(reply);
  });
});
process.on('disconnect', () => process.exit(0));
send({ id: READY, ok: true, value: undefined });
