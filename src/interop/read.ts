/**
 * Reading skill folders made elsewhere into what an avatar package needs: who the person is,
 * the skill text (as data), and the files that become the corpus.
 *
 * - colleague.skill: a person folder with `meta.json` (name, slug, aliases, profile), `work.md`
 *   and `persona.md`, and optionally the raw material in `knowledge/` (or `sources/`, `references/`).
 * - Nüwa-style: `SKILL.md` with `name`/`description` front matter and `references/`.
 * - Understudy's own Agent Skills export (SKILL.md with `metadata.understudy-format`): anchors
 *   `[e:N]` backed by `references/e-N.md` are kept and re-pointed at the new index.
 * - A parent folder of any of these: every person in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { neutralize } from '../answer/prompt';
import { SLUG_RE, slugFromName } from '../avatars/slug';
import { UnderstudyError } from '../errors';
import { anchorsIn } from '../distill/skill/anchors';
import { DISCLOSURE_HEADING, FORMAT_VERSION, REFERENCE_NAME, REFERENCES_DIR, splitFrontMatter } from './format';
import { foreignLine, foreignMarkdown, readTextFile } from './foreign-text';

export type ImportFormat = 'colleague-skill' | 'nuwa-skill' | 'agent-skill';

/** A file or folder to copy into the corpus, under `dest` (relative to corpus/). */
export interface CorpusSource {
  src: string;
  dest: string;
}

export interface ImportedReference {
  /** The N of `[e:N]` in the imported SKILL.md. */
  n: number;
  /** The quote, as it becomes a corpus file. */
  text: string;
}

export interface SkillFolder {
  format: ImportFormat;
  dir: string;
  slug: string;
  name: string;
  title: string;
  team: string;
  aliases: string[];
  languages: ('zh' | 'en')[];
  kind: 'colleague' | 'public-figure';
  /** skill.md as it will be written; for agent-skill, anchors still use the folder's N. */
  skill: string;
  sources: CorpusSource[];
  references: ImportedReference[];
}

const COLLEAGUE_FILES = ['meta.json', 'work.md', 'persona.md'];
/** Slack and Feishu user ids, bare or qualified: `slack:U123`, `U07ABC123`, `ou_abc`. */
const PLATFORM_ID = /^(?:(?:slack|lark|feishu):.*|[UW][A-Z0-9]{6,}|ou_[0-9a-z]+)$/i;
const MATERIAL_DIRS = ['knowledge', 'sources', 'references'];

function isDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

function looksLikeSkill(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'SKILL.md')) || COLLEAGUE_FILES.some((f) => fs.existsSync(path.join(dir, f)));
}

/** The skill folders in `dir`: the folder itself, or each person folder inside it. */
export function readSkillFolders(dir: string): SkillFolder[] {
  if (!isDir(dir)) throw new UnderstudyError('FILE_UNREADABLE', `${dir}: no such folder`, { details: { file: dir } });
  if (looksLikeSkill(dir)) return [readSkillFolder(dir)];
  const children = fs
    .readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((p) => isDir(p) && looksLikeSkill(p));
  if (!children.length) {
    throw new UnderstudyError(
      'INPUT_INVALID',
      `${dir}: not a skill folder: expected a colleague.skill person folder (meta.json, work.md, persona.md), an Agent Skills folder (SKILL.md, references/), or a folder of them`,
      { details: { file: dir } },
    );
  }
  const out = children.map(readSkillFolder);
  const seen = new Map<string, string>();
  for (const f of out) {
    const other = seen.get(f.slug);
    if (other) throw new UnderstudyError('INPUT_INVALID', `${f.dir}: slug "${f.slug}" is also the slug of ${other}; give one of them another slug in its meta.json or SKILL.md`, { details: { file: f.dir } });
    seen.set(f.slug, f.dir);
  }
  return out;
}

export function readSkillFolder(dir: string): SkillFolder {
  return fs.existsSync(path.join(dir, 'SKILL.md')) ? readAgentSkill(dir) : readColleagueSkill(dir);
}

function fieldError(file: string, field: string, message: string): UnderstudyError {
  return new UnderstudyError('INPUT_INVALID', `${file}: field ${field}: ${message}`, { details: { file, field } });
}

function optionalString(obj: Record<string, unknown>, key: string, file: string, field = key): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw fieldError(file, field, `must be a string, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  return v;
}

function slugFor(explicit: string | undefined, name: string, file: string, field: string): string {
  if (explicit !== undefined) {
    if (!SLUG_RE.test(explicit)) throw fieldError(file, field, `"${foreignLine(explicit, 60)}" must be lowercase letters, digits and dashes`);
    return explicit;
  }
  return slugFromName(name, path.basename(path.dirname(file)));
}

function languagesOf(text: string): ('zh' | 'en')[] {
  const cjk = (text.match(/\p{Script=Han}/gu) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  return cjk > latin / 4 ? (latin > cjk * 2 ? ['zh', 'en'] : ['zh']) : ['en'];
}

/** Regular files and folders to copy; symbolic links in someone else's folder are never followed. */
function materialIn(dir: string, names: readonly string[]): CorpusSource[] {
  return names.filter((n) => isDir(path.join(dir, n))).map((n) => ({ src: path.join(dir, n), dest: n }));
}

function readColleagueSkill(dir: string): SkillFolder {
  const metaFile = path.join(dir, 'meta.json');
  for (const f of COLLEAGUE_FILES) {
    if (!fs.existsSync(path.join(dir, f))) {
      throw new UnderstudyError('INPUT_INVALID', `${path.join(dir, f)}: missing: a colleague.skill person folder has ${COLLEAGUE_FILES.join(', ')}`, { details: { file: path.join(dir, f) } });
    }
  }
  let meta: unknown;
  try {
    meta = JSON.parse(readTextFile(metaFile));
  } catch (err) {
    if (err instanceof UnderstudyError) throw err;
    throw new UnderstudyError('PARSE_FAILED', `${metaFile}: invalid JSON: ${(err as Error).message}`, { details: { file: metaFile } });
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new UnderstudyError('PARSE_FAILED', `${metaFile}: must be a JSON object with name, slug, aliases, profile`, { details: { file: metaFile } });
  const m = meta as Record<string, unknown>;
  const name = optionalString(m, 'name', metaFile);
  if (!name?.trim()) throw fieldError(metaFile, 'name', "is required: the person's name");
  const aliasesRaw = m.aliases ?? [];
  if (!Array.isArray(aliasesRaw) || aliasesRaw.some((a) => typeof a !== 'string')) throw fieldError(metaFile, 'aliases', 'must be a list of strings');
  const profileRaw = m.profile ?? {};
  if (typeof profileRaw !== 'object' || profileRaw === null || Array.isArray(profileRaw)) throw fieldError(metaFile, 'profile', 'must be an object (role, team, company, ...)');
  const profile = profileRaw as Record<string, unknown>;
  const role = optionalString(profile, 'role', metaFile, 'profile.role') ?? optionalString(profile, 'title', metaFile, 'profile.title') ?? '';
  const level = optionalString(profile, 'level', metaFile, 'profile.level');
  const team = optionalString(profile, 'team', metaFile, 'profile.team') ?? optionalString(profile, 'department', metaFile, 'profile.department') ?? optionalString(profile, 'company', metaFile, 'profile.company') ?? '';
  const work = readTextFile(path.join(dir, 'work.md'));
  const persona = readTextFile(path.join(dir, 'persona.md'));
  const cleanName = foreignLine(name, 80);
  const skill = importedSkillText(cleanName, foreignMarkdown(work) || '_The imported work.md is empty._', foreignMarkdown(persona) || '_The imported persona.md is empty._', [
    `- Imported from a colleague.skill folder ("${foreignLine(path.basename(dir), 80)}"): the Work and Persona text above is that folder's summary, not ${cleanName}'s own words, and none of it is anchored to evidence.`,
    '- Answers still come only from the sources in this avatar\'s corpus, cited.',
  ]);
  return {
    format: 'colleague-skill',
    dir,
    slug: slugFor(optionalString(m, 'slug', metaFile), cleanName, metaFile, 'slug'),
    name: cleanName,
    title: foreignLine([role, level].filter(Boolean).join(', '), 120),
    team: foreignLine(team, 120),
    // Names and addresses find the person's own messages; platform ids would also make their holder
    // the avatar's subject (who may consent to it), which a folder from elsewhere cannot establish.
    aliases: (aliasesRaw as string[]).map((a) => foreignLine(a, 120)).filter((a) => a && !PLATFORM_ID.test(a)),
    languages: languagesOf(`${work}\n${persona}`),
    kind: 'colleague',
    skill,
    sources: [...materialIn(dir, MATERIAL_DIRS), { src: path.join(dir, 'work.md'), dest: 'imported-skill/work.md' }, { src: path.join(dir, 'persona.md'), dest: 'imported-skill/persona.md' }],
    references: [],
  };
}

/** The skill an imported folder starts with: its work and persona text, honest limits, no corrections yet. */
function importedSkillText(name: string, work: string, persona: string, limits: string[]): string {
  return [`# Skill: ${name}`, '', '## Work', '', work, '', '## Persona', '', persona, '', '## Honest limits', '', ...limits, '', '## Corrections', '', '_No corrections yet._', ''].join('\n');
}

function stringField(data: Record<string, unknown>, key: string, file: string): string {
  const v = data[key];
  if (typeof v !== 'string' || !v.trim()) throw fieldError(file, key, v === undefined ? 'is required in the front matter' : 'must be a non-empty string');
  return v;
}

function readAgentSkill(dir: string): SkillFolder {
  const file = path.join(dir, 'SKILL.md');
  const { data, body } = splitFrontMatter(readTextFile(file), file);
  if (!Object.keys(data).length) throw new UnderstudyError('INPUT_INVALID', `${file}: no YAML front matter: an Agent Skills SKILL.md starts with ---, name: and description:`, { details: { file } });
  const skillName = stringField(data, 'name', file);
  stringField(data, 'description', file);
  const metaRaw = data.metadata ?? {};
  if (typeof metaRaw !== 'object' || metaRaw === null || Array.isArray(metaRaw)) throw fieldError(file, 'metadata', 'must be a mapping');
  const meta = metaRaw as Record<string, unknown>;
  if (meta['understudy-format'] !== undefined) return readOwnExport(dir, file, skillName, meta, body);
  const h1 = /^#\s+(.+?)\s*$/m.exec(body)?.[1];
  const personName = foreignLine(optionalString(meta, 'person', file, 'metadata.person') ?? h1?.split(/\s+[·|—–-]\s+|[：:]/)[0] ?? skillName, 80);
  const refs = path.join(dir, REFERENCES_DIR);
  const skill = importedSkillText(personName, foreignMarkdown(body) || '_The imported SKILL.md has no text._', '_The imported skill does not separate persona from work; see Work._', [
    `- Imported from an Agent Skills folder ("${foreignLine(path.basename(dir), 80)}"): the text above is that skill's own account, and none of it is anchored to evidence here.`,
    `- ${isDir(refs) ? "Its references/ folder is this avatar's corpus; answers come only from it, cited." : 'It came without references/: this avatar has no sources to answer from.'}`,
  ]);
  return {
    format: 'nuwa-skill',
    dir,
    slug: slugFor(SLUG_RE.test(skillName) ? skillName : undefined, personName, file, 'name'),
    name: personName,
    title: '',
    team: '',
    aliases: [],
    languages: languagesOf(body),
    kind: 'public-figure',
    skill,
    sources: [...materialIn(dir, [REFERENCES_DIR]), { src: file, dest: 'imported-skill/SKILL.md' }],
    references: [],
  };
}

/** Our own export read back: the skill as written, each anchor backed by its reference file. */
function readOwnExport(dir: string, file: string, skillName: string, meta: Record<string, unknown>, body: string): SkillFolder {
  const version = String(meta['understudy-format']);
  if (version !== FORMAT_VERSION) throw fieldError(file, 'metadata.understudy-format', `"${foreignLine(version, 20)}" is not a format this version reads (${FORMAT_VERSION})`);
  if (!SLUG_RE.test(skillName)) throw fieldError(file, 'name', `"${foreignLine(skillName, 60)}" must be lowercase letters, digits and dashes`);
  const person = optionalString(meta, 'person', file, 'metadata.person');
  if (!person) throw fieldError(file, 'metadata.person', "is required: the person's name");
  const kind = optionalString(meta, 'kind', file, 'metadata.kind') ?? 'colleague';
  if (kind !== 'colleague' && kind !== 'public-figure') throw fieldError(file, 'metadata.kind', `must be colleague or public-figure, got "${foreignLine(kind, 30)}"`);
  const langs = (optionalString(meta, 'languages', file, 'metadata.languages') ?? 'en').split(',').map((l) => l.trim());
  if (!langs.length || langs.some((l) => l !== 'zh' && l !== 'en')) throw fieldError(file, 'metadata.languages', 'must be zh, en or "zh,en"');
  // What the export added after the skill (the disclosure rule, the evidence note) is not skill text.
  const cut = body.indexOf(`\n${DISCLOSURE_HEADING}\n`);
  const skill = `${neutralize(cut >= 0 ? body.slice(0, cut) : body).trim()}\n`;
  if (!/^# Skill: /.test(skill)) throw new UnderstudyError('INPUT_INVALID', `${file}: the skill must start with "# Skill: <name>" after the front matter`, { details: { file } });
  const refsDir = path.join(dir, REFERENCES_DIR);
  const references: ImportedReference[] = [];
  const wanted = new Set(anchorsIn(skill));
  for (const n of [...wanted].sort((a, b) => a - b)) {
    const refFile = path.join(refsDir, `e-${n}.md`);
    if (!fs.existsSync(refFile)) throw new UnderstudyError('INPUT_INVALID', `${file}: anchor [e:${n}] has no evidence file ${refFile}`, { details: { file: refFile } });
    const { body: quote } = splitFrontMatter(readTextFile(refFile), refFile);
    const text = quote.replace(/^\n+/, '').replace(/\n+$/, '');
    if (!text.trim()) throw new UnderstudyError('INPUT_INVALID', `${refFile}: empty evidence for [e:${n}]`, { details: { file: refFile } });
    references.push({ n, text });
  }
  const stray = isDir(refsDir) ? fs.readdirSync(refsDir).filter((f) => REFERENCE_NAME.test(f) && !wanted.has(Number(REFERENCE_NAME.exec(f)?.[1]))) : [];
  return {
    format: 'agent-skill',
    dir,
    slug: skillName,
    name: foreignLine(person, 80),
    title: foreignLine(optionalString(meta, 'title', file, 'metadata.title') ?? '', 120),
    team: foreignLine(optionalString(meta, 'team', file, 'metadata.team') ?? '', 120),
    aliases: [],
    languages: langs as ('zh' | 'en')[],
    kind,
    skill,
    // Reference files no anchor names are kept as material too.
    sources: stray.map((f) => ({ src: path.join(refsDir, f), dest: `references-extra/${f}` })),
    references,
  };
}
