import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { z } from 'zod';
import { generate } from '../../answer/llm';
import { UnderstudyError } from '../../errors';
import { uniqueIds } from './anchors';
import { offWork } from './work-context';
import type { CorpusView } from './corpus-view';
import { batchesOf, cleanText, MAP_SECTIONS, mapPrompt, parseJsonObject, reducePrompt, toIds, type MapSection } from './model-prompts';
import { sameClaim } from './similarity';
import { clip } from './text';
import type { Claim, Procedure, SkillDraft } from './types';

const CONCURRENCY = 3;
const REDUCE_GROUP = 60;

const MapOut = z.object({
  claims: z
    .array(z.object({ section: z.string(), text: z.string(), anchors: z.array(z.union([z.number(), z.string()])).default([]), procedure: z.string().optional() }))
    .default([]),
  conflicts: z.array(z.object({ text: z.string(), anchors: z.array(z.union([z.number(), z.string()])).default([]) })).default([]),
});
const ReduceOut = z.object({
  merged: z.array(z.object({ text: z.string(), from: z.array(z.union([z.number(), z.string()])).default([]) })).default([]),
  conflicts: z.array(z.object({ text: z.string(), from: z.array(z.union([z.number(), z.string()])).default([]) })).default([]),
});

interface Extracted {
  section: MapSection;
  text: string;
  anchors: number[];
  procedure?: string;
  batch: number;
}

export interface ModelOutcome {
  draft: SkillDraft;
  batches: number;
  failedBatches: number;
  droppedAnchors: number;
}

async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

/**
 * Map-reduce with a model: each batch of evidence yields claims citing the batch's ids (any
 * other id is dropped), then each section's claims are merged, with contradictions listed as
 * conflicts. Statistics the model cannot count (language mix, formality, greetings) and the
 * honest limits stay from the offline pass.
 */
export async function modelDraft(view: CorpusView, offline: SkillDraft, model: BaseChatModel, progress: (d: number, t: number, p: string) => void): Promise<ModelOutcome> {
  const batches = batchesOf(view.items);
  let done = 0;
  let failed = 0;
  let dropped = 0;
  const extracted: Extracted[] = [];
  const conflicts: Claim[] = [];
  let lastError: unknown;
  await pool(
    CONCURRENCY,
    batches.map((batch, bi) => async () => {
      const allowed = new Set(batch.map((b) => b.chunk.id));
      let parsed: z.infer<typeof MapOut> | undefined;
      try {
        const raw = parseJsonObject(await generate(model, mapPrompt(view.person, batch)));
        const r = MapOut.safeParse(raw);
        parsed = r.success ? r.data : undefined;
      } catch (err) {
        lastError = err;
      }
      if (!parsed) failed++;
      for (const c of parsed?.claims ?? []) {
        const ids = toIds(c.anchors);
        const anchors = uniqueIds(ids.filter((a) => allowed.has(a)));
        dropped += ids.length - ids.filter((a) => allowed.has(a)).length;
        const section = (MAP_SECTIONS as readonly string[]).includes(c.section) ? (c.section as MapSection) : undefined;
        if (!section || !anchors.length || !c.text.trim()) continue;
        // Systems owned needs work context: a town, a person or a private matter is dropped.
        if (section === 'systems' && offWork(c.text, anchors.map((a) => view.byId.get(a)?.chunk.text ?? ''))) continue;
        extracted.push({ section, text: cleanText(c.text), anchors, procedure: c.procedure?.trim() || undefined, batch: bi });
      }
      for (const c of parsed?.conflicts ?? []) {
        const anchors = uniqueIds(toIds(c.anchors).filter((a) => allowed.has(a)));
        if (anchors.length && c.text.trim()) conflicts.push({ text: cleanText(c.text), anchors });
      }
      progress(++done, batches.length, 'extracting');
    }),
  );
  if (batches.length && failed === batches.length) {
    throw new UnderstudyError('MODEL_FAILED', `skill synthesis: the model gave no usable answer for any of ${batches.length} batches`, { cause: lastError });
  }

  const draft: SkillDraft = { ...offline, work: { ...offline.work }, persona: { ...offline.persona } };
  const sections = MAP_SECTIONS.filter((s) => s !== 'procedures');
  let reduced = 0;
  for (const section of sections) {
    const claims = extracted.filter((e) => e.section === section);
    if (!claims.length) continue;
    const merged = await reduceSection(view, model, section, claims, conflicts);
    progress(++reduced, sections.length, 'merging');
    if (section === 'tone' || section === 'phrases' || section === 'boundaries') draft.persona[section] = [...merged, ...offline.persona[section]];
    else draft.work[section] = merged;
  }
  const procedures = proceduresFrom(extracted.filter((e) => e.section === 'procedures'));
  if (procedures.length) draft.work.procedures = procedures;
  draft.work.conflicts = dedupe(conflicts);
  return { draft, batches: batches.length, failedBatches: failed, droppedAnchors: dropped };
}

async function reduceSection(view: CorpusView, model: BaseChatModel, section: MapSection, claims: Extracted[], conflicts: Claim[]): Promise<Claim[]> {
  // Claims from one batch were merged by the model already.
  if (new Set(claims.map((c) => c.batch)).size === 1) return dedupe(claims);
  const out: Claim[] = [];
  for (let i = 0; i < claims.length; i += REDUCE_GROUP) {
    const group = claims.slice(i, i + REDUCE_GROUP);
    let parsed: z.infer<typeof ReduceOut> | undefined;
    try {
      const r = ReduceOut.safeParse(parseJsonObject(await generate(model, reducePrompt(view.person, section, group))));
      parsed = r.success ? r.data : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || !parsed.merged.length) {
      out.push(...dedupe(group));
      continue;
    }
    const from = (xs: readonly (number | string)[]) => uniqueIds(toIds(xs).flatMap((n) => group[n - 1]?.anchors ?? []));
    for (const m of parsed.merged) {
      const anchors = from(m.from).slice(0, 4);
      if (anchors.length && m.text.trim()) out.push({ text: cleanText(m.text), anchors });
    }
    for (const c of parsed.conflicts) {
      const anchors = from(c.from).slice(0, 6);
      if (anchors.length >= 2 && c.text.trim()) conflicts.push({ text: cleanText(c.text), anchors });
    }
  }
  return dedupe(out);
}

/** Without a model's merge: claims that say the same thing become one, with all their anchors. */
function dedupe(claims: readonly { text: string; anchors: number[] }[]): Claim[] {
  const out: Claim[] = [];
  for (const c of claims) {
    const same = out.find((o) => sameClaim(o.text, c.text, 0.6));
    if (same) same.anchors = uniqueIds([...same.anchors, ...c.anchors]).slice(0, 4);
    else out.push({ text: c.text, anchors: [...c.anchors] });
  }
  return out;
}

function proceduresFrom(steps: readonly Extracted[]): Procedure[] {
  const out: Procedure[] = [];
  for (const s of steps) {
    const title = clip(s.procedure ?? 'Steps', 80);
    let p = out.find((o) => sameClaim(o.title, title, 0.6));
    if (!p) out.push((p = { title, anchors: [s.anchors[0]], steps: [] }));
    if (!p.steps.some((o) => sameClaim(o.text, s.text, 0.7))) p.steps.push({ text: s.text, anchors: s.anchors.slice(0, 3) });
  }
  return out.filter((p) => p.steps.length >= 2 || out.length === 1).slice(0, 10);
}
