// Doc tests: every `@example` in the TSDoc of packages/*/src, and every ```ts block of the guides
// (docs/*.md) and READMEs, must type-check.
//
// - A TSDoc example becomes a module that imports, by name, the public API of every package (its
//   own package first, then the others, then `@carousel/autograd/testing`), the exports of its
//   own source file (for examples of internal helpers) and a few common names (`fc`,
//   `readFileSync`, `writeFileSync`). Its body runs in a block, so it may shadow those names.
// - The ```ts blocks of one markdown file are concatenated, in order, into one module: a guide is
//   one program and writes its own imports. A block whose info string has `no-check` is skipped.
//
// The modules go to node_modules/.cache/doctest (git-ignored) and are type-checked with the
// TypeScript API under the repository's compiler options; each error is reported at the
// file:line of the example or block it comes from. The exit status is the number of failures.
//
//   pnpm doctest                 check everything
//   pnpm doctest nn/src/io docs  only files whose path contains one of the filters
//   pnpm doctest --run docs      also run the markdown programs (with tsx, cwd in the cache folder)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'node_modules', '.cache', 'doctest');
const args = process.argv.slice(2);
const run = args.includes('--run');
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

interface Unit {
  kind: 'tsdoc' | 'markdown';
  /** Source file, relative to the root. */
  file: string;
  /** The code lines, and the 1-based source line of each. */
  lines: string[];
  sourceLines: number[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return /\.ts$/.test(e.name) && !/\.test(-d)?\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every `@example` of every `/** … *\/` comment in `text`. */
function tsdocExamples(file: string, text: string): Unit[] {
  const out: Unit[] = [];
  for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const startLine = text.slice(0, m.index).split('\n').length;
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
      if (fenceStart >= 0) {
        const fenceEnd = body.findIndex(([l], k) => k > fenceStart && /^\s*```/.test(l));
        code = body.slice(fenceStart + 1, fenceEnd < 0 ? undefined : fenceEnd);
      }
      while (code.length && !code.at(-1)![0].trim()) code = code.slice(0, -1);
      if (code.length) out.push({ kind: 'tsdoc', file, lines: code.map(([l]) => l), sourceLines: code.map(([, n]) => n) });
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
function importsFor(file: string, modulePath: string): string {
  const taken = new Set(COMMON_NAMES);
  const lines: string[] = [];
  const add = (spec: string, names: readonly string[]) => {
    const mine = names.filter((n) => n !== 'default' && !taken.has(n));
    for (const n of mine) taken.add(n);
    if (mine.length) lines.push(`import { ${mine.join(', ')} } from '${spec}';`);
  };
  const ownFile = join(root, file);
  add(relative(dirname(modulePath), ownFile).replace(/\.ts$/, '.js'), exportsOf(ownFile));
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
const generated = new Map<string, { unit: Unit; bodyStart: number }>();
units.forEach((unit, k) => {
  const name = `${unit.file.replace(/^packages\//, '').replace(/[/.]/g, '_')}_L${unit.sourceLines[0]}_${k}.ts`;
  const path = join(outDir, name);
  const header =
    unit.kind === 'tsdoc' ? `// ${unit.file}:${unit.sourceLines[0]}\n${importsFor(unit.file, path)}export {};\n{\n` : `// ${unit.file}\n`;
  writeFileSync(path, `${header}${unit.lines.join('\n')}\n${unit.kind === 'tsdoc' ? '}\n' : 'export {};\n'}`);
  generated.set(path, { unit, bodyStart: header.split('\n').length });
});

// 3. Type-check them together (reusing the parsed sources) and map errors back to their source.
const program = ts.createProgram([...generated.keys()], options, host, base);
const failures = new Map<string, string[]>();
const where = (unit: Unit, bodyStart: number, line: number) => `${unit.file}:${unit.sourceLines[line - bodyStart] ?? unit.sourceLines[0]}`;
for (const [path, { unit, bodyStart }] of generated) {
  const sf = program.getSourceFile(path)!;
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
    failures.set(path, [...(failures.get(path) ?? []), `${where(unit, bodyStart, line)}: TS${d.code}: ${message}`]);
  }
}

// 4. With --run, run each markdown program that type-checks.
let ran = 0;
if (run) {
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  // the programs import the packages by name: link them where Node's resolution looks
  mkdirSync(join(outDir, 'node_modules', '@carousel'), { recursive: true });
  for (const p of ['autograd', 'nn', 'tasks']) symlinkSync(join(root, 'packages', p), join(outDir, 'node_modules', '@carousel', p), 'dir');
  const workDir = join(outDir, 'run');
  mkdirSync(workDir, { recursive: true });
  for (const [path, { unit, bodyStart }] of generated) {
    if (unit.kind !== 'markdown' || failures.has(path)) continue;
    const started = performance.now();
    const r = spawnSync(process.execPath, [tsx, '--conditions=@carousel/source', path], {
      cwd: workDir,
      encoding: 'utf8',
      timeout: 180_000,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    ran++;
    if (r.status === 0) {
      console.log(`ran ${unit.file} (${seconds} s)`);
      continue;
    }
    // point at the markdown line of the innermost frame in the generated module, when there is one
    const escaped = relative(outDir, path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const frame = new RegExp(`${escaped}:(\\d+)`).exec(r.stderr ?? '');
    const at = frame ? where(unit, bodyStart, Number(frame[1])) : unit.file;
    const tail = (r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(0, 12).join('\n    ');
    failures.set(path, [`${at}: the program failed (${r.signal ?? `exit ${r.status}`}, ${seconds} s):\n    ${tail}`]);
  }
}

for (const messages of failures.values()) for (const m of messages) console.error(m);
const count = (kind: Unit['kind']) => [...generated.values()].filter((g) => g.unit.kind === kind).length;
console.log(
  `doctest: ${generated.size - failures.size}/${generated.size} pass — ${count('tsdoc')} TSDoc examples, ` +
    `${count('markdown')} markdown programs${run ? ` (${ran} run)` : ''}` +
    (filters.length ? `; filter ${filters.join(' ')}` : '') +
    (failures.size ? `; ${failures.size} fail` : ''),
);
process.exitCode = Math.min(failures.size, 255);
