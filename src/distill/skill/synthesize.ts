import { anchorsIn } from './anchors';
import { mergeCorrections } from './corrections';
import { buildView } from './corpus-view';
import { mergeWithPrevious } from './merge';
import { modelDraft } from './model-synthesis';
import { DERIVED, honestLimits } from './limits';
import { offlineDraft } from './offline';
import { synthesizePublicFigure } from './public-figure';
import { renderSkill } from './render';
import { DEFAULT_MAX_CHUNKS, sampleChunks } from './sample';
import { UnderstudyError } from '../../errors';
import type { SynthesisInput, SynthesisOptions, SynthesisResult } from './types';

/**
 * Distil a skill.md from a person's evidence chunks: statistical extraction offline, map-reduce
 * with a model when one is given, merged with an earlier skill when re-distilling.
 */
export async function synthesizeSkill(input: SynthesisInput, opts: SynthesisOptions = {}): Promise<SynthesisResult> {
  const started = performance.now();
  if (!input.chunks.length) throw new UnderstudyError('INPUT_INVALID', `no evidence to distil a skill for ${input.person.name} from: the chunk list is empty`);
  const ids = new Set<number>();
  for (const c of input.chunks) {
    if (!Number.isInteger(c.id)) throw new UnderstudyError('INPUT_INVALID', `evidence chunk from ${c.source} has no integer id (got ${String(c.id)})`);
    if (ids.has(c.id)) throw new UnderstudyError('INPUT_INVALID', `evidence id ${c.id} appears twice (second time in ${c.source} ${c.locator})`);
    ids.add(c.id);
  }
  if (input.kind === 'public-figure') return synthesizePublicFigure(input, opts);
  const progress = opts.onProgress ?? (() => undefined);
  const sample = sampleChunks(input.chunks, opts.maxChunks ?? DEFAULT_MAX_CHUNKS);
  progress(0, 1, 'reading');
  const view = buildView(input.person, sample);
  progress(1, 1, 'reading');
  let draft = offlineDraft(view, input.chunks.length);
  progress(1, 1, 'statistics');
  if (opts.model) {
    const outcome = await modelDraft(view, draft, opts.model, progress);
    draft = outcome.draft;
    draft.limits = honestLimits(view, { totalChunks: input.chunks.length, draft });
    if (outcome.failedBatches) {
      draft.limits.push({ text: `The model gave no usable answer for ${outcome.failedBatches} of ${outcome.batches} batches; those chunks count only in the statistics ${DERIVED}.`, anchors: [] });
    }
  }
  let changes: string[] = [];
  if (input.previous) {
    const merged = mergeWithPrevious(draft, input.previous, input.chunks, view);
    draft = merged.draft;
    changes = merged.changes;
  }
  draft.corrections = mergeCorrections(input.corrections ?? []);
  if (!input.corrections && input.previous) draft.corrections = previousCorrections(input.previous);
  const markdown = renderSkill(draft);
  const used = anchorsIn(markdown);
  const stray = used.filter((a) => !ids.has(a));
  if (stray.length) throw new UnderstudyError('INTERNAL', `skill synthesis produced anchors to unknown evidence: ${[...new Set(stray)].slice(0, 5).join(', ')}`);
  const evidence = [...new Set(used)].sort((a, b) => a - b);
  const claims = markdown.split('\n').filter((l) => /\[e:\d+\]\s*$/.test(l)).length;
  progress(1, 1, 'done');
  return {
    markdown,
    evidence,
    changes,
    stats: { chunks: sample.length, claims, anchors: used.length, seconds: Math.round((performance.now() - started) / 10) / 100 },
  };
}

function previousCorrections(previous: string): string[] {
  const at = previous.search(/^## Corrections\s*$/m);
  if (at < 0) return [];
  return previous
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l) => /^[-*]\s+/.test(l.trim()))
    .map((l) => l.trim().replace(/^[-*]\s+/, ''));
}
