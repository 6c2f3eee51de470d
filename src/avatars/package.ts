import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UnderstudyError } from '../errors';
import { writeFileAtomic } from '../util/fs-atomic';
import { avatarSchema, type AvatarConfig } from './schema';

export const AVATAR_FILE = 'avatar.yaml';
export const SKILL_FILE = 'skill.md';
export const CORPUS_DIR = 'corpus';

export interface AvatarPackage {
  dir: string;
  config: AvatarConfig;
  corpusDir: string;
  skillPath: string;
}

/** Parse and validate `avatar.yaml`; errors name the file and the field path. */
export function parseAvatarYaml(text: string, file: string): AvatarConfig {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new UnderstudyError('AVATAR_INVALID', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`, {
      details: { file },
    });
  }
  const parsed = avatarSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    const extra = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new UnderstudyError('AVATAR_INVALID', `${file}: field ${field}: ${issue.message}${extra}`, {
      details: { file, field, issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return parsed.data;
}

export function loadAvatarPackage(dir: string): AvatarPackage {
  const file = path.join(dir, AVATAR_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UnderstudyError('AVATAR_INVALID', `${file}: cannot read: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  const config = parseAvatarYaml(text, file);
  if (config.slug !== path.basename(dir)) {
    throw new UnderstudyError('AVATAR_INVALID', `${file}: field slug: "${config.slug}" must match the folder name "${path.basename(dir)}"`, {
      details: { file, field: 'slug' },
    });
  }
  return { dir, config, corpusDir: path.join(dir, CORPUS_DIR), skillPath: path.join(dir, SKILL_FILE) };
}

export function readSkill(pkg: AvatarPackage): string {
  try {
    return fs.readFileSync(pkg.skillPath, 'utf8');
  } catch {
    return '';
  }
}

/** Write avatar.yaml atomically, keeping the schema's field order readable. */
export function saveAvatarConfig(dir: string, config: AvatarConfig): void {
  const checked = avatarSchema.parse(config);
  writeFileAtomic(path.join(dir, AVATAR_FILE), YAML.stringify(checked, { lineWidth: 100 }));
}
