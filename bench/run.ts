import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchLark } from './lark';
import { benchRedact } from './redact';
import { benchRetrieval } from './retrieval';
import { benchScale } from './scale';
import { benchSlack } from './slack';
import { benchSummarize } from './summarize';
import { tuneMalloc } from '../src/util/malloc-tuning';
import { REPO, type Row } from './util';

/** `parts`: what `npm run bench -- <name>:<part>` picked of a section made of parts (scale). */
type Section = { name: string; run: (parts?: string[]) => Promise<unknown> };

/** Every benchmark section, in order. Each returns rows or a record of figures. */
const SECTIONS: Section[] = [
  { name: 'retrieval', run: benchRetrieval },
  { name: 'slack', run: benchSlack },
  { name: 'lark', run: benchLark },
  { name: 'summarize', run: benchSummarize },
  { name: 'redact', run: benchRedact },
  { name: 'scale', run: benchScale },
];

function printTable(title: string, rows: Row[]): void {
  if (rows.length === 0) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  console.log(`\n${title}`);
  console.log(cols.map((c, i) => c.padEnd(width[i])).join('  '));
  for (const r of rows) console.log(cols.map((c, i) => String(r[c] ?? '').padEnd(width[i])).join('  '));
}

function print(name: string, value: unknown): void {
  if (Array.isArray(value)) printTable(name, value as Row[]);
  else if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => Array.isArray(v))) for (const [k, v] of entries) printTable(`${name}: ${k}`, v as Row[]);
    else printTable(name, [value as Row]);
  }
}

/** A section's figures kept by name (not a bare list of rows). */
const keyed = (x: unknown): x is object => Boolean(x) && typeof x === 'object' && !Array.isArray(x);

async function main(): Promise<void> {
  // As serve does: indexes unloaded during a run give their memory back (util/malloc-tuning).
  tuneMalloc(process.env);
  const only = process.argv.slice(2);
  const results: Record<string, unknown> = {
    machine: { node: process.version, cpus: os.cpus().length, model: os.cpus()[0]?.model, date: new Date().toISOString() },
  };
  const names = new Set(only.map((a) => a.split(':')[0]));
  const unknown = [...names].filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`no benchmark section ${unknown.join(', ')}: the sections are ${SECTIONS.map((s) => s.name).join(', ')}`);
  const out = path.join(REPO, 'bench', 'results.json');
  // A run of some sections (or parts) keeps the others' last figures.
  const previous = only.length && fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  for (const s of SECTIONS) {
    if (only.length && !names.has(s.name)) continue;
    const parts = only.filter((a) => a.startsWith(`${s.name}:`)).map((a) => a.slice(s.name.length + 1));
    const t = Date.now();
    console.error(`running ${s.name}${parts.length ? ` (${parts.join(', ')})` : ''}...`);
    const value = await s.run(parts.length ? parts : undefined);
    const before = previous[s.name];
    // A partial run (parts named, or a section that returns only some of its parts) keeps the rest.
    results[s.name] = keyed(before) && keyed(value) ? { ...before, ...value } : value;
    console.error(`${s.name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    print(s.name, results[s.name]);
  }
  fs.writeFileSync(out, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(`\nWritten to ${path.relative(process.cwd(), out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
