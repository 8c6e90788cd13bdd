/**
 * The relay's running check of its sites against Propexo (check.ts): at start, whenever a site's ids
 * change (the sites file re-read on Node, KV on Workers), every `siteCheckEveryMs` (an hour), and
 * sooner after a check that could not complete. It keeps each site's verdict, holds the leads sent
 * with an id it found wrong (the deliverer asks `holding`), learns from delivery when Propexo or
 * ResMan refuses an id (`refused`), and tells subscribers (an alerting module) of every change:
 * `subscribe(listener)` gets the SiteCheckEvent of types.ts.
 *
 * Verdicts live in memory, per process (per outbox object on Workers): a restart checks again.
 */
import type { SiteConfig } from '../config/sites.js';
import type { Logger } from '../lib/log.js';
import type { PropexoDirectory } from '../propexo/directory.js';
import { checkSites, checkedIds, type SiteVerdict } from './check.js';
import type { SiteCheck, SiteCheckEvent, SiteChecksReport, SiteGate, SiteIdKind, SiteIds, SiteProblem } from './types.js';

export interface SiteChecksDeps {
  /** The sites as they are now. */
  sites: () => ReadonlyMap<string, SiteConfig>;
  directory: PropexoDirectory;
  clock: { now(): number };
  logger: Logger;
  /** A passed check is redone this long after (1 h). */
  everyMs: number;
  /** After a check that could not complete, the next comes this long after, doubling up to everyMs. */
  retryMs: number;
  /** A site's problems went away (some or all): the leads it held may go now. */
  onRelease?: (slug: string) => void;
}

export interface SiteChecks extends SiteGate {
  report(): SiteChecksReport;
  /** Checks the sites that are due (new or changed, stale, or retrying); resolves once done. Never rejects. */
  checkDue(): Promise<void>;
  /** Checks every site now, forgetting what delivery learned (an operator fixed something in ResMan). */
  checkNow(): Promise<SiteChecksReport>;
  /** When checkDue next has a site to check (epoch ms); +Infinity when none. */
  nextDueAt(): number;
  /** True while some site is misconfigured (a Worker then re-reads its sites at every refresh interval). */
  anyMisconfigured(): boolean;
  /** Calls `listener` with every change of a site's verdict; returns the unsubscribe. */
  subscribe(listener: (event: SiteCheckEvent) => void): () => void;
}

/** One site's state: the ids it was checked with, its last complete verdict, what delivery learned. */
interface Entry {
  ids: string;
  checked: { problems: SiteProblem[]; at: number } | null;
  learned: SiteProblem[];
  attemptAt: number | null;
  /** Why the last attempt did not complete; cleared by one that does. */
  error: string | undefined;
  failures: number;
  /** The verdict last announced (`misconfigured:<problems>`, `ok`), so each change is told once. */
  announced: string;
}

const problemsOf = (entry: Entry) => [...(entry.checked?.problems ?? []), ...entry.learned];
const keyOf = (problems: SiteProblem[]) => problems.map((p) => `${p.field}=${p.id}:${p.problem}`).join(',');
/** What the log and events carry of a problem. */
const shown = ({ field, id, problem, detail, source }: SiteProblem) => ({ field, id, problem, detail, source });

function statusOf(entry: Entry | undefined): SiteCheck['status'] {
  if (!entry) return 'unchecked';
  if (problemsOf(entry).length > 0) return 'misconfigured';
  if (entry.checked) return 'ok';
  return entry.error === undefined ? 'unchecked' : 'unknown';
}

export function createSiteChecks(deps: SiteChecksDeps): SiteChecks {
  const { clock, logger } = deps;
  const entries = new Map<string, Entry>();
  const listeners = new Set<(event: SiteCheckEvent) => void>();
  let running: Promise<void> | null = null;
  let lastRunAt: number | null = null;

  const emit = (event: SiteCheckEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.error('site_checks.listener_failed', { error });
      }
    }
  };

  /** The entry of `site` as its ids are now: a new or changed site starts afresh (unchecked, due now). */
  function entryOf(site: SiteConfig): Entry {
    const ids = checkedIds(site);
    const known = entries.get(site.slug);
    if (known && known.ids === ids) return known;
    const fresh: Entry = {
      ids,
      checked: null,
      learned: [],
      attemptAt: null,
      error: undefined,
      failures: 0,
      announced: known?.announced ?? '',
    };
    entries.set(site.slug, fresh);
    return fresh;
  }

  function dueAt(entry: Entry): number {
    if (entry.attemptAt === null) return Number.NEGATIVE_INFINITY;
    if (entry.error !== undefined) return entry.attemptAt + Math.min(deps.everyMs, deps.retryMs * 2 ** Math.min(entry.failures - 1, 20));
    return entry.attemptAt + deps.everyMs;
  }

  /**
   * Tells of a change of the site's verdict, once: misconfigured (with other problems than last told),
   * or fixed (a check passed after problems). While a changed entry waits for its check (or cannot be
   * checked), the last word stands. Problems that went away release the leads they held.
   */
  function announce(site: SiteConfig, entry: Entry): void {
    const problems = problemsOf(entry);
    const was = entry.announced;
    const now = problems.length > 0 ? `misconfigured:${keyOf(problems)}` : entry.checked ? 'ok' : was;
    if (now === was) return;
    entry.announced = now;
    const at = clock.now();
    if (problems.length > 0) {
      logger.alert('site.misconfigured', {
        site: site.slug,
        problems: problems.map(shown),
        hint: 'Fix the site in the sites JSON (or in ResMan, then POST /admin/sites/check). Leads sent with these ids wait, queued.',
      });
      emit({ type: 'site.misconfigured', site: site.slug, name: site.name, problems: problems.map((p) => ({ ...p })), at });
    } else if (was.startsWith('misconfigured:')) {
      logger.info('site.fixed', { site: site.slug });
      emit({ type: 'site.fixed', site: site.slug, name: site.name, at });
    }
    if (was.startsWith('misconfigured:')) deps.onRelease?.(site.slug);
  }

  /** A check's verdict on an entry; `forget`: what delivery learned goes (an operator's check). */
  function apply(site: SiteConfig, entry: Entry, verdict: SiteVerdict, at: number, forget: boolean): void {
    if (forget) entry.learned = [];
    entry.attemptAt = at;
    // A verdict with problems is one even if a list failed beside them; without, only a complete one is.
    if (verdict.error === undefined || verdict.problems.length > 0) entry.checked = { problems: verdict.problems, at };
    if (verdict.error === undefined) {
      entry.error = undefined;
      entry.failures = 0;
    } else {
      entry.failures += 1;
      if (entry.error !== verdict.error) {
        logger.warn('site.check_failed', {
          site: site.slug,
          error: verdict.error,
          retry_in_ms: dueAt({ ...entry, error: verdict.error }) - at,
        });
        emit({ type: 'site.check_failed', site: site.slug, name: site.name, error: verdict.error, at });
      }
      entry.error = verdict.error;
    }
    announce(site, entry);
  }

  async function run(all: boolean): Promise<void> {
    const sites = deps.sites();
    for (const slug of entries.keys()) if (!sites.has(slug)) entries.delete(slug);
    const now = clock.now();
    const due = [...sites.values()].filter((site) => all || dueAt(entryOf(site)) <= now);
    if (due.length === 0) return;
    const checked = due.map((site) => ({ site, ids: entryOf(site).ids }));
    let verdicts: Map<string, SiteVerdict>;
    try {
      verdicts = await checkSites(due, deps.directory);
    } catch (error) {
      // The upstream budget's wait was called off (the relay stopping, an alarm's slice over): next time.
      logger.debug('site_checks.interrupted', { error });
      return;
    }
    const at = clock.now();
    for (const { site, ids } of checked) {
      const entry = entries.get(site.slug);
      const verdict = verdicts.get(site.slug);
      // An entry changed while it was checked is checked again, with its new ids.
      if (entry && verdict && entry.ids === ids) apply(site, entry, verdict, at, all);
    }
    lastRunAt = at;
    const report = [...sites.keys()].map((slug) => statusOf(entries.get(slug)));
    logger.info('sites.checked', {
      checked: due.length,
      ok: report.filter((s) => s === 'ok').length,
      misconfigured: report.filter((s) => s === 'misconfigured').length,
      unknown: report.filter((s) => s === 'unknown').length,
      ms: at - now,
    });
  }

  /** One run at a time: a call during a run waits for it, then runs if there is still work. */
  async function serially(all: boolean): Promise<void> {
    while (running) await running;
    running = run(all).finally(() => (running = null));
    await running;
  }

  function report(): SiteChecksReport {
    const sites = [...deps.sites().values()].map((site): SiteCheck => {
      const entry = entries.get(site.slug);
      const fresh = entry?.ids === checkedIds(site) ? entry : undefined;
      return {
        site: site.slug,
        name: site.name,
        status: statusOf(fresh),
        problems: fresh ? problemsOf(fresh).map((p) => ({ ...p })) : [],
        checked_at: fresh?.checked?.at ?? null,
        ...(fresh?.error === undefined ? {} : { error: fresh.error }),
      };
    });
    return { checked_at: lastRunAt, sites };
  }

  return {
    report,
    checkDue: () => serially(false),
    async checkNow() {
      await serially(true);
      return report();
    },
    nextDueAt() {
      let next = Number.POSITIVE_INFINITY;
      for (const site of deps.sites().values()) next = Math.min(next, dueAt(entryOf(site)));
      return next;
    },
    anyMisconfigured: () => [...deps.sites().keys()].some((slug) => statusOf(entries.get(slug)) === 'misconfigured'),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    holding(slug: string, ids: SiteIds): SiteProblem[] {
      const site = deps.sites().get(slug);
      const entry = entries.get(slug);
      if (!site || !entry || entry.ids !== checkedIds(site)) return [];
      return problemsOf(entry).filter((p) => ids[p.kind] === p.id);
    },
    refused(slug: string, kind: SiteIdKind, id: string, detail: string): boolean {
      const site = deps.sites().get(slug);
      if (!site) return false;
      const fields = fieldsUsing(site, kind, id);
      if (fields.length === 0) return false;
      const entry = entryOf(site);
      for (const field of fields) {
        if (problemsOf(entry).some((p) => p.field === field && p.id === id)) continue;
        entry.learned.push({ field, kind, id, problem: 'refused', detail, source: 'delivery' });
      }
      announce(site, entry);
      return true;
    },
  };
}

/** The fields of a site's entry that give a lead `id` as its `kind`. */
function fieldsUsing(site: SiteConfig, kind: SiteIdKind, id: string): string[] {
  if (kind !== 'lead_source_id') return site[kind] === id ? [kind] : [];
  const fields = site.lead_source_id === id ? ['lead_source_id'] : [];
  for (const [utm, mapped] of site.lead_source_map ?? []) if (mapped === id) fields.push(`lead_source_map.${utm}`);
  return fields;
}
