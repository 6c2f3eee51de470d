import fs from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR, saveAvatarConfig, SKILL_FILE } from './package';
import { avatarSchema, excludeGlobProblem, type AvatarConfig, type ConsentRecord } from './schema';
import { UnderstudyError } from '../errors';
import { maskTextFiles } from '../corpus/mask-files';
import { mkdirPrivate, restrictTree, writeFileAtomic } from '../util/fs-atomic';

export interface CreateAvatarOptions {
  slug: string;
  name: string;
  from: string[];
  author?: string;
  lang?: 'zh' | 'en';
  title?: string;
  team?: string;
  status?: 'active' | 'departed';
  consent?: ConsentRecord;
  /** public-figure: built from a person's public writing (the disclosure says so). */
  kind?: 'colleague' | 'public-figure';
  /** Globs of corpus paths (relative to corpus/) left out of the index: avatar.yaml `exclude`. */
  exclude?: string[];
}

/** Make `avatars/<slug>/` with avatar.yaml, a placeholder skill.md and copies of the sources. */
export function createAvatarPackage(avatarsDir: string, opts: CreateAvatarOptions, cwd: string): string {
  const dir = path.join(avatarsDir, opts.slug);
  if (fs.existsSync(path.join(dir, 'avatar.yaml'))) {
    throw new UnderstudyError('INPUT_INVALID', `Avatar "${opts.slug}" already exists in ${dir}; use \`understudy ingest ${opts.slug}\` to refresh it.`);
  }
  const sources = opts.from.map((f) => path.resolve(cwd, f));
  for (const s of sources) {
    if (!fs.existsSync(s)) throw new UnderstudyError('FILE_UNREADABLE', `--from ${s}: no such file or folder`, { details: { file: s } });
  }
  for (const glob of opts.exclude ?? []) {
    const problem = excludeGlobProblem(glob);
    if (problem) throw new UnderstudyError('INPUT_INVALID', `--exclude "${glob}": ${problem}`);
  }
  const config: AvatarConfig = avatarSchema.parse({
    slug: opts.slug,
    handle: `${opts.slug}-avatar`,
    display_name: opts.lang === 'zh' ? `${opts.name}的数字分身` : `${opts.name} (digital avatar)`,
    kind: opts.kind,
    person: {
      name: opts.name,
      title: opts.title ?? '',
      team: opts.team ?? '',
      status: opts.status ?? 'active',
      languages: opts.lang ? [opts.lang] : ['en'],
      aliases: opts.author ? opts.author.split(',').map((a) => a.trim()).filter(Boolean) : [],
    },
    consent: opts.consent,
    exclude: opts.exclude && opts.exclude.length > 0 ? opts.exclude : undefined,
  });
  const corpus = path.join(dir, CORPUS_DIR);
  mkdirPrivate(corpus);
  for (const s of sources) {
    const dest = uniqueDest(corpus, path.basename(s));
    fs.cpSync(s, dest, { recursive: true, dereference: false, filter: (src) => !path.basename(src).startsWith('.') || src === s });
    // A copy keeps its source's modes; copies of someone's mail and chats are for the service only.
    restrictTree(dest);
    // The copy holds no secrets in the clear: prose files are masked as they land (mask-files.ts).
    maskTextFiles(dest, { keepEmails: config.person.aliases.filter((a) => a.includes('@')) });
  }
  fs.chmodSync(corpus, 0o700);
  saveAvatarConfig(dir, config);
  writeFileAtomic(
    path.join(dir, SKILL_FILE),
    `# Skill: ${opts.name}\n\n## Work\n\n(not distilled yet: run \`understudy distill ${opts.slug} ...\` to write this from the material)\n\n## Persona\n\n(not distilled yet)\n\n## Honest limits\n\n- This avatar answers only by quoting ${opts.name}'s material; nothing here has been summarised or checked by ${opts.name}.\n\n## Corrections\n\n(none)\n`,
  );
  return dir;
}

function uniqueDest(dir: string, name: string): string {
  let dest = path.join(dir, name);
  for (let i = 2; fs.existsSync(dest); i++) dest = path.join(dir, `${name}-${i}`);
  return dest;
}
