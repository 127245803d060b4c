// Options every package's API docs share. Source links need a hosted git remote; a clone without
// one (a fresh local checkout, some CI runners) builds the site without them instead of warning.
import { execSync } from 'node:child_process';

let remote = '';
try {
  remote = execSync('git remote get-url origin', { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
} catch {}
const hosted = /^(https:\/\/|git@)(github|gitlab|bitbucket)/.test(remote);

/** @type {import('typedoc').TypeDocOptions} */
export default {
  excludeInternal: true,
  excludePrivate: true,
  disableSources: !hosted,
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // every exported declaration and every method users call needs a doc comment (fields of option
  // objects and op-table rows document themselves through their interface)
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
};
