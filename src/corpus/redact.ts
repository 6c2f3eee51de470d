/**
 * Masking of secrets and third parties' personal data at ingest (trust rule "Redaction").
 *
 * Every hit becomes `[redacted:<kind>]`, so the sentence around it stays readable and searchable.
 * Rules run in a fixed order, most specific first (a PEM block before the passwords inside it, a
 * connection string before the e-mail-like `pass@host` inside it), and no rule matches a mask,
 * which makes `redact` idempotent.
 *
 * Numbers are the hard part: technical text is full of long digit runs (Slack ts, millisecond
 * timestamps, order ids, SHAs). So digit rules never start or end inside a longer alphanumeric
 * run or a decimal, ID numbers must pass their checksum and a plausible birth date, card numbers
 * a known issuer prefix and Luhn, IBANs their mod-97 check, SSNs the ranges the SSA issues, and
 * phone numbers a plausible shape for their country. Passport numbers are too plain to find
 * alone, so they are masked after a label (passport no., 护照号).
 *
 * Full-width digits and Latin letters (１３８…, ＡＫＩＡ…) are folded to ASCII first, as NFKC
 * would, so a number typed with a Chinese input method is caught like any other.
 */

export type RedactionKind =
  | 'api_key'
  | 'token'
  | 'jwt'
  | 'private_key'
  | 'password'
  | 'connection_string'
  | 'email'
  | 'phone'
  | 'cn_id'
  | 'bank_card'
  | 'iban'
  | 'ssn'
  | 'passport'
  | 'person_name';

export interface RedactOptions {
  /** The subject's own addresses stay readable (compared case-insensitively). */
  keepEmails?: string[];
  /** Third parties' names to mask: Latin names match whole words, case-insensitively; CJK names match anywhere. */
  names?: string[];
}

export type RedactionCounts = Partial<Record<RedactionKind, number>>;

export interface RedactResult {
  text: string;
  counts: RedactionCounts;
}

interface Rule {
  kind: RedactionKind;
  re: RegExp;
  /** Cheap test that must hold for the rule to be worth running on a text. */
  hint?: RegExp;
  /**
   * The replacement for a match (groups are the capture groups), or null to leave it alone.
   * A rule may report a more precise kind than its own with `{ text, kind }`.
   */
  replace?: (match: string, groups: (string | undefined)[], offset: number, text: string) => string | { text: string; kind: RedactionKind } | null;
}

const mask = (kind: RedactionKind): string => `[redacted:${kind}]`;

// Boundaries for digit rules: not inside a word, an identifier, a hex string or a decimal.
const NUM_START = String.raw`(?<![\w.+\-/@]|\d[,:])`;
const NUM_END = String.raw`(?!\w|[.:\-/@]\w)`;

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** Chinese resident ID: region, birth date YYYYMMDD, sequence, and the ISO 7064 check character. */
export function validCnId(id: string): boolean {
  if (!/^[1-8]\d{16}[\dXx]$/.test(id)) return false;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  if (year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1 || day > 31) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * ID_WEIGHTS[i];
  return '10X98765432'[sum % 11] === id[17].toUpperCase();
}

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Whether the number starts with a real issuer prefix for its length (Visa, Mastercard, Amex,
 * UnionPay, JCB, Discover, Diners, Maestro, Mir). Luhn alone passes one random number in ten.
 */
function cardIssuer(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p2 === 62 || p2 === 35 || p2 === 64 || p2 === 65 || p4 === 6011) return n >= 16 && n <= 19;
  if (p2 === 30 || p2 === 36 || p2 === 38) return n === 14;
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 16 && n <= 19;
  if (p4 >= 2200 && p4 <= 2204) return n === 16;
  return false;
}

/** Values that name or reference a secret rather than being one. */
const PLACEHOLDER = new RegExp(
  [
    String.raw`^$`, String.raw`^\[redacted`, String.raw`^<`, String.raw`^\{\{`, String.raw`^%[s(]`,
    String.raw`^[*x.•]+$`, String.raw`^(?:null|none|nil|true|false|undefined|required|optional|string|empty|redacted|hidden|changeme|example)$`,
    String.raw`^(?:process\.env|os\.environ|env\.|getenv|secrets\.|vault:)`, String.raw`^[A-Za-z_][\w.]*\(`, String.raw`^[a-z_]+(?:\.[a-z_]+)+$`,
    String.raw`^~?/`,
  ].join('|'),
  'i',
);

/**
 * `password=self.password`, `token=args.token`, `PASSWORD=$DB_PASSWORD`, `$(cat pw.txt)`: code
 * passing a secret along, not the secret. (`$ecret9` is a password: variables are upper case.)
 */
const REFERENCE = /^(?:(?:self|this|args|opts|options|config|cfg|settings|params|props|ctx|req)\.|\$(?:\{|\(|[A-Z_][A-Z0-9_]*$))/;

/** `password=db_password`, `token=GITHUB_TOKEN`: an identifier named after the key, not a secret. */
function namesItself(value: string, key: string): boolean {
  const word = /(password|passwd|passphrase|pwd|pass|secret|token|key|credentials?)$/i.exec(key)?.[1] ?? key;
  return /^[A-Za-z_$][A-Za-z_$.\-]*$/.test(value) && value.toLowerCase().includes(word.toLowerCase());
}

/** Whether a value found in prose (not a config line) looks like a secret rather than a word. */
function secretLike(value: string): boolean {
  return value.length >= 6 && (/\d/.test(value) || /[^A-Za-z0-9]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value)));
}

/** Whether the key at `offset` starts a config line: `KEY=`, `  key: `, `- key:`, `export KEY=`, `"key":`. */
function startsConfigLine(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[\s>*#\-/]*(?:export\s+|set\s+|setx\s+)?["']?$/.test(text.slice(lineStart, offset));
}

/**
 * Whether a number is the value of an id or time field (`"service_id": "18686468098"`,
 * `userId=13800000000`): an 11-digit id looks just like a Chinese mobile.
 */
function afterIdKey(text: string, offset: number): boolean {
  const before = text.slice(Math.max(0, offset - 48), offset);
  return ID_KEY.test(before) || ID_KEY_CAMEL.test(before);
}
const ID_KEY = /(?:^|[^A-Za-z0-9])(?:[A-Za-z0-9]+[_.\-])?(?:id|ids|ts|seq|time|timestamp)["']?\s*[:=]\s*["']?$/i;
const ID_KEY_CAMEL = /[a-z](?:Id|Ids|ID|Ts|Seq|Time)["']?\s*[:=]\s*["']?$/;

/** Split trailing sentence punctuation off an unquoted value so the prose keeps it. */
function splitTail(value: string): [string, string] {
  const m = /[.,:;!?)\]]+$/.exec(value);
  if (!m || value.length - m[0].length < 4) return [value, ''];
  return [value.slice(0, m.index), m[0]];
}

const SECRET_KEY =
  String.raw`(?:[A-Za-z0-9]+[_.\-])*(?:password|passwd|passwort|passphrase|pwd|pass|secret|token|api[_\-]?key|apikey|access[_\-]?key|secret[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?|account[_\-]?key|shared[_\-]?access[_\-]?key)`;

/** `password=...`, `PASSWORD="..."`, `password: ...`, `"token": "..."`, `api_key => '...'`: mask the value only. */
function maskAssignment(_match: string, g: (string | undefined)[], offset: number, text: string): { text: string; kind: RedactionKind } | null {
  const [key = '', op = '', dq, sq, bare] = g;
  const quoted = dq ?? sq;
  let value = quoted ?? bare ?? '';
  let tail = '';
  if (quoted === undefined) [value, tail] = splitTail(value);
  if (PLACEHOLDER.test(value) || REFERENCE.test(value) || namesItself(value, key)) return null;
  // `max_token=2048` is a setting; an all-digit value counts only after a password-like key.
  if (quoted === undefined && /^\d+$/.test(value) && !/(?:pass|pwd)/i.test(key)) return null;
  const colon = op.includes(':') && !op.includes('=');
  if (quoted === undefined && colon && !startsConfigLine(text, offset) && !secretLike(value)) return null;
  if (value.length < (quoted === undefined ? 4 : 3)) return null;
  const kind: RedactionKind = /secret[_\-]?access[_\-]?key|account[_\-]?key|shared[_\-]?access[_\-]?key/i.test(key) ? 'api_key' : 'password';
  const q = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
  return { text: `${key}${op}${q}${mask(kind)}${q}${tail}`, kind };
}

/** `Basic <base64>` only when it decodes to `user:password`, so "Basic information" stays. */
function maskBasic(_match: string, g: (string | undefined)[]): string | null {
  const decoded = Buffer.from(g[0] ?? '', 'base64').toString('utf8');
  return /^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded) ? `Basic ${mask('token')}` : null;
}

/** 40 base64 characters that look random: both cases, digits, many distinct characters, not hex. */
function awsSecretLike(m: string): boolean {
  const count = (re: RegExp): number => (m.match(re) ?? []).length;
  return count(/[A-Z]/g) >= 2 && count(/[a-z]/g) >= 2 && count(/\d/g) >= 1 && !/^[0-9a-f]+$/i.test(m) && new Set(m).size >= 15 && count(/\//g) <= 4;
}

// IBAN length by country (ISO 13616 registry). Only these countries count: `RF…` creditor
// references and other ids use the same mod-97 check.
const IBAN_LENGTH: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28,
  EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18,
  NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24,
  TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

export function validIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  if (IBAN_LENGTH[iban.slice(0, 2)] !== iban.length) return false;
  let rem = 0;
  for (const ch of iban.slice(4) + iban.slice(0, 4)) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

/** A grouped IBAN may have swallowed a following word in capitals: drop groups from the end until it checks. */
function maskIban(m: string): string | null {
  const groups = m.split(' ');
  for (let k = groups.length; k >= 1; k--) {
    if (validIban(groups.slice(0, k).join(''))) return [mask('iban'), ...groups.slice(k)].join(' ');
  }
  return null;
}

const RULES: Rule[] = [
  // Whole PEM or PGP armored block; a block cut off before its END line is masked through its
  // last base64 line (armor headers, the blank line after them and the =CRC line included).
  {
    kind: 'private_key',
    hint: /PRIVATE KEY(?: BLOCK)?-----/,
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,20000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?:\r?\n(?:[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9+/]*={1,2}|=[A-Za-z0-9+/]{4}|(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset):[^\n]*|[ \t]*(?=\r?\n[A-Za-z0-9+/]{16,})))*)/g,
  },
  // URL credentials: only `user:password` is masked; scheme, host, port and database stay searchable.
  {
    kind: 'connection_string',
    hint: /:\/\//,
    re: /\b([a-z][a-z0-9+.\-]*(?::[a-z]+)?:\/\/)[^\s:@/?#'"<>[\]]*:[^\s/'"<>]+@(?=[^\s@/'"<>]+(?:[/?#\s'"<>]|$))/gi,
    replace: (_m, g) => `${g[0]}${mask('connection_string')}@`,
  },
  { kind: 'jwt', hint: /eyJ/, re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
  { kind: 'api_key', hint: /A[KS]IA/, re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])/g },
  { kind: 'api_key', hint: /sk-/, re: /\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'api_key', hint: /k_(?:live|test)_|whsec_/, re: /\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})/g },
  { kind: 'api_key', hint: /AIza/, re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  {
    kind: 'token',
    hint: /gh[pousr]_|github_pat_|glpat-|npm_|hf_/,
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{30,})/g,
  },
  // No \b in front: `token%3Dxoxp-…` (URL-encoded) and `xoxe.xoxp-1-…` (rotating tokens) hide it.
  { kind: 'token', hint: /xox|xapp-/, re: /(?:xox[abposre](?:\.xox[abposre])?-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})/g },
  // Telegram bot tokens: <bot id>:AA<33 characters>.
  { kind: 'token', hint: /:AA/, re: /(?<![\w])\d{8,10}:AA[A-Za-z0-9_-]{30,34}(?![\w-])/g },
  // Incoming-webhook URLs are bearer secrets in themselves: keep the host, mask the path's secret.
  {
    kind: 'token',
    hint: /hooks\.slack\.com|\/hook\//,
    re: /\b(hooks\.slack\.com\/(?:services|workflows|triggers)\/|open\.(?:feishu\.cn|larksuite\.com)\/open-apis\/bot\/v2\/hook\/)[A-Za-z0-9/_-]{8,}/g,
    replace: (_m, g) => `${g[0]}${mask('token')}`,
  },
  // A bearer credential has digits; "Bearer authentication-middleware" is prose.
  { kind: 'token', hint: /Bearer/i, re: /\bBearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)/gi, replace: (_m, g) => (/\d/.test(g[0] ?? '') ? `Bearer ${mask('token')}` : null) },
  { kind: 'token', hint: /Basic/i, re: /\bBasic[ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])/gi, replace: maskBasic },
  // `curl -u user:password`, `--user=user:password`: the user stays, the password goes.
  {
    kind: 'password',
    hint: /-u|--user/,
    re: /(\bcurl\b[^\n]*?[ \t](?:-u|--user)(?:[ \t]+|=)?)(["']?)([^\s:"']+):([^\s"']+)\2/g,
    replace: (_m, g) => (PLACEHOLDER.test(g[3] ?? '') || REFERENCE.test(g[3] ?? '') ? null : `${g[0]}${g[1]}${g[2]}:${mask('password')}${g[1]}`),
  },
  {
    kind: 'password',
    hint: /pass|pwd|secret|token|key|credential/i,
    re: new RegExp(
      String.raw`(?<![A-Za-z0-9_.\-])(${SECRET_KEY})(["']?[ \t]*(?::=|=>|=|:)[ \t]*)(?:"([^"\n]{0,200})"|'([^'\n]{0,200})'|([^\s"'\x60,;&<>)，；。]+))`,
      'gi',
    ),
    replace: maskAssignment,
  },
  // "the password is Tr0ub4dor&3": prose, so only values that look like secrets.
  {
    kind: 'password',
    hint: /password/i,
    re: /\b(password (?:is|was|remains) )([^\s"'`,;，。]+)/gi,
    replace: (_m, g) => {
      const [value, tail] = splitTail(g[1] ?? '');
      return secretLike(value) && !PLACEHOLDER.test(value) ? `${g[0]}${mask('password')}${tail}` : null;
    },
  },
  // 密码：xxx / 密码是 xxx / 口令=xxx; Chinese words after 密码是 ("密码是多少") are not passwords.
  {
    kind: 'password',
    hint: /密码|口令|密钥|秘钥|令牌/,
    re: /(密码|口令|密钥|秘钥|令牌)((?:\s*(?:是|为|[:：=])\s*)+)([\x21-\x7e]{4,})/g,
    replace: (_m, g) => {
      const [value, tail] = splitTail(g[2] ?? '');
      return PLACEHOLDER.test(value) ? null : `${g[0]}${g[1]}${mask('password')}${tail}`;
    },
  },
  // An AWS secret access key pasted without its label: 40 base64 characters of mixed case with
  // digits. Git SHAs (hex), paths and identifiers are not that.
  {
    kind: 'api_key',
    // Anchored at the start of a run: three times faster than trying every position.
    hint: /(?:^|[^A-Za-z0-9/+])[A-Za-z0-9/+]{40}/,
    re: /(?<![A-Za-z0-9/+=_.\-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_\-])/g,
    replace: (m) => (awsSecretLike(m) ? mask('api_key') : null),
  },
  // IBAN, printed in groups of four or run together; it must pass its mod-97 check.
  {
    kind: 'iban',
    hint: /[A-Z]{2}\d{2}/,
    re: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:(?: [A-Z0-9]{4}){2,8}(?: [A-Z0-9]{1,3})?|[A-Z0-9]{11,30})(?![A-Za-z0-9])/g,
    replace: maskIban,
  },
  // US Social Security numbers: 123-45-6789 anywhere (in the ranges the SSA issues), other
  // spellings only after a label.
  {
    kind: 'ssn',
    hint: /\d{3}-\d{2}-\d{4}/,
    re: new RegExp(`${NUM_START}(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}${NUM_END}`, 'g'),
  },
  {
    kind: 'ssn',
    hint: /SSN|social security|社会安全号/i,
    re: /((?:\bSSN|\bsocial security(?:[ \t]+(?:number|no\.?|#))?|社会安全号码?)[ \t]*(?:[:：#][ \t]*|is[ \t]+|是[ \t]*)?)((?!000|666|9\d\d)\d{3}[ .]?(?!00)\d{2}[ .]?(?!0000)\d{4})(?![\w-])/gi,
    replace: (_m, g) => `${g[0]}${mask('ssn')}`,
  },
  // Passport numbers look like any other id, so only after a label.
  {
    kind: 'passport',
    hint: /passport|护照/i,
    re: /((?:\bpassport(?:[ \t]+(?:no\.?|number|num\.?|#))?|护照(?:号码|号)?)[ \t]*(?:[:：#][ \t]*|is[ \t]+|是[ \t]*)?)([A-Z]{0,2}\d{6,9})(?!\w)/gi,
    replace: (_m, g) => `${g[0]}${mask('passport')}`,
  },
  // Addresses, but not `git@github.com:org/repo` (an SSH remote, not a mailbox).
  {
    kind: 'email',
    hint: /@/,
    re: /(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-]|:[\w~/])/g,
  },
  // Also written in groups: 310104 19850712 3414, 310104.1985.0712.3414.
  {
    kind: 'cn_id',
    hint: /\d{17}|\d{6}[ .\-]\d{4}/,
    re: new RegExp(`${NUM_START}\\d{6}[ .\\-]?\\d{4}[ .\\-]?\\d{4}[ .\\-]?\\d{3}[\\dXx]${NUM_END}`, 'g'),
    replace: (m) => (validCnId(m.replace(/[ .\-]/g, '')) ? mask('cn_id') : null),
  },
  {
    kind: 'bank_card',
    hint: /\d{4}/,
    re: new RegExp(`${NUM_START}(?:\\d{4}(?:[ -]\\d{4}){2,3}(?:[ -]\\d{1,4})?|\\d{4}[ -]\\d{6}[ -]\\d{4,5}|\\d{13,19})${NUM_END}`, 'g'),
    replace: (m) => {
      const d = m.replace(/[ -]/g, '');
      return d.length >= 13 && d.length <= 19 && cardIssuer(d) && luhn(d) && !/^(\d)\1+$/.test(d) ? mask('bank_card') : null;
    },
  },
  // Chinese mobiles: 1[3-9]x xxxx xxxx, optionally +86 / 0086 / (+86).
  {
    kind: 'phone',
    hint: /1[3-9]\d/,
    re: new RegExp(`(?:(?<![\\w+])(?:\\+|00)86[ .-]?|\\(\\+86\\)[ .-]?|${NUM_START})1[3-9]\\d(?:[ .-]?\\d{4}){2}${NUM_END}`, 'g'),

    replace: (m, _g, offset, text) => (/^\d{11}$/.test(m) && afterIdKey(text, offset) ? null : mask('phone')),
  },
  // Chinese landlines: 010-62345678, (0755)12345678, 021 6345 6789, 010.6234.5678, with an optional extension.
  {
    kind: 'phone',
    hint: /0\d{2,3}[-). ]/,
    re: new RegExp(`${NUM_START}(?:\\(0\\d{2,3}\\)[ ]?|0\\d{2,3}[-. ])[2-9]\\d{2,3}[ .\\-]?\\d{4}(?:-\\d{1,5})?${NUM_END}`, 'g'),
  },
  // International: +44 20 7946 0958, +1 (415) 555-0100, +4915112345678.
  {
    kind: 'phone',
    hint: /\+\d/,
    re: new RegExp(`(?<![\\w+])\\+\\d{1,3}(?:(?:[ .-]?\\(\\d{1,4}\\))?(?:[ .-]\\d{1,6}){2,5}|\\d{7,13})${NUM_END}`, 'g'),
    replace: (m) => {
      const n = m.replace(/\D/g, '').length;
      return n >= 8 && n <= 15 ? mask('phone') : null;
    },
  },
  // North American numbers without a country code: (415) 555-0100, 713-853-7041, 415.555.0100.
  {
    kind: 'phone',
    hint: /\d{3}[-.]\d{4}/,
    re: new RegExp(`${NUM_START}(?:\\([2-9]\\d{2}\\) ?|[2-9]\\d{2}([-. ]))[2-9]\\d{2}[-.]\\d{4}${NUM_END}`, 'g'),

    replace: (_m, _g, offset, text) => (afterIdKey(text, offset) ? null : mask('phone')),
  },
];

/** Full-width digits and Latin letters (and ＋/－ next to digits) as ASCII, as NFKC folds them. */
function foldWidth(text: string): string {
  if (!/[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/.test(text)) return text;
  return text
    .replace(/[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\uff0b\uff0d](?=\d)|(?<=\d)\uff0d/g, (c) => (c === '\uff0b' ? '+' : '-'));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function nameRegExp(names: string[]): RegExp | null {
  const parts = [...new Set(names.map((n) => n.trim().replace(/\s+/g, ' ')).filter((n) => [...n].length >= 2))]
    .sort((a, b) => b.length - a.length)
    .map((n) => {
      const body = escapeRegExp(n).replace(/ /g, '\\s+');
      return /^[\x00-\x7f]+$/.test(n) ? `(?<![A-Za-z0-9])${body}(?![A-Za-z0-9])` : body;
    });
  return parts.length > 0 ? new RegExp(parts.join('|'), 'gi') : null;
}

/**
 * Mask secrets and third parties' personal data. Masks read `[redacted:<kind>]`; `counts` says
 * how many of each kind were masked. Pure and idempotent.
 */
export function redact(text: string, opts: RedactOptions = {}): RedactResult {
  const counts: RedactionCounts = {};
  const keep = new Set((opts.keepEmails ?? []).map((e) => e.trim().toLowerCase()));
  let out = foldWidth(text);
  const apply = (rule: Rule): void => {
    if (rule.hint && !rule.hint.test(out)) return;
    const current = out;
    out = current.replace(rule.re, (...args: unknown[]) => {
      const match = args[0] as string;
      // replace() passes groups, then offset and the whole string (no named groups here).
      const offset = args[args.length - 2] as number;
      const groups = args.slice(1, -2) as (string | undefined)[];
      if (rule.kind === 'email' && keep.has(match.toLowerCase())) return match;
      const replacement = rule.replace ? rule.replace(match, groups, offset, current) : mask(rule.kind);
      if (replacement === null) return match;
      const kind = typeof replacement === 'string' ? rule.kind : replacement.kind;
      counts[kind] = (counts[kind] ?? 0) + 1;
      return typeof replacement === 'string' ? replacement : replacement.text;
    });
  };
  for (const rule of RULES) apply(rule);
  const names = opts.names && nameRegExp(opts.names);
  if (names) apply({ kind: 'person_name', re: names });
  return { text: out, counts };
}

export function mergeCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  const out: RedactionCounts = { ...a };
  for (const [k, v] of Object.entries(b) as [RedactionKind, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}

// Stand-ins for the separators of a path while it is redacted: not word characters, not in any
// rule's boundary classes, and never produced by a mask, so they can be put back afterwards.
const PATH_SEPARATORS: [string, string][] = [
  ['/', '\ue001'],
  ['\\', '\ue002'],
  ['_', '\ue003'],
];
const EXT_DOT = '\ue004';
const HYPHEN = '\ue005';

/**
 * Mask a file name or source path (`hr/身份证-310104198507123414.pdf`,
 * `notes/call_13912345678.txt`). Separators keep a path's digits from looking like a number to
 * the text rules, so they are set aside first (hyphens in a second pass, after hyphenated phone
 * numbers had their chance) and put back after. The folders and extension stay, so visibility
 * rules (`hr/**`) still match.
 */
export function redactName(name: string, opts: RedactOptions = {}): RedactResult {
  let counts: RedactionCounts = {};
  let work = name;
  for (const [sep, stand] of PATH_SEPARATORS) work = work.split(sep).join(stand);
  work = work.replace(/\.([A-Za-z0-9]{1,5})(?=$|\ue001|\ue002)/g, `${EXT_DOT}$1`);
  for (const pass of [0, 1]) {
    if (pass === 1) work = work.replace(/-/g, HYPHEN);
    const r = redact(work, opts);
    counts = mergeCounts(counts, r.counts);
    work = r.text;
  }
  let text = work.replace(new RegExp(HYPHEN, 'g'), '-').replace(new RegExp(EXT_DOT, 'g'), '.');
  for (const [sep, stand] of PATH_SEPARATORS) text = text.split(stand).join(sep);
  return { text, counts };
}
