// Runs the TSDoc examples of one package for scripts/doctest.ts, in one process (under tsx):
//   node tsx/cli --conditions=@carousel/source doctest-runner.mjs <modules.json> <results.jsonl>
// Each example is its own module, imported in turn. Before it starts, a line { path } is appended
// to the results; when it ends, { path, ms, error, output }, so a hang or a crash still names the
// example in flight. What an example prints is kept, not shown, unless it fails.
import { appendFileSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const [list, results] = process.argv.slice(2);
const modules = JSON.parse(readFileSync(list, 'utf8'));
let output = [];
for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = (...parts) => void output.push(format(...parts));
// a promise an example forgot to await fails that example, not a later one or the process
let rejected = null;
process.on('unhandledRejection', (reason) => {
  rejected ??= reason;
});
const describe = (e) => (e instanceof Error ? (e.stack ?? String(e)) : `a non-Error was thrown: ${format(e)}`);

for (const path of modules) {
  appendFileSync(results, `${JSON.stringify({ path })}\n`);
  output = [];
  const t0 = performance.now();
  let error = null;
  try {
    await import(pathToFileURL(path).href);
  } catch (e) {
    error = e;
  }
  // let rejections of the example's last promises surface before it is judged
  await new Promise((resolve) => setImmediate(resolve));
  error ??= rejected;
  rejected = null;
  const ms = performance.now() - t0;
  appendFileSync(results, `${JSON.stringify({ path, ms, error: error === null ? null : describe(error), output })}\n`);
}
// worker pools or timers an example left behind must not keep the run alive
process.exit(0);
