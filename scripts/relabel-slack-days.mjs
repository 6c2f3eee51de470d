#!/usr/bin/env node
// Relabel a QA set whose sources name Slack channels (`<export>/<channel>`) to the day files the
// loader now keys messages by (`<export>/<channel>/<YYYY-MM-DD>`). Mechanical, from the corpus alone:
// for each answerable question and each channel it names, the days of that channel in which one
// message of the author holds every keyword verbatim (as ingest loads it: rendered text, author
// filter) become its sources, in date order. When no single message does, the days whose messages
// of the author hold them together are used, and said. Retrieval is never consulted.
//
//   npm run build && node scripts/relabel-slack-days.mjs <set.jsonl> <export folder> <author> [--write]
//
// Prints a line per question with zero or several matching days; --write rewrites the set in place.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { loadCorpus } = require('../dist/src/corpus/load.js');
const { slackDaySource } = require('../dist/src/corpus/slack-day.js');

const [file, from, author, ...flags] = process.argv.slice(2);
if (!file || !from || !author) {
  console.error('usage: node scripts/relabel-slack-days.mjs <set.jsonl> <export folder> <author> [--write]');
  process.exit(2);
}
const exportName = path.basename(path.resolve(from));
const { units } = await loadCorpus(path.resolve(from), { author: author.split(',').map((a) => a.trim()) });
/** channel source (`<export>/<channel>`) -> day source -> the author's message texts that day */
const days = new Map();
for (const u of units) {
  const source = `${exportName}/${u.source}`;
  const day = slackDaySource(source);
  if (!day) continue;
  if (!days.has(day.channel)) days.set(day.channel, new Map());
  const texts = days.get(day.channel);
  if (!texts.has(source)) texts.set(source, []);
  texts.get(source).push(u.text);
}

/** `{"key": value, ...}`, arrays as `["a", "b"]`: the spacing the QA sets are written in. */
const jsonLine = (o) =>
  `{${Object.entries(o)
    .map(([k, v]) => `${JSON.stringify(k)}: ${Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v)}`)
    .join(', ')}}`;

const lines = fs.readFileSync(file, 'utf8').split('\n');
const tally = { questions: 0, one: 0, several: 0, none: 0, together: 0, kept: 0 };
const out = lines.map((line, i) => {
  if (!line.trim()) return line;
  const item = JSON.parse(line);
  if (!item.answerable || item.sources.length === 0) return line;
  tally.questions++;
  const relabelled = [];
  let together = false;
  for (const s of item.sources) {
    const channel = days.get(s);
    if (!channel) {
      // Already a day source, or not a channel of this export: kept as it is.
      relabelled.push(s);
      tally.kept++;
      continue;
    }
    const ordered = [...channel.keys()].sort();
    let hit = ordered.filter((d) => channel.get(d).some((t) => item.keywords.every((k) => t.includes(k))));
    if (hit.length === 0) {
      hit = ordered.filter((d) => item.keywords.every((k) => channel.get(d).some((t) => t.includes(k))));
      if (hit.length > 0) together = true;
    }
    relabelled.push(...hit);
  }
  const fresh = [...new Set(relabelled)];
  if (together) tally.together++;
  if (fresh.length === 0) {
    tally.none++;
    console.log(`line ${i + 1}: no day of ${item.sources.join(', ')} holds ${JSON.stringify(item.keywords)}; sources left as they were`);
    return line;
  }
  if (fresh.length > 1) {
    tally.several++;
    console.log(`line ${i + 1}: ${fresh.length} days hold ${JSON.stringify(item.keywords)}: ${fresh.join(', ')}`);
  } else tally.one++;
  if (together) console.log(`line ${i + 1}: keywords found only across messages of the day: ${fresh.join(', ')}`);
  // Same key order and spacing as the set's other lines: only `sources` changes.
  return jsonLine({ ...item, sources: fresh });
});
console.log(`${tally.questions} answerable questions: ${tally.one} one day, ${tally.several} several days, ${tally.none} none; ${tally.together} matched only across a day's messages; ${tally.kept} sources kept as they were`);
if (flags.includes('--write')) fs.writeFileSync(file, out.join('\n'));
