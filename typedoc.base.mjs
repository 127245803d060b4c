// Options every package's API docs share.
//
// Source links: when the root package.json's `repository` names a GitHub, GitLab or Bitbucket
// repository, they point there (at the commit being documented); otherwise TypeDoc guesses them
// from a hosted git remote; a clone with neither (a fresh local checkout, some CI runners) builds
// the site without them instead of warning.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Where each git host shows a line of a file at a commit, in TypeDoc's `sourceLinkTemplate` terms. */
const HOSTS = {
  github: 'https://github.com/{repo}/blob/{gitRevision}/{path}#L{line}',
  gitlab: 'https://gitlab.com/{repo}/-/blob/{gitRevision}/{path}#L{line}',
  bitbucket: 'https://bitbucket.org/{repo}/src/{gitRevision}/{path}#lines-{line}',
};

/** The source-link template for a package.json `repository` (a URL, or npm's `host:owner/name` shorthand). */
export function sourceLinkTemplateFor(repository) {
  const url = typeof repository === 'string' ? repository : repository?.url;
  if (!url) return undefined;
  const shorthand = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(url);
  const [host, repo] = shorthand
    ? [shorthand[1] ?? 'github', shorthand[2]]
    : (/^(?:git\+)?(?:https?:\/\/|git@|ssh:\/\/git@)(github|gitlab|bitbucket)\.(?:com|org)[/:]([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/
        .exec(url)
        ?.slice(1) ?? []);
  return host && HOSTS[host].replace('{repo}', repo);
}

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const sourceLinkTemplate = sourceLinkTemplateFor(pkg.repository);
let remote = '';
try {
  remote = execSync('git remote get-url origin', { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
} catch {}
const hostedRemote = /^(https:\/\/|git@)(github|gitlab|bitbucket)/.test(remote);

/** @type {import('typedoc').TypeDocOptions} */
export default {
  excludeInternal: true,
  excludePrivate: true,
  disableSources: !sourceLinkTemplate && !hostedRemote,
  ...(sourceLinkTemplate && { sourceLinkTemplate }),
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // every exported declaration and every method users call needs a doc comment (fields of option
  // objects and op-table rows document themselves through their interface)
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
};
