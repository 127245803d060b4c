// One API site for every package (each package's own typedoc.json extends typedoc.base.mjs).
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { JSX, RendererEvent } from 'typedoc';
import base from './typedoc.base.mjs';

const require = createRequire(import.meta.url);
// a CommonJS module whose plugin is its `default` export
const markdownItKatex = require('@vscode/markdown-it-katex').default;
// the copy of KaTeX the plugin renders with: its stylesheet and fonts go with the site
const katexRequire = createRequire(require.resolve('@vscode/markdown-it-katex'));
const katex = katexRequire('katex');
const katexDist = dirname(katexRequire.resolve('katex'));

/** TypeDoc's logger, once the plugin is loaded. */
let logger;
/** KaTeX for the plugin, which on an error only prints it: a formula KaTeX cannot typeset fails the build. */
const checkedKatex = {
  renderToString(latex, options) {
    try {
      return katex.renderToString(latex, options);
    } catch (e) {
      logger.error(`KaTeX cannot typeset ${JSON.stringify(latex)}: ${e.message}`);
      throw e;
    }
  },
};

/**
 * Math in doc comments and guides: `$…$` inline and `$$…$$` blocks become KaTeX HTML when the
 * site is built (no script runs in the browser); the pages load KaTeX's stylesheet and its woff2
 * fonts, copied into the site.
 * @param {import('typedoc').Application} app
 */
function katexMath(app) {
  logger = app.logger;
  app.renderer.hooks.on('head.end', (context) =>
    JSX.createElement(
      JSX.Fragment,
      null,
      JSX.createElement('link', { rel: 'stylesheet', href: context.relativeURL('assets/katex/katex.min.css') }),
      // a wide formula scrolls instead of spilling out of a narrow page
      JSX.createElement('style', null, '.katex-display { overflow-x: auto; overflow-y: hidden; }'),
    ),
  );
  app.renderer.on(RendererEvent.END, (event) => {
    const out = join(event.outputDirectory, 'assets', 'katex');
    mkdirSync(join(out, 'fonts'), { recursive: true });
    cpSync(join(katexDist, 'katex.min.css'), join(out, 'katex.min.css'));
    // every browser that runs the site reads woff2, the first format the stylesheet offers
    for (const font of readdirSync(join(katexDist, 'fonts')).filter((f) => f.endsWith('.woff2')))
      cpSync(join(katexDist, 'fonts', font), join(out, 'fonts', font));
  });
}

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
  plugin: [katexMath],
  // strict: LaTeX that KaTeX would only warn about (Unicode in math mode…) is an error too
  markdownItLoader: (parser) => parser.use(markdownItKatex, { katex: checkedKatex, strict: 'error' }),
  treatWarningsAsErrors: true,
  excludeInternal: true,
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: true,
  },
  disableSources: base.disableSources,
  ...(base.sourceLinkTemplate && { sourceLinkTemplate: base.sourceLinkTemplate }),
};
