import type { AvatarHost } from '../avatars/host';
import { readSkill } from '../avatars/package';
import { UnderstudyError } from '../errors';
import { approvedCorrections } from './corrections';
import { checkSkill, synthesizeSkill, type EvidenceChunk, type SynthesisResult } from './skill';
import type { QualityReport } from './skill/types';
import { listVersions, saveVersion, type VersionMeta } from './versions';

export interface PublicFigureOutcome {
  synthesis: SynthesisResult;
  version: VersionMeta;
  quality: QualityReport;
}

/**
 * Distil the skill of an avatar built from a person's public writing (avatar.yaml kind
 * public-figure) from its index: frameworks, heuristics, recurring arguments, changes of mind and
 * style, every claim anchored; offline unless the host has a model. Saved as a version, audited.
 */
export async function distillPublicFigure(service: AvatarHost, slug: string, actor: string, onProgress?: (done: number, total: number, phase: string) => void): Promise<PublicFigureOutcome> {
  const pkg = service.get(slug);
  if (pkg.config.kind !== 'public-figure') throw new UnderstudyError('INPUT_INVALID', `${slug} is not a public-figure avatar (avatar.yaml kind: ${pkg.config.kind ?? 'colleague'})`);
  const index = service.index(pkg.config.slug);
  const chunks: EvidenceChunk[] = [];
  if (index.exists()) for (const c of index.chunkStore().iterateChunks()) chunks.push({ id: c.id, text: c.text, source: c.source, locator: c.locator, kind: c.kind, title: c.title, date: c.date, author: c.author });
  if (!chunks.length) throw new UnderstudyError('INPUT_INVALID', `No writing of ${pkg.config.person.name} was indexed for ${slug}; check --from.`);
  const p = pkg.config.person;
  const synthesis = await synthesizeSkill(
    { person: { name: p.name, name_en: p.name_en, title: p.title, team: p.team, languages: p.languages, pronoun: p.pronoun }, chunks, kind: 'public-figure', corrections: await approvedCorrections(service.store, pkg.config.slug) },
    { model: service.model, onProgress },
  );
  const redistill = listVersions(pkg.dir).length > 0 && readSkill(pkg).includes('[e:');
  const version = saveVersion(pkg.dir, synthesis.markdown, { reason: redistill ? 'redistill' : 'distill', by: actor, evidence: synthesis.evidence.length, changes: [] });
  await service.store.audit({ actor, action: redistill ? 'redistill' : 'distill', avatar: pkg.config.slug, detail: { kind: 'public-figure', version: version.version, chunks: chunks.length, model: service.model ? 'model' : 'offline' } });
  const known = new Set(chunks.map((c) => c.id));
  const byId = new Map(chunks.map((c) => [c.id, c.text]));
  return { synthesis, version, quality: checkSkill(synthesis.markdown, known, (id) => byId.get(id)) };
}
