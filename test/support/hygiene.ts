/**
 * Log hygiene over the whole node suite: every log line a test's relay or sandbox writes goes through
 * `checkedSink()`, which records a violation for
 *   - a known secret (the registry below: every token and secret the tests configure; a test that
 *     invents its own adds it with `registerSecret`),
 *   - `Bearer ` followed by a credential (anything but `[redacted]`),
 *   - a full email address: `local@domain.tld` whose local part is not the masked `x***` form,
 *   - a full US phone number: 10 digits (an optional +1 first), bare or formatted, as `maskPhone`
 *     would have masked it. 13-digit millisecond timestamps, durations and ids such as
 *     `job_1234567890123` are not phones.
 * test/support/hygiene-setup.ts fails the test during which a violation was recorded.
 *
 * JSON lines are also checked string by string after decoding, so an escaped secret
 * (`tok\"en`) or an email split by an escape is still found.
 */
import type { LogLevel, LogSink } from '../../relay/lib/log.js';

export type Rule = 'secret' | 'bearer' | 'email' | 'phone';

export interface Finding {
  rule: Rule;
  /** What matched; for a secret, which registered secret (by position), never the value. */
  match: string;
}

export interface Violation extends Finding {
  line: string;
}

// Every secret the node tests configure. Literals, not imports: the fixtures import this module.
const SECRETS = new Set<string>([
  'ptx_live_S3CRET_t0ken_9f8e7d6c5b4a', // test/relay/fixtures.ts TOKEN (Propexo token of buildRelay)
  'adm_Sup3r_s3cret_admin_t0ken', // test/relay/leak.test.ts ADMIN
  'whsec_H00k_s3cret_value', // test/relay/leak.test.ts HOOK
  'adm_0123456789abcdef', // test/relay/operator.test.ts ADMIN
  'whsec_test_secret_1', // test/relay/operator.test.ts HOOK
  'sandbox-test-token', // test/relay/sandbox-helpers.ts TOKEN
  'e2e-cross-origin-token', // test/e2e/cross-origin.test.ts
  'ptx_wrong_token_abcdef123', // test/relay/node.test.ts, the token Propexo refuses
  'ptx_SECRET_123', // test/relay/parts.test.ts
  'tok"en\\with/quote', // test/relay/parts.test.ts, the JSON-escaping case
]);
// Secrets made up at run time: demo/start.ts gives its sandbox `sandbox_<32 hex>`.
const SECRET_PATTERNS: RegExp[] = [/sandbox_[0-9a-f]{32}/];

/** Adds secrets (at least 4 characters; shorter ones would match everywhere) to the registry. */
export function registerSecret(...secrets: (string | RegExp)[]): void {
  for (const s of secrets) {
    if (s instanceof RegExp) SECRET_PATTERNS.push(new RegExp(s.source, s.flags.replace('g', '')));
    else if (s.length >= 4) SECRETS.add(s);
    else throw new Error(`registerSecret: "${s}" is too short to be checked`);
  }
}

/** The registered literal secrets, for tests that check answers as well as logs. */
export function knownSecrets(): string[] {
  return [...SECRETS];
}

// The same tokenisation as relay/lib/log.ts's EMAIL_PATTERN, so a masked address is recognised as
// masked; found from each `@` outwards rather than by that regex, which takes quadratic time on a
// long run of characters without an `@` (and log lines carry request paths of any length).
const EMAIL_CHAR = /[^\s@"'<>(),;:[\]]/;
const DOMAIN = /^[^\s@"'<>(),;:[\]]+\.[A-Za-z]{2,}/;
const EMAIL_MAX = 320;

/** Every `local@domain.tld` in `text`, left to right, as relay/lib/log.ts's pattern would match them. */
function emailsIn(text: string): { local: string; email: string }[] {
  const found: { local: string; email: string }[] = [];
  let consumed = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at < consumed) continue;
    let start = at;
    while (start > consumed && at - start < EMAIL_MAX && EMAIL_CHAR.test(text[start - 1]!)) start--;
    if (start === at) continue;
    let end = at + 1;
    while (end < text.length && end - at <= EMAIL_MAX && EMAIL_CHAR.test(text[end]!)) end++;
    const domain = DOMAIN.exec(text.slice(at + 1, end));
    if (!domain) continue;
    found.push({ local: text.slice(start, at), email: text.slice(start, at + 1 + domain[0].length) });
    consumed = at + 1 + domain[0].length;
  }
  return found;
}
// maskEmail keeps the first character: `j***@gmail.com` (one UTF-16 unit, so an astral first
// character leaves half a surrogate pair, which is fine).
const MASKED_LOCAL = /^[\s\S]\*\*\*$/;
// NANP numbers (area code and exchange never start with 0 or 1), optional +1, separators optional.
// Word boundaries on both sides: ids (`job_5125550142`), longer digit runs (epoch milliseconds) and
// decimals are not phones; epoch seconds (1xxxxxxxxx until 2033) fail the area code.
const PHONE = /(?<![\w+.])(?:\+?1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-]?)\d{3}[\s.-]?\d{4}(?![\w]|\.\d)/g;
// `Bearer <credential>`, in any case; `[redacted]` (the logger's scrub) and a realm are fine.
const BEARER = /\bBearer\s+(?!\[redacted\]|realm=)([A-Za-z0-9._~+/-]{4,}=*)/gi;

function strings(value: unknown, out: string[], depth = 0): void {
  if (typeof value === 'string') out.push(value);
  else if (depth < 64 && typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (!Array.isArray(value)) out.push(k);
      strings(v, out, depth + 1);
    }
  }
}

/** Every rule broken by one line: pure, for tests of the checker itself. */
export function findViolations(line: string): Finding[] {
  // A JSON line is checked string by string once decoded (an escape such as \u0000 before a masked
  // address is not part of it); any other line as it is. Secrets are looked for in both.
  let texts = [line];
  let json = false;
  if (/^\s*[{[]/.test(line)) {
    try {
      const decoded: string[] = [];
      strings(JSON.parse(line), decoded);
      texts = decoded;
      json = true;
    } catch {
      // not JSON after all: the raw line is checked
    }
  }
  const found: Finding[] = [];
  const add = (rule: Rule, match: string) => {
    if (!found.some((f) => f.rule === rule && f.match === match)) found.push({ rule, match });
  };
  const secrets = [...SECRETS];
  for (const text of json ? [line, ...texts] : texts) {
    secrets.forEach((s, i) => {
      if (text.includes(s)) add('secret', `registered secret #${i} (${s.slice(0, 3)}…)`);
    });
    for (const p of SECRET_PATTERNS) if (p.test(text)) add('secret', `secret pattern ${p.source}`);
  }
  for (const text of texts) {
    for (const m of text.matchAll(BEARER)) add('bearer', m[0]);
    if (text.includes('@')) for (const e of emailsIn(text)) if (!MASKED_LOCAL.test(e.local)) add('email', e.email);
    for (const m of text.matchAll(PHONE)) add('phone', m[0]);
  }
  return found;
}

const recorded: Violation[] = [];
const MAX_RECORDED = 50;

/** Checks one line and records what it breaks; returns the findings. */
export function checkLine(line: string): Finding[] {
  const found = findViolations(line);
  for (const f of found)
    if (recorded.length < MAX_RECORDED) recorded.push({ ...f, line: line.length > 2000 ? `${line.slice(0, 2000)}…` : line });
  return found;
}

/** Checks every line of a child process's output (or any text made of log lines). */
export function checkText(text: string): Finding[] {
  return text.split(/\r?\n/).flatMap((l) => (l.trim() === '' ? [] : checkLine(l)));
}

/**
 * A logger sink (also fits the sandbox's `log`) that checks each line, then hands it on: pushed
 * onto `into` when it is an array, passed to `into` when it is a sink.
 */
export function checkedSink(into?: string[] | LogSink): (line: string, level?: LogLevel) => void {
  return (line, level = 'info') => {
    checkLine(line);
    if (Array.isArray(into)) into.push(line);
    else into?.(line, level);
  };
}

/** The violations recorded so far, and forgets them. */
export function takeViolations(): Violation[] {
  return recorded.splice(0);
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `- ${v.rule}: ${v.match}\n    in: ${v.line}`).join('\n');
}
