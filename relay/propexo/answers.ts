/**
 * Reading Propexo's answers, shared by the clients (client.ts, directory.ts): a list's items, its
 * `meta`, a whole list page by page, and the failure a 2xx with an unreadable body is.
 */
import type * as z from 'zod/mini';
import type { PropexoRequest, UpstreamFailure, UpstreamRateInfo } from './http.js';
import * as S from './schemas.js';

/**
 * A whole list (every page, up to the pages followed). `complete` is false when pages were left
 * (a list longer than the pages followed), so the caller can say so.
 */
export type ListResult<T> = ({ ok: true; items: T[]; complete: boolean } & UpstreamRateInfo) | UpstreamFailure;

/** Largest page Propexo serves. */
export const LIST_PAGE_SIZE = 250;
/** Pages followed per list: 1000 floor plans or units, far beyond one community's. */
export const MAX_LIST_PAGES = 4;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The items of a list answer that read as `item`; unreadable ones are skipped. Null when there is no results array. */
export function readItems<T>(body: unknown, item: z.ZodMiniType<T>): T[] | null {
  const results = isObject(body) ? body.results : undefined;
  if (!Array.isArray(results)) return null;
  const out: T[] = [];
  for (const r of results) {
    const parsed = item.safeParse(r);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

export const metaOf = (body: unknown) => {
  const parsed = S.ResponseMeta.safeParse(isObject(body) ? body.meta : undefined);
  return parsed.success ? parsed.data : {};
};

/** A 2xx whose body is not what Propexo documents: for a create, the write may well be queued. */
export const unreadable = (status: number, rate: UpstreamRateInfo, maybeDelivered: boolean): UpstreamFailure => ({
  ok: false,
  kind: 'unavailable',
  reason: 'unreadable_body',
  status,
  maybeDelivered,
  ...rate,
});

export const rateOf = (r: UpstreamRateInfo): UpstreamRateInfo => {
  const info: UpstreamRateInfo = {};
  if (r.rateLimitRemaining !== undefined) info.rateLimitRemaining = r.rateLimitRemaining;
  if (r.rateLimitLimit !== undefined) info.rateLimitLimit = r.rateLimitLimit;
  return info;
};

/**
 * Follows `offset`/`limit` page by page, at most `maxPages` pages, with `filters` on every page.
 * `meta.hasMore` may be missing or null (spec `ResponseMeta`): the list ends on an empty page, on
 * `hasMore: false`, and, when `hasMore` is not given, on a short page or `total` reached. Any
 * failed or unreadable page fails the whole list: half a list cached for 12 hours is worse than none.
 */
export async function listAll<T>(
  request: PropexoRequest,
  path: string,
  filters: Record<string, string>,
  item: z.ZodMiniType<T>,
  maxPages = MAX_LIST_PAGES,
): Promise<ListResult<T>> {
  const items: T[] = [];
  let offset = 0;
  let rate: UpstreamRateInfo = {};
  for (let page = 0; page < maxPages; page++) {
    const params = new URLSearchParams({ ...filters, offset: String(offset), limit: String(LIST_PAGE_SIZE) });
    const res = await request('GET', `${path}?${params}`);
    if (!res.ok) return res;
    rate = rateOf(res);
    const read = readItems(res.json, item);
    if (read === null) return unreadable(res.status, rate, false);
    items.push(...read);
    const count = (res.json as { results: unknown[] }).results.length;
    offset += count;
    const meta = metaOf(res.json);
    // An empty page ends the list whatever it claims (it would loop for ever); `hasMore` decides
    // when Propexo gives it; without it, a short page or `total` reached is the end.
    const last =
      count === 0 ||
      (meta.hasMore === true
        ? false
        : meta.hasMore === false || count < LIST_PAGE_SIZE || (typeof meta.total === 'number' && offset >= meta.total));
    if (last) return { ok: true, items, complete: true, ...rate };
  }
  return { ok: true, items, complete: false, ...rate };
}
