#!/usr/bin/env node
// The import graph in figures (`npm run lint:graph`): upward imports between the layers of
// .dependency-cruiser.cjs, file and folder cycles, folders importing each other, and the largest
// files. A report, not a gate: `npm run lint:deps` is the gate. `--json` prints the figures as JSON.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');
const raw = execFileSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
  cwd: root,
  maxBuffer: 256 * 1024 * 1024,
  encoding: 'utf8',
});
const cruise = JSON.parse(raw);

const isTypeOnly = (dep) => dep.dependencyTypes.includes('type-only') || dep.dependencyTypes.includes('type-import');
/** A folder is a top-level directory of src/; a file at the top (cli.ts, serve.ts) stands alone. */
const folderOf = (file) => file.replace(/^src\//, '').split('/').slice(0, -1)[0] ?? file.replace(/^src\//, '');

// The layers, lowest first, from the config's `<layer>-imports-upward` rules; the top layer has none.
const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs'));
const layerRules = config.forbidden
  .filter((r) => r.name.endsWith('-imports-upward'))
  .map((r) => ({ name: r.name.replace(/-imports-upward$/, ''), re: new RegExp(r.from.path) }));
const layerOf = (file) => layerRules.find((l) => l.re.test(file))?.name ?? 'top';
/**
 * Some folders sit in two layers on purpose (chat/types is the contract, chat/router the routing;
 * distill/chat-feature is chat glue). Seen as layer units (`chat:domain`, `chat:chat`), a cycle
 * between folders that only exists through such a split disappears; what remains is real.
 */
const splitFolders = (() => {
  const seen = new Map();
  for (const m of cruise.modules) {
    if (!m.source.startsWith('src/')) continue;
    const f = folderOf(m.source);
    seen.set(f, (seen.get(f) ?? new Set()).add(layerOf(m.source)));
  }
  return new Set([...seen].filter(([, ls]) => ls.size > 1).map(([f]) => f));
})();
const unitOf = (file) => (splitFolders.has(folderOf(file)) ? `${folderOf(file)}:${layerOf(file)}` : folderOf(file));

// Edges inside src/, once per (from, to).
const edges = [];
for (const m of cruise.modules) {
  if (!m.source.startsWith('src/')) continue;
  for (const d of m.dependencies) {
    if (d.resolved.startsWith('src/')) edges.push({ from: m.source, to: d.resolved, typeOnly: isTypeOnly(d), rules: (d.rules ?? []).map((r) => r.name) });
  }
}

const upward = edges.filter((e) => e.rules.some((r) => r.endsWith('-imports-upward')));
const known = JSON.parse(fs.readFileSync(path.join(root, '.dependency-cruiser-known-violations.json'), 'utf8'));

/** Strongly connected groups of more than one node (Tarjan), each sorted, largest first. */
function cycles(nodes, pairs) {
  const next = new Map(nodes.map((n) => [n, new Set()]));
  for (const [a, b] of pairs) if (a !== b) next.get(a).add(b);
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return groups.sort((a, b) => b.length - a.length);
}

function groupFigures(use, files, groupOf) {
  const groups = [...new Set(files.map(groupOf))];
  const pairs = new Set(use.map((e) => `${groupOf(e.from)}\t${groupOf(e.to)}`).filter((k) => k.split('\t')[0] !== k.split('\t')[1]));
  const mutual = [...pairs]
    .map((k) => k.split('\t'))
    .filter(([a, b]) => a < b && pairs.has(`${b}\t${a}`))
    .map(([a, b]) => `${a} <-> ${b}`);
  return { cycles: cycles(groups, [...pairs].map((k) => k.split('\t'))), mutual: mutual.sort() };
}

function graphFigures(valueOnly) {
  const use = edges.filter((e) => !valueOnly || !e.typeOnly);
  const files = [...new Set(cruise.modules.map((m) => m.source).filter((s) => s.startsWith('src/')))];
  const folders = groupFigures(use, files, folderOf);
  const units = groupFigures(use, files, unitOf);
  return {
    fileCycles: cycles(files, use.map((e) => [e.from, e.to])),
    folderCycles: folders.cycles,
    mutualFolderPairs: folders.mutual,
    unitCycles: units.cycles,
    mutualUnitPairs: units.mutual,
  };
}

const srcFiles = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? srcFiles(p) : /\.ts$/.test(d.name) ? [p] : [];
  });
const largest = srcFiles(path.join(root, 'src'))
  .map((p) => ({ file: path.relative(root, p), lines: fs.readFileSync(p, 'utf8').split('\n').length - 1 }))
  .sort((a, b) => b.lines - a.lines)
  .slice(0, 10);

const all = graphFigures(false);
const values = graphFigures(true);
const figures = {
  modules: cruise.summary.totalCruised,
  dependencies: cruise.summary.totalDependenciesCruised,
  ruleViolations: cruise.summary.violations.length,
  knownViolations: known.length,
  upward: {
    value: upward.filter((e) => !e.typeOnly).map((e) => `${e.from} -> ${e.to}`),
    typeOnly: upward.filter((e) => e.typeOnly).map((e) => `${e.from} -> ${e.to}`),
  },
  fileCycles: { all: all.fileCycles, valueOnly: values.fileCycles },
  folderCycles: { all: all.folderCycles, valueOnly: values.folderCycles },
  mutualFolderPairs: { all: all.mutualFolderPairs, valueOnly: values.mutualFolderPairs },
  layerUnits: {
    splitFolders: [...splitFolders].sort(),
    cycles: { all: all.unitCycles, valueOnly: values.unitCycles },
    mutualPairs: { all: all.mutualUnitPairs, valueOnly: values.mutualUnitPairs },
  },
  largestFiles: largest,
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(figures, null, 2));
} else {
  const list = (items, indent = '    ') => items.map((x) => `${indent}${Array.isArray(x) ? x.join(', ') : x}`).join('\n');
  const lines = [
    `${figures.modules} modules, ${figures.dependencies} imports`,
    `dependency-cruiser violations: ${figures.ruleViolations} (known, tolerated: ${figures.knownViolations})`,
    `upward imports between layers: ${figures.upward.value.length} value, ${figures.upward.typeOnly.length} type-only`,
    list([...figures.upward.value, ...figures.upward.typeOnly.map((x) => `${x} (type)`)]),
    `file cycles: ${all.fileCycles.length} (${values.fileCycles.length} through value imports alone)`,
    list(all.fileCycles),
    `folder cycles: ${all.folderCycles.length} (${values.folderCycles.length} through value imports alone)`,
    list(all.folderCycles),
    `mutual folder pairs: ${all.mutualFolderPairs.length} (${values.mutualFolderPairs.length} with value imports both ways)`,
    list(all.mutualFolderPairs.map((p) => (values.mutualFolderPairs.includes(p) ? p : `${p} (a type-only side)`))),
    `seen as layer units (${figures.layerUnits.splitFolders.join(', ')} split by layer):`,
    `  cycles: ${all.unitCycles.length} (${values.unitCycles.length} through value imports alone)`,
    list(all.unitCycles, '      '),
    `  mutual pairs: ${all.mutualUnitPairs.length} (${values.mutualUnitPairs.length} with value imports both ways)`,
    list(all.mutualUnitPairs.map((p) => (values.mutualUnitPairs.includes(p) ? p : `${p} (a type-only side)`)), '      '),
    'largest files (lines):',
    list(largest.map((f) => `${String(f.lines).padStart(5)}  ${f.file}`)),
  ];
  console.log(lines.filter((l) => l !== '').join('\n'));
}
