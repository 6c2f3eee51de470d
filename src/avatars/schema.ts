import { z } from 'zod';
import { VISIBILITIES } from '../corpus/types';

const visibility = z.enum(VISIBILITIES as unknown as ['public', 'team', 'private']);
const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be the NAME of an environment variable (A-Z, 0-9, _), never the secret itself');

const excludeGlob = z
  .string()
  .min(1, 'must be a non-empty glob')
  .refine((g) => !g.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(g), 'must be relative to the corpus folder, not an absolute path')
  .refine((g) => !g.split('/').includes('..'), 'must stay inside the corpus folder (no "..")');

/** Why a glob is not a valid `exclude` entry, or undefined when it is. */
export function excludeGlobProblem(glob: unknown): string | undefined {
  const r = excludeGlob.safeParse(glob);
  return r.success ? undefined : r.error.issues[0].message;
}

export const consentSchema = z.object({
  basis: z.enum(['self', 'consent', 'policy']),
  subject: z.string().min(1),
  approved_by: z.string().min(1),
  reason: z.string().optional(),
  recorded_at: z.string().min(1),
  scope: z.string().optional(),
  consent_id: z.string().optional(),
});

/**
 * An avatar made from material that came without a consent record (an imported skill folder):
 * it stays paused until one is recorded (`understudy avatar consent`, or a distillation with
 * consent), which removes this block.
 */
export const consentPendingSchema = z
  .object({
    status: z.literal('none'),
    source: z.enum(['colleague-skill', 'nuwa-skill', 'agent-skill']),
    /** The imported folder's name (not its path: the operator's folders need not travel). */
    from: z.string().min(1),
    imported_at: z.string().min(1),
  })
  .strict();

export const avatarSchema = z
  .object({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
    handle: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, 'must be lowercase letters, digits, dots, dashes or underscores'),
    display_name: z.string().min(1),
    /** colleague (the default): a person's work material; public-figure: a person known through public writing. */
    kind: z.enum(['colleague', 'public-figure']).optional(),
    person: z.object({
      name: z.string().min(1),
      name_en: z.string().optional(),
      title: z.string().default(''),
      team: z.string().default(''),
      status: z.enum(['active', 'departed']),
      languages: z.array(z.enum(['zh', 'en'])).min(1).default(['en']),
      pronoun: z.enum(['he', 'she', 'they']).default('they'),
      tenure: z.string().optional(),
      /** E-mail addresses, platform user ids and names that identify the person's own messages. */
      aliases: z.array(z.string().min(1)).default([]),
    }),
    disclosure: z
      .object({
        zh: z.string().min(1).optional(),
        en: z.string().min(1).optional(),
      })
      .default({}),
    visibility: z
      .object({
        default: visibility.default('team'),
        /** Path globs (relative to corpus/) that get another visibility. First match wins. */
        rules: z
          .array(z.object({ path: z.string().min(1), visibility, audience: z.array(z.string()).optional() }))
          .default([]),
      })
      .default({ default: 'team', rules: [] }),
    /**
     * Globs (relative to corpus/, picomatch) of files left out of the index: a provenance note,
     * a licence. A glob with no `/` matches a name at any depth (`SOURCE.txt`); a matching folder
     * is left out whole.
     */
    exclude: z.array(excludeGlob).optional(),
    access: z
      .object({
        /** Empty lists mean the whole workspace may talk to the avatar. */
        users: z.array(z.string()).default([]),
        groups: z.array(z.string()).default([]),
        channels: z.array(z.string()).default([]),
        /** What a DM viewer may see besides public sources. */
        dm_visibility: z.array(visibility).default(['public', 'team']),
      })
      .default({ users: [], groups: [], channels: [], dm_visibility: ['public', 'team'] }),
    status: z.enum(['active', 'paused', 'revoked']).default('active'),
    consent: consentSchema.optional(),
    consent_pending: consentPendingSchema.optional(),
    apps: z
      .object({
        slack: z
          .object({
            app_id: z.string().min(1),
            team_id: z.string().optional(),
            bot_token_env: envName,
            signing_secret_env: envName.optional(),
            app_token_env: envName.optional(),
          })
          .optional(),
        lark: z
          .object({
            app_id: z.string().min(1),
            app_secret_env: envName,
            encrypt_key_env: envName.optional(),
            verification_token_env: envName.optional(),
          })
          .optional(),
      })
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.consent_pending && c.consent) {
      ctx.addIssue({ code: 'custom', path: ['consent_pending'], message: 'must be removed once a consent record (consent) exists' });
    }
    if (c.consent_pending && c.status === 'active') {
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'an imported avatar with no consent record stays paused; record consent with `understudy avatar consent <slug>` first' });
    }
  });

export type AvatarConfig = z.infer<typeof avatarSchema>;
export type ConsentRecord = z.infer<typeof consentSchema>;

/** Whether the avatar waits for a consent record before it may answer or be exported. */
export function awaitsConsent(c: AvatarConfig): boolean {
  return c.consent_pending !== undefined && c.consent === undefined;
}

/**
 * The config with a consent record in place: an imported avatar that was paused only for want of
 * consent becomes active.
 */
export function withConsent(c: AvatarConfig, record: ConsentRecord): AvatarConfig {
  const next: AvatarConfig = { ...c, consent: record };
  if (next.consent_pending) {
    delete next.consent_pending;
    if (next.status === 'paused') next.status = 'active';
  }
  return next;
}
