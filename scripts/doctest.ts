// Doc tests: every `@example` in the TSDoc of packages/*/src, and every ```ts block of the guides
// (docs/*.md) and READMEs, must type-check; every self-contained `@example` must also run.
//
// - A TSDoc example becomes a module that imports, by name, the public API of every package (its
//   own package first, then the others, then `@carousel/autograd/testing`), the exports of its
//   own source file (for examples of internal helpers) and a few common names (`fc`,
//   `readFileSync`, `writeFileSync`). Its body runs in a block, so it may shadow those names.
// - An example is self-contained, and runs, when the names it uses come only from the @carousel
//   packages (and fast-check) and it needs no network, browser or WebGPU. One that is but should
//   not run (it trains for minutes) puts its code in a fence marked `no-run` with the reason:
//   ```ts no-run: trains 4 × 20,000 sequences. The examples that do not run are listed with why.
// - The runnable examples of one package run in one tsx process (`@carousel/source` condition),
//   each imported as its own module, so a failure names the file, line, symbol and example.
// - The ```ts blocks of one markdown file are concatenated, in order, into one module: a guide is
//   one program and writes its own imports. A block whose info string has `no-check` is skipped.
//
// The modules go to node_modules/.cache/doctest (git-ignored) and are type-checked with the
// TypeScript API under the repository's compiler options; each error is reported at the
// file:line of the example or block it comes from. The exit status is the number of failures.
//
//   pnpm doctest                 check everything, run the TSDoc examples
//   pnpm doctest nn/src/io docs  only files whose path contains one of the filters
//   pnpm doctest --check         type-check only
//   pnpm doctest --run docs      also run the markdown programs (with tsx, cwd in the cache folder)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const started = performance.now();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'node_modules', '.cache', 'doctest');
const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
const runMarkdown = args.includes('--run');
const filters = args.filter((a) => !a.startsWith('--'));

/** The public entry points, by specifier, in the order names are taken when two export the same. */
const ENTRIES: Record<string, string> = {
  '@carousel/autograd': 'packages/autograd/src/index.ts',
  '@carousel/nn': 'packages/nn/src/index.ts',
  '@carousel/tasks': 'packages/tasks/src/index.ts',
  '@carousel/autograd/testing': 'packages/autograd/src/testing/index.ts',
};
/** Names every TSDoc example may use without importing them. */
const COMMON = `import fc from 'fast-check';\nimport { readFileSync, writeFileSync } from 'node:fs';\n`;
const COMMON_NAMES = new Set(['fc', 'readFileSync', 'writeFileSync']);
/** Modules a self-contained example may take names from, besides the @carousel packages. */
const SELF_CONTAINED = new Set(['fast-check']);
/** Globals that make an example depend on the world outside the process. */
const OUTSIDE: Record<string, string> = {
  fetch: 'the network',
  XMLHttpRequest: 'the network',
  WebSocket: 'the network',
  navigator: 'a browser',
  document: 'a browser',
  window: 'a browser',
};

interface Unit {
  kind: 'tsdoc' | 'markdown';
  /** Source file, relative to the root. */
  file: string;
  /** The code lines, and the 1-based source line of each. */
  lines: string[];
  sourceLines: number[];
  /** TSDoc: the documented declaration (`LSTM`, `LSTM.forward`), and which of its examples this is. */
  symbol?: string;
  index?: number;
  /** TSDoc: why the example must not run, from its fence's `no-run` marker ('' when no reason is given). */
  noRun?: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return /\.ts$/.test(e.name) && !/\.test(-d)?\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The declaration each doc comment of `text` documents, by the comment's offset (`Class.member` for members). */
function commentOwners(file: string, text: string): Map<number, string> {
  const owners = new Map<number, string>();
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const nameOf = (node: ts.Node): string | undefined => {
    if (ts.isVariableStatement(node)) return node.declarationList.declarations[0]?.name.getText(sf);
    if (ts.isConstructorDeclaration(node)) return 'constructor';
    const name = (node as { name?: ts.Node }).name;
    return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) ? name.text : undefined;
  };
  const visit = (node: ts.Node, owner: string) => {
    const name = nameOf(node);
    const qualified = name && owner ? `${owner}.${name}` : (name ?? owner);
    if (name) for (const r of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) owners.set(r.pos, qualified);
    const scope = ts.isClassLike(node) || ts.isInterfaceDeclaration(node) || ts.isModuleDeclaration(node) ? qualified : owner;
    ts.forEachChild(node, (child) => visit(child, scope));
  };
  visit(sf, '');
  return owners;
}

/** Every `@example` of every `/** … *\/` comment in `text`. */
function tsdocExamples(file: string, text: string): Unit[] {
  const out: Unit[] = [];
  const owners = commentOwners(file, text);
  for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const startLine = text.slice(0, m.index).split('\n').length;
    const symbol = owners.get(m.index) ?? '(no declaration)';
    let index = 0;
    // strip the comment markers, keeping one entry per source line
    const lines = m[0]
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, ''));
    for (let i = 0; i < lines.length; i++) {
      const at = lines[i]!.indexOf('@example');
      if (at < 0) continue;
      // the example runs from after the tag to the next block tag (a line starting with @word)
      const body: [string, number][] = [];
      const first = lines[i]!.slice(at + '@example'.length).trim();
      if (first) body.push([first, startLine + i]);
      let j = i + 1;
      for (; j < lines.length && !/^\s*@\w+/.test(lines[j]!); j++) body.push([lines[j]!, startLine + j]);
      i = j - 1;
      // a fenced block inside the example is the code; otherwise all of it is (TypeDoc's rule)
      const fenceStart = body.findIndex(([l]) => /^\s*```/.test(l));
      let code = body;
      let noRun: string | undefined;
      if (fenceStart >= 0) {
        const fenceEnd = body.findIndex(([l], k) => k > fenceStart && /^\s*```/.test(l));
        code = body.slice(fenceStart + 1, fenceEnd < 0 ? undefined : fenceEnd);
        noRun = /\bno-run\b:?\s*(.*)$/.exec(body[fenceStart]![0])?.[1]?.trim();
      }
      while (code.length && !code.at(-1)![0].trim()) code = code.slice(0, -1);
      if (!code.length) continue;
      out.push({ kind: 'tsdoc', file, lines: code.map(([l]) => l), sourceLines: code.map(([, n]) => n), symbol, index: ++index, noRun });
    }
  }
  return out;
}

/** The ```ts blocks of a markdown file, as one program. */
function markdownProgram(file: string, text: string): Unit[] {
  const lines: string[] = [];
  const sourceLines: number[] = [];
  let inside: 'ts' | 'other' | null = null;
  text.split('\n').forEach((line, i) => {
    const fence = /^\s*```+\s*(\S*)(.*)$/.exec(line);
    if (fence && inside === null) {
      const lang = fence[1]!.toLowerCase();
      inside = (lang === 'ts' || lang === 'typescript') && !/no-check/.test(fence[2]!) ? 'ts' : 'other';
    } else if (fence && /^\s*```+\s*$/.test(line)) inside = null;
    else if (inside === 'ts') {
      lines.push(line);
      sourceLines.push(i + 1);
    }
  });
  return lines.length ? [{ kind: 'markdown', file, lines, sourceLines }] : [];
}

const configPath = join(root, 'tsconfig.base.json');
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
const paths = Object.fromEntries(Object.entries(ENTRIES).map(([spec, path]) => [spec, [path]]));
const options: ts.CompilerOptions = {
  ...parsed.options,
  noEmit: true,
  declaration: false,
  // the generated TSDoc modules import types and values alike by name
  verbatimModuleSyntax: false,
  isolatedModules: false,
  noUnusedLocals: false,
  noUnusedParameters: false,
  baseUrl: root,
  paths,
};
const host = ts.createCompilerHost(options);

// 1. Collect the units, and the public names of every entry point.
const sources = ['autograd', 'nn', 'tasks'].flatMap((p) => walk(join(root, 'packages', p, 'src'))).map((f) => relative(root, f));
const markdown = [
  'README.md',
  ...['autograd', 'nn', 'tasks'].map((p) => `packages/${p}/README.md`),
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(root, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `examples/${e.name}/README.md`),
].filter((f) => existsSync(join(root, f)));
const wanted = (f: string) => filters.length === 0 || filters.some((q) => f.includes(q));
const units = [
  ...sources.filter(wanted).flatMap((f) => tsdocExamples(f, readFileSync(join(root, f), 'utf8'))),
  ...markdown.filter(wanted).flatMap((f) => markdownProgram(f, readFileSync(join(root, f), 'utf8'))),
];
const entryFiles = Object.values(ENTRIES).map((p) => join(root, p));
const unitSources = [...new Set(units.filter((u) => u.kind === 'tsdoc').map((u) => join(root, u.file)))];
const base = ts.createProgram([...entryFiles, ...unitSources], options, host);
const checker = base.getTypeChecker();
const exportsOf = (path: string): string[] => {
  const sf = base.getSourceFile(path);
  const sym = sf && checker.getSymbolAtLocation(sf);
  return sym ? checker.getExportsOfModule(sym).map((s) => s.name) : [];
};
const publicNames = Object.fromEntries(Object.entries(ENTRIES).map(([spec, path]) => [spec, exportsOf(join(root, path))]));

/** The import lines of a TSDoc example: each name once, from the most specific module that has it. */
function importsFor(file: string): string {
  const taken = new Set(COMMON_NAMES);
  const lines: string[] = [];
  const add = (spec: string, names: readonly string[]) => {
    const mine = names.filter((n) => n !== 'default' && !taken.has(n));
    for (const n of mine) taken.add(n);
    if (mine.length) lines.push(`import { ${mine.join(', ')} } from '${spec}';`);
  };
  const ownFile = join(root, file);
  // by absolute path: the same module instance as the packages' own imports, wherever the cache lies
  add(ownFile.replace(/\.ts$/, '.js'), exportsOf(ownFile));
  const own = `@carousel/${file.split('/')[1]}`;
  add(own, publicNames[own] ?? []);
  for (const [spec, names] of Object.entries(publicNames)) if (spec !== own) add(spec, names);
  return `${lines.join('\n')}\n${COMMON}`;
}

// 2. One module per unit.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
// below node_modules, Node looks no further for a package.json: without this the modules are CommonJS
writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
interface Generated {
  unit: Unit;
  bodyStart: number;
}
const generated = new Map<string, Generated>();
units.forEach((unit, k) => {
  const name = `${unit.file.replace(/^packages\//, '').replace(/[/.]/g, '_')}_L${unit.sourceLines[0]}_${k}.ts`;
  const path = join(outDir, name);
  const header =
    unit.kind === 'tsdoc' ? `// ${unit.file}:${unit.sourceLines[0]}\n${importsFor(unit.file)}export {};\n{\n` : `// ${unit.file}\n`;
  writeFileSync(path, `${header}${unit.lines.join('\n')}\n${unit.kind === 'tsdoc' ? '}\n' : 'export {};\n'}`);
  generated.set(path, { unit, bodyStart: header.split('\n').length });
});

// 3. Type-check them together (reusing the parsed sources) and map errors back to their source.
const program = ts.createProgram([...generated.keys()], options, host, base);
const failures = new Map<string, string[]>();
const fail = (path: string, message: string) => failures.set(path, [...(failures.get(path) ?? []), message]);
const where = ({ unit, bodyStart }: Generated, line: number) => `${unit.file}:${unit.sourceLines[line - bodyStart] ?? unit.sourceLines[0]}`;
const named = ({ unit }: Generated) => (unit.symbol ? ` (${unit.symbol}, example ${unit.index})` : '');
for (const [path, g] of generated) {
  const sf = program.getSourceFile(path)!;
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
    fail(path, `${where(g, line)}${named(g)}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n    ')}`);
  }
}

/** Why a TSDoc example is not self-contained, or undefined when it is. */
function outsideNeed(path: string, { unit }: Generated): string | undefined {
  if (unit.noRun !== undefined) return unit.noRun || 'marked no-run';
  const checker = program.getTypeChecker();
  let need: string | undefined;
  const visit = (node: ts.Node): void => {
    if (need || ts.isImportDeclaration(node)) return;
    if (ts.isStringLiteral(node) && node.text === 'webgpu') need = 'needs WebGPU';
    if (ts.isIdentifier(node)) {
      const decl = checker.getSymbolAtLocation(node)?.declarations?.[0];
      if (decl && ts.isImportSpecifier(decl)) {
        const from = (decl.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text;
        if (!from.startsWith('@carousel/') && !isAbsolute(from) && !SELF_CONTAINED.has(from)) need = `uses ${from} (${node.text})`;
      } else if (decl?.getSourceFile().isDeclarationFile && OUTSIDE[node.text]) need = `needs ${OUTSIDE[node.text]} (${node.text})`;
    }
    ts.forEachChild(node, visit);
  };
  visit(program.getSourceFile(path)!);
  return need;
}

/** Where a failed run points: the innermost frame of the generated module in `stack`, mapped back. */
function thrownAt(path: string, g: Generated, stack: string): string {
  const frame = new RegExp(`${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(stack);
  return frame ? where(g, Number(frame[1])) : `${g.unit.file}:${g.unit.sourceLines[0]}`;
}
const indent = (text: string, lines = 12) => text.trim().split('\n').slice(0, lines).join('\n    ');

// 4. Run what should run: the self-contained TSDoc examples, one process per package; with --run the markdown programs.
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
// the programs import the packages by name: link them where Node's resolution looks
mkdirSync(join(outDir, 'node_modules', '@carousel'), { recursive: true });
for (const p of ['autograd', 'nn', 'tasks']) symlinkSync(join(root, 'packages', p), join(outDir, 'node_modules', '@carousel', p), 'dir');
const workDir = join(outDir, 'run');
mkdirSync(workDir, { recursive: true });
/** How long one package's examples may run, in all. */
const TIMEOUT_S = Number(process.env.DOCTEST_TIMEOUT_S ?? 300);
const tsxArgs = [tsx, '--conditions=@carousel/source'];

const notRun: string[] = [];
const batches = new Map<string, string[]>();
for (const [path, g] of generated) {
  if (g.unit.kind !== 'tsdoc' || failures.has(path) || checkOnly) continue;
  const need = outsideNeed(path, g);
  if (g.unit.noRun === '') fail(path, `${where(g, g.bodyStart)}${named(g)}: a no-run example must say why (\`\`\`ts no-run: the reason)`);
  else if (need) notRun.push(`${g.unit.file}:${g.unit.sourceLines[0]}${named(g)}: ${need}`);
  else {
    const pkg = g.unit.file.split('/')[1]!;
    batches.set(pkg, [...(batches.get(pkg) ?? []), path]);
  }
}

interface Outcome {
  path: string;
  ms?: number;
  error?: string | null;
  output?: string[];
}
/** Runs one package's examples in one process; resolves to each example's outcome. */
function runBatch(pkg: string, modules: string[]): Promise<Outcome[]> {
  const list = join(outDir, `run-${pkg}.json`);
  const results = join(outDir, `run-${pkg}.jsonl`);
  writeFileSync(list, JSON.stringify(modules));
  writeFileSync(results, '');
  const runner = join(root, 'scripts', 'doctest-runner.mjs');
  return new Promise((done) => {
    // its own process group: tsx runs the code in a child process, and a timeout must stop both
    const child = spawn(process.execPath, [...tsxArgs, runner, list, results], {
      cwd: workDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {} // already gone
    };
    process.on('exit', killGroup);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const timer = setTimeout(killGroup, TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      const outcomes = new Map<string, Outcome>();
      for (const line of readFileSync(results, 'utf8').split('\n').filter(Boolean)) {
        const o = JSON.parse(line) as Outcome;
        outcomes.set(o.path, o);
      }
      // an example that started and never reported hung or killed the process
      const why = signal
        ? `the ${pkg} examples' process was killed (${signal}, after ${TIMEOUT_S} s)`
        : `the process exited (${code}) while it ran`;
      for (const o of outcomes.values()) if (o.ms === undefined) o.error = `${why}\n${stderr}`;
      for (const path of modules)
        if (!outcomes.has(path)) outcomes.set(path, { path, error: 'not reached: an earlier example of the package stopped the process' });
      done([...outcomes.values()]);
    });
  });
}

let ranTsdoc = 0;
const slow: string[] = [];
const queue = [...batches];
const workers = Array.from({ length: Math.min(queue.length, availableParallelism()) }, async () => {
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const o of await runBatch(...next)) {
      const g = generated.get(o.path)!;
      ranTsdoc++;
      if ((o.ms ?? 0) > 1000) slow.push(`${g.unit.file}:${g.unit.sourceLines[0]}${named(g)} ${((o.ms ?? 0) / 1000).toFixed(1)} s`);
      if (!o.error) continue;
      const printed = o.output?.length ? `\n    printed:\n      ${o.output.join('\n').split('\n').slice(-6).join('\n      ')}` : '';
      fail(o.path, `${thrownAt(o.path, g, o.error)}${named(g)}: the example failed:\n    ${indent(o.error)}${printed}`);
    }
  }
});
await Promise.all(workers);

let ranMarkdown = 0;
if (runMarkdown) {
  for (const [path, g] of generated) {
    if (g.unit.kind !== 'markdown' || failures.has(path)) continue;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [...tsxArgs, path], { cwd: workDir, encoding: 'utf8', timeout: 180_000 });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    ranMarkdown++;
    if (r.status === 0) {
      console.log(`ran ${g.unit.file} (${seconds} s)`);
      continue;
    }
    const stderr = r.stderr ?? '';
    fail(
      path,
      `${thrownAt(path, g, stderr)}: the program failed (${r.signal ?? `exit ${r.status}`}, ${seconds} s):\n    ${indent(stderr || r.stdout || String(r.error))}`,
    );
  }
}

if (notRun.length) console.log(`not run:\n  ${notRun.join('\n  ')}`);
if (slow.length) console.log(`slow examples (over 1 s):\n  ${slow.join('\n  ')}`);
for (const messages of failures.values()) for (const m of messages) console.error(m);
const count = (kind: Unit['kind']) => [...generated.values()].filter((g) => g.unit.kind === kind).length;
console.log(
  `doctest: ${generated.size - failures.size}/${generated.size} pass — ${count('tsdoc')} TSDoc examples` +
    (checkOnly ? '' : ` (${ranTsdoc} run, ${notRun.length} not)`) +
    `, ${count('markdown')} markdown programs${runMarkdown ? ` (${ranMarkdown} run)` : ''}` +
    (filters.length ? `; filter ${filters.join(' ')}` : '') +
    (failures.size ? `; ${failures.size} fail` : '') +
    `; ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exitCode = Math.min(failures.size, 255);
