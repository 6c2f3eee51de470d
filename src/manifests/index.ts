import { UnderstudyError } from '../errors';
import { larkManifestGenerator } from './lark';
import { slackManifestGenerator } from './slack';
import type { ManifestGenerator } from './types';

/** Every platform `understudy manifest --platform` knows. A new platform is one line here. */
export const MANIFEST_GENERATORS: ManifestGenerator[] = [slackManifestGenerator, larkManifestGenerator];

export function manifestGenerator(platform: string): ManifestGenerator {
  const g = MANIFEST_GENERATORS.find((m) => m.platform === platform.toLowerCase());
  if (!g) {
    throw new UnderstudyError('INPUT_INVALID', `--platform must be one of ${MANIFEST_GENERATORS.map((m) => m.platform).join(', ')}, got "${platform}"`);
  }
  return g;
}

export type { ManifestGenerator } from './types';
