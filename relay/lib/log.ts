/**
 * A structured logger: one JSON object per line (`time`, `level`, `event`, then fields), written to an
 * injected sink so Node, Workers and tests each decide where lines go.
 *
 * Prospects' contact details are masked wherever they appear (by key and by pattern), and the secrets
 * the logger was created with are scrubbed from every serialised line. That is the second line of
 * defence: callers must not pass the token or raw contact details in the first place.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A misconfiguration an operator must fix (e.g. a refused token): error level, `alert: true`. */
  alert(event: string, fields?: LogFields): void;
}

export type LogSink = (line: string, level: LogLevel) => void;

export interface LoggerOptions {
  level?: LogLevel;
  /** Values replaced by `[redacted]` in every line, e.g. the Propexo token. */
  secrets?: readonly string[];
  sink?: LogSink;
  clock?: { now(): number };
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'event', 'alert']);
const REDACTED = '[redacted]';

// Console is the one sink every runtime has; warnings and errors go to stderr where it is split.
const consoleSink: LogSink = (line, level) => {
  if (level === 'warn' || level === 'error') console.error(line);
  else console.log(line);
};

/** `jane.doe@gmail.com` → `j***@gmail.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** Any phone-like string → `******` + its last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 4 ? `******${digits.slice(-4)}` : '******';
}

/** Characters an address may hold around its @ (a loose superset: masking errs on the safe side). */
const ADDRESS_CHAR = /[^\s@"'<>(),;:[\]]/;
const DOMAIN = /^[^\s@"'<>(),;:[\]]+\.[A-Za-z]{2,}/;
/** Longest string a log line carries: paths and upstream texts are cut, which also bounds masking work. */
const MAX_LOGGED = 2048;
// A US number as people write it: optional +1, then 3-3-4 digits with or without separators. The
// look-arounds keep ids such as `job_1234567890123` and millisecond timestamps intact.
const PHONE_PATTERN = /(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?!\w)/g;
const CONTACT_KEY = /^(e-?mail|phone)(_?\d+)?$/i;

/**
 * Masks emails (found from each @ outwards, so the work is linear in the text) and phone numbers
 * found inside free text.
 */
export function maskText(text: string): string {
  // Most of what is logged (events, ids, paths) has neither an @ nor the ten digits a phone needs.
  if (text.indexOf('@') === -1 && fewerThanTenDigits(text)) return text;
  let out = '';
  let from = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > from && ADDRESS_CHAR.test(text[start - 1]!)) start--;
    const domain = DOMAIN.exec(text.slice(at + 1, at + 256))?.[0];
    if (start === at || domain === undefined) continue;
    const end = at + 1 + domain.length;
    out += text.slice(from, start) + maskEmail(text.slice(start, end));
    from = end;
    at = end - 1;
  }
  return (out + text.slice(from)).replace(PHONE_PATTERN, maskPhone);
}

/** True when `text` has fewer than ten ASCII digits: PHONE_PATTERN cannot match it. */
function fewerThanTenDigits(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++digits >= 10) return false;
  }
  return true;
}

const cut = (text: string) => (text.length > MAX_LOGGED ? `${text.slice(0, MAX_LOGGED)}…[cut]` : text);

function maskValue(value: unknown, key: string | undefined, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && CONTACT_KEY.test(key)) return key.toLowerCase().startsWith('phone') ? maskPhone(value) : maskEmail(value);
    return maskText(cut(value));
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: maskText(cut(value.message)),
      stack: value.stack === undefined ? undefined : maskText(cut(value.stack)),
    };
  }
  if (Array.isArray(value)) return value.map((v) => maskValue(v, key, seen, depth + 1));
  const out: Record<string, unknown> = {};
  // Keys are masked too: upstream objects (Propexo's error details) may be keyed by a contact.
  for (const [k, v] of Object.entries(value)) out[maskText(cut(k))] = maskValue(v, k, seen, depth + 1);
  return out;
}

/** The masked copy of `fields` a log line carries: exported so tests and other sinks can reuse it. */
export function maskFields(fields: LogFields): LogFields {
  return maskValue(fields, undefined, new WeakSet(), 0) as LogFields;
}

/**
 * Adds the masked `fields` to `line`, reserved keys left out: what copying `maskFields(fields)` into
 * it gives, without the intermediate copy, and without the WeakSet when no field is an object.
 */
function maskInto(line: LogFields, fields: LogFields): void {
  if (fields instanceof Error || Array.isArray(fields)) {
    for (const [k, v] of Object.entries(maskFields(fields))) if (!RESERVED.has(k)) line[k] = v;
    return;
  }
  let seen: WeakSet<object> | undefined;
  for (const k of Object.keys(fields)) {
    const masked = maskText(cut(k));
    const v = fields[k];
    if (typeof v === 'object' && v !== null) seen ??= new WeakSet<object>([fields]);
    // Masked even when reserved and dropped, as in maskFields: the objects it visits count as seen.
    const value = maskValue(v, k, seen ?? NO_OBJECTS, 1);
    if (!RESERVED.has(masked)) line[masked] = value;
  }
}

/** Stands in for the WeakSet of maskValue for values that are not objects (it is never consulted). */
const NO_OBJECTS = new WeakSet<object>();

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    secrets: options.secrets ?? [],
    sink: options.sink ?? consoleSink,
    clock: options.clock ?? Date,
  };
  const threshold = RANK[opts.level];
  // A secret may appear JSON-escaped in the line, so scrub both spellings.
  const secrets = opts.secrets
    .filter((s) => s.length >= 4)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
    .filter((s, i, all) => all.indexOf(s) === i);

  function write(level: LogLevel, event: string, fields: LogFields | undefined, alert: boolean): void {
    if (RANK[level] < threshold) return;
    const line: LogFields = { time: new Date(opts.clock.now()).toISOString(), level, event: maskText(event) };
    if (alert) line.alert = true;
    if (fields) maskInto(line, fields);
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ time: line.time, level, event: line.event, note: 'fields could not be serialised' });
    }
    for (const s of secrets) if (text.includes(s)) text = text.split(s).join(REDACTED);
    opts.sink(text, level);
  }

  return {
    debug: (event, fields) => write('debug', event, fields, false),
    info: (event, fields) => write('info', event, fields, false),
    warn: (event, fields) => write('warn', event, fields, false),
    error: (event, fields) => write('error', event, fields, false),
    alert: (event, fields) => write('error', event, fields, true),
  };
}
