import { UnderstudyError } from '../errors';
import type { StateStore, StoredFeedback } from '../store/types';

export interface CorrectionDecision {
  status: 'approved' | 'rejected';
  by: string;
  at: string;
}

export interface PendingCorrection {
  id: number;
  avatar: string;
  text: string;
  proposedBy: string;
  at: string;
}

const DECISIONS = 'correction-decisions';

/** Corrections are feedback of kind `correction` with text; each waits for a decision. */
/** Correction feedback of an avatar, each with its decision (undefined while pending), oldest first. */
async function correctionsWithDecisions(store: StateStore, avatar: string): Promise<{ f: StoredFeedback; decision: CorrectionDecision | undefined }[]> {
  const out: { f: StoredFeedback; decision: CorrectionDecision | undefined }[] = [];
  for (const f of await store.listFeedback(avatar)) {
    if (f.kind !== 'correction' || !f.text) continue;
    out.push({ f, decision: await store.kvGet<CorrectionDecision>(DECISIONS, String(f.id)) });
  }
  return out;
}

/** Corrections are feedback of kind `correction` with text; each waits for a decision. */
export async function pendingCorrections(store: StateStore, avatar: string): Promise<PendingCorrection[]> {
  return (await correctionsWithDecisions(store, avatar))
    .filter(({ decision }) => !decision)
    .map(({ f }) => ({ id: f.id, avatar, text: f.text as string, proposedBy: f.userId, at: f.at }));
}

export async function approvedCorrections(store: StateStore, avatar: string): Promise<string[]> {
  return (await correctionsWithDecisions(store, avatar))
    .filter(({ decision }) => decision?.status === 'approved')
    .map(({ f }) => f.text as string)
    .reverse();
}

export async function proposeCorrection(store: StateStore, avatar: string, text: string, by: string, conversation = 'command'): Promise<number> {
  const id = await store.addFeedback({ avatar, conversation, userId: by, kind: 'correction', text: text.slice(0, 2000) });
  await store.audit({ actor: by, action: 'correction_proposed', avatar, detail: { feedback: id } });
  return id;
}

export async function decideCorrection(store: StateStore, avatar: string, id: number, approve: boolean, by: string): Promise<PendingCorrection> {
  const pending = (await pendingCorrections(store, avatar)).find((p) => p.id === id);
  if (!pending) throw new UnderstudyError('INPUT_INVALID', `No pending correction #${id} for ${avatar}.`);
  await store.kvSet<CorrectionDecision>(DECISIONS, String(id), { status: approve ? 'approved' : 'rejected', by, at: new Date().toISOString() });
  await store.audit({ actor: by, action: approve ? 'correction_approved' : 'correction_rejected', avatar, detail: { feedback: id } });
  return pending;
}

const MAX_CORRECTIONS = 20;

function words(s: string): Set<string> {
  return new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1));
}

function similar(a: string, b: string): boolean {
  const x = words(a);
  const y = words(b);
  let inter = 0;
  for (const w of x) if (y.has(w)) inter++;
  return inter / Math.max(1, x.size + y.size - inter) >= 0.6;
}

/**
 * Put approved corrections into the skill's `## Corrections` section, newest first: a correction
 * close to an earlier one replaces it, and at most 20 are kept.
 */
export function applyCorrections(skill: string, corrections: string[]): string {
  const merged: string[] = [];
  for (const c of corrections) {
    const text = c.replace(/\s+/g, ' ').trim();
    if (!text || merged.some((m) => similar(m, text))) continue;
    merged.push(text);
    if (merged.length >= MAX_CORRECTIONS) break;
  }
  const body = merged.length ? merged.map((c) => `- ${c} (approved correction)`).join('\n') : '(none)';
  const section = `## Corrections\n\n${body}\n`;
  if (/^## Corrections\b/m.test(skill)) return skill.replace(/^## Corrections\b[\s\S]*?(?=^## |$(?![\s\S]))/m, `${section}\n`).trimEnd() + '\n';
  return `${skill.trimEnd()}\n\n${section}`;
}
