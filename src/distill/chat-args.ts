/** `/distill` arguments: target, time range, channels, files, policy basis and reason. */
export interface DistillArgs {
  target?: 'me';
  since?: string;
  channels: string[];
  files: boolean;
  policy: boolean;
  reason?: string;
  error?: string;
}

/** Split on spaces, keeping "quoted strings" (ASCII or Chinese quotes) together. */
export function splitArgs(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|“([^”]*)”|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

/** `90d`, `12w`, `6m` or an ISO date, as an ISO timestamp relative to `now`. */
export function parseSince(value: string, now = Date.now()): string | undefined {
  const rel = /^(\d{1,4})([dwm])$/.exec(value);
  if (rel) {
    const days = Number(rel[1]) * (rel[2] === 'd' ? 1 : rel[2] === 'w' ? 7 : 30);
    return new Date(now - days * 86_400_000).toISOString();
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export function parseDistillArgs(text: string, now = Date.now()): DistillArgs {
  const out: DistillArgs = { channels: [], files: true, policy: false };
  const parts = splitArgs(text);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === 'me' || p === '我') out.target = 'me';
    else if (p === '--since') {
      const v = parts[++i];
      out.since = v ? parseSince(v, now) : undefined;
      if (!out.since) out.error = `--since takes 90d, 12w, 6m or a date like 2025-01-01 (got "${v ?? ''}")`;
    } else if (p === '--channels') {
      out.channels = (parts[++i] ?? '').split(',').map((c) => c.trim().replace(/^#/, '')).filter(Boolean);
      if (out.channels.length === 0) out.error = '--channels takes a list like #payments,#oncall';
    } else if (p === '--no-files') out.files = false;
    else if (p === '--policy') out.policy = true;
    else if (p === '--reason') out.reason = parts[++i];
    else if (p.startsWith('--')) out.error = `unknown option ${p}`;
  }
  return out;
}
