/** Experiment knobs (temporary, read from RETR_EXP while tuning on the dev sets). */
export const EXP = {
  candidates: 200, second: 0.3, lm: false, mu: 300, localWeight: 0.3, uni: 0.5, word: 1,
  ...(JSON.parse(process.env.RETR_EXP ?? '{}') as Record<string, number | boolean>),
} as { candidates: number; second: number; lm: boolean; mu: number; localWeight: number; uni: number; word: number };
