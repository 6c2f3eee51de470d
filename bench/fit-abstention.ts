/**
 * Fit the abstention model on the dev QA sets, reproducibly:
 *
 *   npm run build && node dist/bench/fit-abstention.js [--refresh] [--write] [--l2 10] [--false-abstention 0.11]
 *
 * Searches every dev question (and the off-topic probes of eval/qa/off-topic.jsonl, asked of
 * every dev avatar) the way `npm run eval` does (UNDERSTUDY_SEMANTIC as set; the
 * default, on, is what ships), caches the signals in data/eval/abstention-signals.dev.semantic-<on|off>.json,
 * prints leave-one-set-out figures (each set scored by a model fitted on the other four) and the
 * model fitted on all five; --write stores it in src/retrieval/abstention-weights.json.
 * Held-out sets are never opened here.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../src/app/avatar-service';
import { crossValidate, figures, FIT_DEFAULTS, fitModel, formatFigures, MODEL_FEATURES, signalRows, type FitOptions, type SetFigures, type SignalRow } from '../src/eval/fit-abstention';
import { readQaFile } from '../src/eval/qa';
import { defaultTargets, openTarget } from '../src/eval/run-all';
import { ABSTENTION, FEATURES, type FeatureName } from '../src/retrieval/abstention';
import { createRuntime } from '../src/app/runtime';
import { writeFileAtomic } from '../src/util/fs-atomic';

const REPO = path.resolve(__dirname, '..', '..');
const OFF_TOPIC = path.join(REPO, 'eval', 'qa', 'off-topic.jsonl');

async function collect(refresh: boolean): Promise<SignalRow[]> {
  const rt = createRuntime(process.env, {}, { cwd: REPO });
  const evalData = path.join(rt.config.dataDir, 'eval');
  const semantic = rt.config.semantic ? 'on' : 'off';
  const cache = path.join(evalData, `abstention-signals.dev.semantic-${semantic}.json`);
  const targets = defaultTargets(REPO).filter((x) => x.split === 'dev');
  // The cache holds for these QA files and these signal names only.
  const key = createHash('sha256')
    .update([...targets.map((t) => t.qa), OFF_TOPIC].map((f) => fs.readFileSync(f, 'utf8')).join('\n'))
    .update(Object.keys(SIGNAL_NAMES).join())
    .digest('hex');
  if (!refresh && fs.existsSync(cache)) {
    const cached = JSON.parse(fs.readFileSync(cache, 'utf8')) as { key: string; rows: SignalRow[] };
    if (cached.key === key) {
      await rt.close();
      console.error(`signals from ${path.relative(REPO, cache)} (semantic ${semantic}; --refresh to search again)`);
      return cached.rows;
    }
  }
  const realAvatarsDir = path.join(evalData, 'avatars');
  const real = new AvatarService({ avatarsDir: realAvatarsDir, dataDir: evalData, embedders: rt.service.embedders, store: rt.service.store, log: rt.log });
  const rows: SignalRow[] = [];
  try {
    for (const t of targets) {
      const { index, line } = await openTarget(t, { demo: rt.service, real, realAvatarsDir });
      console.error(line);
      rows.push(...(await signalRows(t.slug, index, readQaFile(t.qa))));
      rows.push(...(await signalRows(t.slug, index, readQaFile(OFF_TOPIC), true)));
    }
  } finally {
    real.close();
    await rt.close();
  }
  writeFileAtomic(cache, JSON.stringify({ key, semantic, rows }));
  return rows;
}

/** The signal names this build computes (a cache with other names is stale). */
const SIGNAL_NAMES: Record<keyof SignalRow['signals'], 0> = {
  coverage: 0,
  rareCoverage: 0,
  margin: 0,
  strength: 0,
  agreement: 0,
  similarity: 0,
  missing: 0,
  contentCoverage: 0,
  presentCoverage: 0,
  presentShare: 0,
  namedMissing: 0,
  focusFound: 0,
  topAgreement: 0,
  semanticOn: 0,
  semanticLift: 0,
  semanticTop: 0,
  namedFound: 0,
  slotMiss: 0,
};

function parseFeatures(list: string): FeatureName[] {
  const names = list.split(',').filter(Boolean);
  const bad = names.filter((x) => !(FEATURES as readonly string[]).includes(x));
  if (bad.length > 0 || names.length === 0) throw new Error(`--features takes a comma-separated list of ${FEATURES.join(', ')} (not: ${bad.join(', ')})`);
  return names as FeatureName[];
}

/** One number per feature set: mean cross-validated declined, less any false abstention over the target. */
function score(figs: readonly SetFigures[]): { declined: number; falseAbstention: number; worstFalse: number; value: number } {
  const mean = (k: 'declined' | 'falseAbstention'): number => figs.reduce((a, f) => a + f[k], 0) / figs.length;
  const worstFalse = Math.max(...figs.map((f) => f.falseAbstention));
  return { declined: mean('declined'), falseAbstention: mean('falseAbstention'), worstFalse, value: mean('declined') - 2 * Math.max(0, mean('falseAbstention') - TARGET_FALSE) };
}

/** The target: false abstention on answerable questions at most this. */
const TARGET_FALSE = 0.15;

/** Greedy forward selection of features by the leave-one-set-out score (--select); prints each step. */
function selectFeatures(rows: readonly SignalRow[], options: FitOptions): void {
  const chosen: FeatureName[] = [];
  let best = -Infinity;
  for (;;) {
    let step: { f: FeatureName; s: ReturnType<typeof score> } | undefined;
    for (const f of FEATURES.filter((x) => !chosen.includes(x))) {
      const s = score(crossValidate(rows, { ...options, features: [...chosen, f] }));
      if (!step || s.value > step.s.value) step = { f, s };
    }
    if (!step || step.s.value <= best + 0.005) break;
    best = step.s.value;
    chosen.push(step.f);
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
    console.log(`+ ${step.f.padEnd(16)} declined ${pct(step.s.declined)}  false-abst ${pct(step.s.falseAbstention)} (worst set ${pct(step.s.worstFalse)})  -> ${chosen.join(',')}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rows = await collect(args.includes('--refresh'));
  const opt = (name: string): number | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const featureArg = args.indexOf('--features');
  const features = featureArg >= 0 ? parseFeatures(args[featureArg + 1] ?? '') : MODEL_FEATURES;
  const options: FitOptions = { ...FIT_DEFAULTS, l2: opt('--l2') ?? FIT_DEFAULTS.l2, falseAbstention: opt('--false-abstention') ?? FIT_DEFAULTS.falseAbstention, features };
  const n = (f: (r: SignalRow) => boolean): number => rows.filter(f).length;
  const sets = new Set(rows.map((r) => r.set)).size;
  console.log(`${n((r) => !r.probe)} dev questions in ${sets} sets (${n((r) => r.answerable)} answerable, ${n((r) => !r.answerable && !r.probe)} unanswerable) and ${n((r) => Boolean(r.probe))} off-topic probes; features: ${features.join(', ')}\n`);
  console.log(formatFigures('Shipped model (src/retrieval/abstention-weights.json), in sample:', figures(rows, ABSTENTION)));
  if (args.includes('--select')) {
    console.log('');
    selectFeatures(rows, options);
    return;
  }
  console.log('');
  console.log(formatFigures(`Leave-one-set-out (each set scored by a model fitted on the other ${sets - 1}):`, crossValidate(rows, options)));
  const model = fitModel(rows, options);
  console.log('');
  console.log(formatFigures(`Fitted on all ${sets}, in sample:`, figures(rows, model)));
  const json = `${JSON.stringify(model, null, 2)}\n`;
  console.log(`\n${json}`);
  if (args.includes('--write')) {
    const file = path.join(REPO, 'src', 'retrieval', 'abstention-weights.json');
    writeFileAtomic(file, json);
    console.log(`Written to ${path.relative(REPO, file)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
