// One API site for every package (each package's own typedoc.json extends typedoc.base.mjs).
import base from './typedoc.base.mjs';

/** @type {import('typedoc').TypeDocOptions} */
export default {
  $schema: 'https://typedoc.org/schema.json',
  name: 'Carousel',
  entryPointStrategy: 'packages',
  entryPoints: ['packages/autograd', 'packages/nn', 'packages/tasks'],
  out: 'docs/api',
  readme: 'README.md',
  // the guides, as pages of the site (docs/api is the output, not a source)
  projectDocuments: ['docs/*.md'],
  // TypeDoc's default languages, plus the Python snippets of the guides (exporting weights)
  highlightLanguages: ['bash', 'console', 'css', 'html', 'javascript', 'json', 'jsonc', 'json5', 'yaml', 'tsx', 'typescript', 'python'],
  treatWarningsAsErrors: true,
  excludeInternal: true,
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: true,
  },
  disableSources: base.disableSources,
};
