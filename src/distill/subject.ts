import fs from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { loadAvatarPackage, readSkill, saveAvatarConfig, SKILL_FILE, type AvatarPackage } from '../avatars/package';
import type { AvatarHost } from '../avatars/host';
import { awaitsConsent } from '../avatars/schema';
import { UnderstudyError } from '../errors';
import { writeFileAtomic } from '../util/fs-atomic';
import { purposeText } from './consent';
import { VERSIONS_DIR, listVersions } from './versions';

/**
 * Whether a platform user (`slack:U123`, `lark:ou_abc`) is the person an avatar is of. The README
 * documents the bare id in person.aliases (`U123`, `ou_abc`: the form export loaders match authors
 * by); `/distill` writes the qualified one. Both count.
 */
export function isSubject(pkg: AvatarPackage, actor: string): boolean {
  const a = actor.toLowerCase();
  // Only chat platform ids: a `cli:<name>` operator must not become the subject by sharing a name.
  const bare = /^(?:slack|lark):/.test(a) ? a.slice(a.indexOf(':') + 1) : undefined;
  return pkg.config.person.aliases.some((x) => {
    const alias = x.trim().toLowerCase();
    return alias === a || (bare !== undefined && alias === bare);
  });
}

/** The avatars whose subject this user is. */
export function avatarsOf(service: AvatarHost, actor: string): AvatarPackage[] {
  return service.registry.list().filter((p) => isSubject(p, actor));
}

export async function setStatus(service: AvatarHost, slug: string, status: 'active' | 'paused', actor: string): Promise<void> {
  const pkg = service.get(slug);
  if (status === 'active' && awaitsConsent(pkg.config)) {
    throw new UnderstudyError('CONSENT_REQUIRED', `${slug} was imported without a consent record and stays paused until one is recorded: \`understudy avatar consent ${slug} --basis self|consent|policy --approved-by <who>\`.`, {
      details: { avatar: slug, zh: `${slug} 是导入的数字分身，还没有授权记录；记录授权后才会恢复。` },
    });
  }
  pkg.config.status = status;
  saveAvatarConfig(pkg.dir, pkg.config);
  await service.store.audit({ actor, action: status === 'paused' ? 'pause' : 'resume', avatar: slug });
  service.reload();
}

/**
 * Revoke: delete the corpus copies, the index, the skill and its versions, and conversation
 * memory. avatar.yaml stays as a tombstone (status revoked, consent record) so nothing answers;
 * the audit log keeps that it happened, not the content.
 */
export async function revoke(service: AvatarHost, slug: string, actor: string): Promise<{ removedFiles: number }> {
  const pkg = service.get(slug);
  let removed = 0;
  const count = (dir: string): number => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).length : 0);
  removed += count(pkg.corpusDir) + count(path.join(pkg.dir, VERSIONS_DIR));
  fs.rmSync(pkg.corpusDir, { recursive: true, force: true });
  fs.rmSync(path.join(pkg.dir, VERSIONS_DIR), { recursive: true, force: true });
  writeFileAtomic(path.join(pkg.dir, SKILL_FILE), `# Skill: ${pkg.config.person.name}\n\n(revoked: the skill and its sources were deleted)\n`);
  service.index(slug).destroy();
  await service.store.forgetAvatar(slug);
  const fresh = loadAvatarPackage(pkg.dir);
  fresh.config.status = 'revoked';
  saveAvatarConfig(pkg.dir, fresh.config);
  await service.store.audit({ actor, action: 'revoke', avatar: slug, detail: { removed_files: removed } });
  service.reload();
  return { removedFiles: removed };
}

/** A zip of the skill, its versions, avatar.yaml and the sources. */
export async function exportAvatar(service: AvatarHost, slug: string, actor: string): Promise<Uint8Array> {
  const pkg = service.get(slug);
  const files: Record<string, Uint8Array> = {};
  const add = (abs: string, rel: string): void => {
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) for (const name of fs.readdirSync(abs)) add(path.join(abs, name), `${rel}/${name}`);
    else files[rel] = fs.readFileSync(abs);
  };
  add(path.join(pkg.dir, 'avatar.yaml'), `${slug}/avatar.yaml`);
  files[`${slug}/skill.md`] = strToU8(readSkill(pkg));
  add(path.join(pkg.dir, VERSIONS_DIR), `${slug}/${VERSIONS_DIR}`);
  add(pkg.corpusDir, `${slug}/corpus`);
  await service.store.audit({ actor, action: 'export', avatar: slug, detail: { files: Object.keys(files).length } });
  return zipSync(files, { level: 6 });
}

/** What the avatar holds, for its subject: sources and counts, skill summary, consent, who asked. */
const STATUS_ZH: Record<string, string> = { active: '运行中', paused: '已暂停', revoked: '已撤销' };

export async function describeHoldings(service: AvatarHost, slug: string, lang: 'zh' | 'en' = 'en'): Promise<string> {
  const pkg = service.get(slug);
  const index = service.index(slug);
  const sources = index.exists() ? index.chunkStore().sourceCounts() : [];
  const byKind = new Map<string, number>();
  for (const s of sources) {
    const top = s.source.split('/')[0];
    byKind.set(top, (byKind.get(top) ?? 0) + s.chunks);
  }
  const skill = readSkill(pkg);
  const sections = [...skill.matchAll(/^##+ (.+)$/gm)].map((m) => m[1]);
  const anchors = (skill.match(/\[e:\d+\]/g) ?? []).length;
  const asks = await service.store.auditEntries({ avatar: slug, action: 'ask', limit: 5000 });
  const since = Date.now() - 30 * 86_400_000;
  const recent = asks.filter((a) => Date.parse(a.at) >= since);
  const askers = new Set(recent.map((a) => a.actor));
  const versions = listVersions(pkg.dir);
  const c = pkg.config.consent;
  if (lang === 'zh') {
    // Our own words in Chinese; folder names are the owner's, except `chat/` which /distill makes.
    const kinds = [...byKind].map(([k, n]) => `${k === 'chat' ? '聊天记录' : k} ${n}`).join('、') || '无';
    const basis = c ? ({ self: '本人发起', consent: '本人同意', policy: '公司政策' } as Record<string, string>)[c.basis] ?? c.basis : '';
    const reason = c?.reason && c.reason !== purposeText('en') ? `（${c.reason}）` : c?.reason ? `（${purposeText('zh')}）` : '';
    return [
      `*@${pkg.config.handle}*（${STATUS_ZH[pkg.config.status] ?? pkg.config.status}）`,
      `资料：${sources.length} 个来源，${index.count()} 段 — ${kinds}`,
      `技能：${versions.length ? `第 ${versions.at(-1)?.version} 版` : '未蒸馏'}，${anchors} 处证据锚点，${sections.length} 个章节`,
      `授权：${c ? `${basis}，批准人 ${c.approved_by}，${c.recorded_at.slice(0, 10)}${reason}` : '无记录'}`,
      `近 30 天：${recent.length} 个问题，来自 ${askers.size} 人；其中 ${recent.filter((a) => (a.detail as { grounded?: boolean }).grounded === false).length} 个没有答案`,
      '管理：`/avatar pause` · `/avatar resume` · `/avatar revoke` · `/avatar export` · `/avatar corrections`',
    ].join('\n');
  }
  return [
    `*@${pkg.config.handle}* (${pkg.config.status})`,
    `Sources: ${sources.length} sources, ${index.count()} chunks — ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `Skill: ${versions.length ? `v${versions.at(-1)?.version}` : 'not distilled'}, ${anchors} evidence anchors; sections: ${sections.join(', ')}`,
    `Consent: ${c ? `${c.basis}, approved by ${c.approved_by}, ${c.recorded_at.slice(0, 10)}${c.reason ? ` (${c.reason})` : ''}` : 'none recorded'}`,
    `Last 30 days: ${recent.length} questions from ${askers.size} people; ${recent.filter((a) => (a.detail as { grounded?: boolean }).grounded === false).length} had no answer`,
    'Controls: /avatar pause · /avatar resume · /avatar revoke · /avatar export · /avatar corrections',
  ].join('\n');
}
