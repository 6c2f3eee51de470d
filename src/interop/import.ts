import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAvatarPackage } from '../avatars/create';
import type { AvatarHost } from '../avatars/host';
import { AVATAR_FILE, loadAvatarPackage, saveAvatarConfig } from '../avatars/package';
import { UnderstudyError } from '../errors';
import type { IngestReport } from '../retrieval/ingest';
import { saveVersion } from '../distill/versions';
import { anchorsIn } from '../distill/skill/anchors';
import { mkdirPrivate } from '../util/fs-atomic';
import { readSkillFolders, type CorpusSource, type SkillFolder } from './read';

export interface ImportOptions {
  /** Who runs it, for the version and the audit log. */
  actor: string;
  /** Another slug than the folder's (one person only). */
  slug?: string;
  onProgress?: (slug: string, phase: string) => void;
}

export interface ImportedAvatar {
  slug: string;
  name: string;
  format: SkillFolder['format'];
  dir: string;
  chunks: number;
  anchors: number;
  ingest: IngestReport;
}

const REF_TEXT = (n: number) => `e-${n}.txt`;

/** Copy regular files only: a symbolic link in someone else's folder is never followed or kept. */
function copyRegular(src: string, dest: string): number {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink() || path.basename(src).startsWith('.')) return 0;
  if (st.isDirectory()) {
    let n = 0;
    for (const name of fs.readdirSync(src).sort()) n += copyRegular(path.join(src, name), path.join(dest, name));
    return n;
  }
  if (!st.isFile()) return 0;
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
  fs.copyFileSync(src, dest);
  return 1;
}

/** The folder's material laid out as it will sit in corpus/, each top-level entry one `--from`. */
function stageMaterial(folder: SkillFolder, root: string): string[] {
  const tops = new Set<string>();
  const add = (s: CorpusSource) => {
    if (copyRegular(s.src, path.join(root, s.dest))) tops.add(s.dest.split('/')[0]);
  };
  for (const s of folder.sources) add(s);
  for (const r of folder.references) {
    fs.mkdirSync(path.join(root, 'references'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(root, 'references', REF_TEXT(r.n)), `${r.text}\n`, { mode: 0o600 });
    tops.add('references');
  }
  return [...tops].sort().map((t) => path.join(root, t));
}

/**
 * Import skill folders (colleague.skill, Nüwa-style, or our own Agent Skills export) as avatar
 * packages. Every folder is read and checked before anything is created. Each avatar is written
 * paused, with `consent_pending` in avatar.yaml, and indexed; it answers no one until a consent
 * record is added (`understudy avatar consent`, or a distillation with consent).
 */
export async function importSkillFolders(service: AvatarHost, dir: string, opts: ImportOptions): Promise<ImportedAvatar[]> {
  const folders = readSkillFolders(path.resolve(dir));
  if (opts.slug) {
    if (folders.length > 1) throw new UnderstudyError('INPUT_INVALID', `--slug names one avatar, but ${dir} holds ${folders.length} people; import them with the slugs in their folders`);
    folders[0].slug = opts.slug;
  }
  const avatarsDir = service.registry.avatarsDir;
  for (const f of folders) {
    if (fs.existsSync(path.join(avatarsDir, f.slug))) {
      throw new UnderstudyError('INPUT_INVALID', `Avatar "${f.slug}" already exists in ${path.join(avatarsDir, f.slug)} (from ${f.dir}); import it under another slug with --slug, or remove the old one first.`, { details: { file: f.dir } });
    }
  }
  const out: ImportedAvatar[] = [];
  for (const f of folders) out.push(await importOne(service, f, opts));
  return out;
}

async function importOne(service: AvatarHost, folder: SkillFolder, opts: ImportOptions): Promise<ImportedAvatar> {
  const avatarsDir = service.registry.avatarsDir;
  mkdirPrivate(avatarsDir);
  // Built beside the live avatars under a name the registry skips, then moved in whole and paused.
  const staging = path.join(avatarsDir, `.importing-${crypto.randomBytes(4).toString('hex')}`);
  const material = fs.mkdtempSync(path.join(os.tmpdir(), 'understudy-import-'));
  const dest = path.join(avatarsDir, folder.slug);
  let moved = false;
  try {
    opts.onProgress?.(folder.slug, 'copy');
    const from = stageMaterial(folder, material);
    const made = createAvatarPackage(staging, { slug: folder.slug, name: folder.name, from, lang: folder.languages[0], title: folder.title, team: folder.team }, material);
    const pkg = loadAvatarPackage(made);
    const config = {
      ...pkg.config,
      kind: folder.kind,
      status: 'paused' as const,
      person: { ...pkg.config.person, aliases: folder.aliases, languages: folder.languages },
      consent_pending: { status: 'none' as const, source: folder.format, from: path.basename(folder.dir), imported_at: new Date().toISOString() },
    };
    saveAvatarConfig(made, config);
    if (fs.existsSync(path.join(dest, AVATAR_FILE))) throw new UnderstudyError('INPUT_INVALID', `Avatar "${folder.slug}" was created meanwhile in ${dest}; nothing was imported.`);
    fs.renameSync(made, dest);
    moved = true;
    service.reload();
    opts.onProgress?.(folder.slug, 'ingest');
    const ingest = await service.ingest(folder.slug);
    const skill = repointAnchors(service, folder);
    saveVersion(dest, skill, { reason: 'manual', by: opts.actor, evidence: anchorsIn(skill).length, changes: [`imported from a ${folder.format} folder "${path.basename(folder.dir)}"`] });
    await service.store.audit({
      actor: opts.actor,
      action: 'import',
      avatar: folder.slug,
      detail: { format: folder.format, from: path.basename(folder.dir), chunks: ingest.totalChunks, anchors: folder.references.length, consent: 'none: paused until recorded' },
    });
    service.reload();
    return { slug: folder.slug, name: folder.name, format: folder.format, dir: dest, chunks: ingest.totalChunks, anchors: folder.references.length, ingest };
  } catch (err) {
    if (moved) {
      service.index(folder.slug).destroy();
      fs.rmSync(dest, { recursive: true, force: true });
      service.reload();
    }
    throw err;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(material, { recursive: true, force: true });
  }
}

/** `[e:N]` of the imported folder becomes `[e:<id>]` of the chunk its reference file became. */
function repointAnchors(service: AvatarHost, folder: SkillFolder): string {
  if (!folder.references.length) return folder.skill;
  const bySource = new Map<string, number>();
  for (const c of service.index(folder.slug).chunkStore().iterateChunks()) {
    const prev = bySource.get(c.source);
    if (prev === undefined || c.id < prev) bySource.set(c.source, c.id);
  }
  const ids = new Map<number, number>();
  for (const r of folder.references) {
    const id = bySource.get(`references/${REF_TEXT(r.n)}`);
    if (id === undefined) throw new UnderstudyError('INPUT_INVALID', `${path.join(folder.dir, 'references', `e-${r.n}.md`)}: the evidence for [e:${r.n}] gave no indexable text`);
    ids.set(r.n, id);
  }
  return folder.skill.replace(/\[e:(\d+)\]/g, (_m, n: string) => `[e:${ids.get(Number(n)) as number}]`);
}
