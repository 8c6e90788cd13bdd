/**
 * A person's pace in the end-to-end tests. The relay holds as spam (answers 202, never sends) a lead
 * whose form token comes back less than MIN_FILL_MS after the form handed it out, so a test that
 * wants its lead delivered must take at least that long, as a person would; one that plays a bot
 * does not wait at all.
 */
import type { Locator, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { MIN_FILL_MS } from '../../relay/spam/form-token.js';
import type { SiteFormConfig } from '../../relay/config/sites.js';

/** The relay's minimum fill time and a margin: how long a test's fill takes at least. */
export const HUMAN_FILL_MS = MIN_FILL_MS + 500;

/**
 * Waits until the form shows the site's settings from the relay (its floor plans: every demo site
 * lists them, and the default fields do not), which come with the form token, and returns that
 * moment: the fill starts here.
 */
export async function formReady(form: Locator): Promise<number> {
  await form.locator('select[name=floor_plan_id]').waitFor();
  return Date.now();
}

/** Waits out whatever is left of HUMAN_FILL_MS since `since` (the form's settings arrived). */
export async function waitOutMinimumFill(page: Page, since: number): Promise<void> {
  const left = since + HUMAN_FILL_MS - Date.now();
  if (left > 0) await page.waitForTimeout(left);
}

/** One site of demo/sites.json, as the relay reads it (ids, form, lead_source_map). */
export function demoSiteConfig(slug: string): {
  property_id: string;
  form: SiteFormConfig & { consent: { text: string; version: string } };
  lead_source_map: Record<string, string>;
} {
  const sites = JSON.parse(readFileSync(new URL('../../demo/sites.json', import.meta.url), 'utf8')) as Record<string, never>;
  return sites[slug]!;
}

/** The lines the relay adds to a lead's notes: the prospect's own text first, then consent, then attribution. */
export function noteLines(notes: string | undefined): string[] {
  return (notes ?? '').split('\n\n');
}

/**
 * `[Website form] Consent to calls and texts given (version V, <ISO time>): <text>`, or `… not given
 * (version V, <ISO time>)`, as relay/outbox/lead-context.ts writes it.
 */
export function consentLine(consent: { text: string; version: string }, given = true): RegExp {
  const escaped = consent.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const when = `\\(version ${consent.version}, \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\)`;
  return new RegExp(`^\\[Website form\\] Consent to calls and texts ${given ? `given ${when}: ${escaped}` : `not given ${when}`}$`);
}
