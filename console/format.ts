/** How the console writes times and durations: the operator's own locale and time zone. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : dateTime.format(new Date(ms));
}

/** 850 ms, 42 s, 3 min, 2 h 5 min, 3 d 4 h: the two largest units that matter. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** How long ago, from `now`: "3 min ago". */
export function ago(ms: number | null | undefined, now = Date.now()): string {
  return ms === null || ms === undefined ? '—' : `${duration(Math.max(0, now - ms))} ago`;
}
