import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadAvatarPackage, readSkill, saveAvatarConfig } from '../avatars/package';
import { withConsent, type ConsentRecord } from '../avatars/schema';
import type { AvatarHost } from '../avatars/host';
import { createAvatarPackage } from '../avatars/create';
import { maskTextFiles } from '../corpus/mask-files';
import type { IngestProgress, IngestReport } from '../retrieval/ingest';
import { UnderstudyError } from '../errors';
import { restrictTree } from '../util/fs-atomic';
import { approvedCorrections } from './corrections';
import { synthesizeSkill, type EvidenceChunk, type SynthesisResult } from './skill';
import { listVersions, saveVersion, type VersionMeta } from './versions';

export interface DistillPerson {
  name: string;
  name_en?: string;
  title?: string;
  team?: string;
  status?: 'active' | 'departed';
  languages?: ('zh' | 'en')[];
  /** E-mail addresses, names and platform-qualified ids (`slack:U123`) of the person. */
  aliases: string[];
}

export interface DistillInput {
  slug: string;
  person: DistillPerson;
  consent: ConsentRecord;
  /** Who runs it, for versions and the audit log. */
  actor: string;
  /** Files or folders to copy into the corpus (exports, maildirs, documents). */
  from?: string[];
  /** Called after sources are in place and before ingest (chat collection writes its files here). */
  prepare?: (corpusDir: string) => void | Promise<void>;
  onProgress?: (phase: string, done: number, total: number) => void;
  cwd?: string;
}

export interface DistillOutcome {
  slug: string;
  created: boolean;
  ingest: IngestReport;
  version: VersionMeta;
  synthesis: SynthesisResult;
}

/**
 * Build or refresh an avatar from a person's material: copy sources, record consent in
 * avatar.yaml, ingest (redacting), synthesise an evidence-anchored skill, save a version.
 * A brand-new avatar with no material of the person is removed again, never left empty.
 */
export async function distill(service: AvatarHost, input: DistillInput): Promise<DistillOutcome> {
  const avatarsDir = service.registry.avatarsDir;
  const dir = path.join(avatarsDir, input.slug);
  const existing = fs.existsSync(path.join(dir, 'avatar.yaml'));
  if (!existing) {
    createAvatarPackage(
      avatarsDir,
      { slug: input.slug, name: input.person.name, from: input.from ?? [], author: input.person.aliases.join(','), lang: input.person.languages?.[0], title: input.person.title, status: input.person.status, consent: input.consent },
      input.cwd ?? process.cwd(),
    );
    recordOrigins(dir, input.from ?? [], input.cwd);
  } else {
    for (const f of input.from ?? []) {
      const src = path.resolve(input.cwd ?? process.cwd(), f);
      if (!fs.existsSync(src)) throw new UnderstudyError('FILE_UNREADABLE', `--from ${src}: no such file or folder`);
      copyInPlace(dir, src, input.person.aliases.filter((a) => a.includes('@')));
    }
  }
  try {
    const pkg = loadAvatarPackage(dir);
    const person = pkg.config.person;
    // An imported avatar waiting for consent becomes active with it.
    pkg.config = withConsent(pkg.config, input.consent);
    pkg.config.person = {
      ...person,
      name: input.person.name,
      name_en: input.person.name_en ?? person.name_en,
      title: input.person.title ?? person.title,
      team: input.person.team ?? person.team,
      aliases: [...new Set([...person.aliases, ...input.person.aliases])],
      languages: input.person.languages ?? person.languages,
    };
    if (pkg.config.status === 'revoked') pkg.config.status = 'active';
    saveAvatarConfig(dir, pkg.config);
    if (input.prepare) await input.prepare(pkg.corpusDir);
    service.reload();

    const ingest = await service.ingest(input.slug, {
      onProgress: (p: IngestProgress) => input.onProgress?.(p.phase, p.done, p.total),
    });
    if (ingest.totalChunks === 0) {
      throw new UnderstudyError('INPUT_INVALID', `No messages or documents of ${input.person.name} were found${input.person.aliases.length ? ` (matching ${input.person.aliases.join(', ')})` : ''}; no avatar was created.`, {
        details: { reason: 'zero_messages' },
      });
    }
    const index = service.index(input.slug);
    const chunks: EvidenceChunk[] = [];
    for (const c of index.chunkStore().iterateChunks()) {
      chunks.push({ id: c.id, text: c.text, source: c.source, locator: c.locator, kind: c.kind, title: c.title, date: c.date, author: c.author, context: c.context });
    }
    const previous = listVersions(dir).length > 0 ? readSkill(pkg) : undefined;
    input.onProgress?.('skill', 0, 1);
    const synthesis = await synthesizeSkill(
      {
        person: { name: input.person.name, name_en: input.person.name_en, title: input.person.title ?? person.title, team: input.person.team ?? person.team, languages: input.person.languages ?? person.languages, pronoun: person.pronoun },
        chunks,
        previous,
        corrections: await approvedCorrections(service.store, input.slug),
        kind: pkg.config.kind,
      },
      { model: service.model, onProgress: (d, t, phase) => input.onProgress?.(`skill:${phase}`, d, t) },
    );
    const version = saveVersion(dir, synthesis.markdown, { reason: previous ? 'redistill' : 'distill', by: input.actor, evidence: synthesis.evidence.length, changes: synthesis.changes });
    await service.store.audit({
      actor: input.actor,
      action: previous ? 'redistill' : 'distill',
      avatar: input.slug,
      detail: { version: version.version, chunks: ingest.totalChunks, consent: input.consent.consent_id ?? input.consent.basis, redactions: ingest.redactions },
    });
    service.reload();
    return { slug: input.slug, created: !existing, ingest, version, synthesis };
  } catch (err) {
    if (!existing) {
      // Nothing of the person was kept: remove the half-made package and its index.
      service.index(input.slug).destroy();
      fs.rmSync(dir, { recursive: true, force: true });
      service.reload();
    }
    throw err;
  }
}

/**
 * Which source each corpus entry was copied from, so a re-run knows its own copy. Kept as a hash
 * of the absolute path: the corpus travels in exports, the operator's folder names need not.
 */
const ORIGINS_FILE = '.origins.json';

function originOf(src: string): string {
  return crypto.createHash('sha256').update(src).digest('hex').slice(0, 32);
}

function readOrigins(dir: string): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'corpus', ORIGINS_FILE), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function writeOrigins(dir: string, origins: Record<string, string>): void {
  fs.writeFileSync(path.join(dir, 'corpus', ORIGINS_FILE), JSON.stringify(origins, null, 2) + '\n', { mode: 0o600 });
}

function recordOrigins(dir: string, from: string[], cwd?: string): void {
  const origins = readOrigins(dir);
  for (const f of from) {
    const src = path.resolve(cwd ?? process.cwd(), f);
    const name = path.basename(src);
    if (!origins[name] && fs.existsSync(path.join(dir, 'corpus', name))) origins[name] = originOf(src);
  }
  writeOrigins(dir, origins);
}

/**
 * Copy a source into the corpus, replacing the earlier copy of the same source so that a
 * re-run updates in place (new and removed messages included). A different source with the
 * same folder name gets its own `-2` entry. Entries without a recorded origin (packages made
 * before origins were kept) are taken to be the same source.
 */
function copyInPlace(dir: string, src: string, keepEmails: string[]): void {
  const origins = readOrigins(dir);
  const base = path.basename(src);
  let name = base;
  for (let i = 2; fs.existsSync(path.join(dir, 'corpus', name)) && origins[name] !== undefined && origins[name] !== originOf(src); i++) name = `${base}-${i}`;
  const dest = path.join(dir, 'corpus', name);
  // Copy beside, then swap, so that a failed copy never leaves the avatar without its corpus.
  const staging = path.join(dir, 'corpus', `.staging-${name}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(src, staging, { recursive: true, filter: (p) => !path.basename(p).startsWith('.') || p === src });
  restrictTree(staging);
  maskTextFiles(staging, { keepEmails });
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(staging, dest);
  origins[name] = originOf(src);
  writeOrigins(dir, origins);
}
