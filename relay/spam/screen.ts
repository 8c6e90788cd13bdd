/**
 * Why a new lead looks like a bot's, or undefined: the spam layers in the order they cost. A lead
 * caught by one is held (stored, never sent unless an operator releases it) and answered like any
 * other, so a bot learns nothing from the answer.
 *
 * 1. The hidden field (`meta.trap`): no person sees it, so anything in it is a bot's.
 * 2. The form token: forged, expired, sent back faster than a person fills the form, or used by
 *    a lead before (single use: remembered by the limiter for the token's life). A lead without one
 *    is held unless its site posts from its own servers too (`form_token: "optional"`).
 * 3. Turnstile, for a site that configures it: checked last, so a lead already caught spends no
 *    call to Cloudflare.
 */
import type { LeadMeta } from '../../contract/meta.js';
import type { SiteConfig } from '../config/sites.js';
import type { Logger } from '../lib/log.js';
import type { RateLimiter } from '../limits/types.js';
import { MAX_TOKEN_AGE_MS, type FormTokens } from './form-token.js';
import { turnstileIdempotencyKey, type TurnstileVerdict, type TurnstileVerifier } from './turnstile.js';

export interface SpamScreenDeps {
  formTokens: FormTokens;
  /** Remembers the tokens used: one use each, for as long as a token is valid. */
  limiter: RateLimiter;
  turnstile?: TurnstileVerifier;
  logger: Logger;
}

export interface LeadToScreen {
  site: SiteConfig;
  meta: LeadMeta;
  now: number;
  /** The lead's Idempotency-Key: a retried lead's Turnstile check gets Cloudflare's first verdict. */
  idempotencyKey: string | undefined;
  /** Asked only when Turnstile is: the visitor's address, for Cloudflare. */
  remoteIp: () => string | undefined;
}

export type SpamScreen = (lead: LeadToScreen) => Promise<string | undefined>;

export function createSpamScreen({ formTokens, limiter, turnstile, logger }: SpamScreenDeps): SpamScreen {
  /**
   * A valid token's one use. A limiter that cannot answer lets the lead through (one spam layer's
   * outage must not hold real prospects); a Redis limiter answers from memory meanwhile.
   */
  async function tokenReason(lead: LeadToScreen, token: string): Promise<string | undefined> {
    const site = lead.site.slug;
    const verdict = await formTokens.check(site, token, lead.now);
    if (verdict !== 'ok') return `spam:form_token_${verdict}`;
    try {
      const first = await limiter.limit({ key: `form-token:${site}:${token}`, max: 1, windowMs: MAX_TOKEN_AGE_MS });
      return first.success ? undefined : 'spam:form_token_reused';
    } catch {
      logger.warn('form_token.unchecked', { site, reason: 'limiter_unavailable', accepted: true });
      return undefined;
    }
  }

  /**
   * No response, or one Cloudflare refuses, is held. When Cloudflare gives no verdict (unreachable,
   * too slow, 5xx, or it refuses our secret) the lead is let through: fail open, since a real
   * prospect must not wait on, or be held for, an outage of one spam layer of several. Runs only
   * for a new lead: an Idempotency-Key replay is answered before (routes/leads.ts), so a response,
   * single use at Cloudflare, is never verified twice for one fill.
   */
  async function turnstileReason(lead: LeadToScreen): Promise<string | undefined> {
    const site = lead.site.slug;
    if (!lead.meta.turnstile) return 'spam:turnstile_missing';
    if (!turnstile) {
      // parseConfig refuses a site with turnstile and no TURNSTILE_SECRET; only a hand-built config gets here.
      logger.alert('turnstile.unavailable', { site, reason: 'not_configured' });
      return undefined;
    }
    const remoteIp = lead.remoteIp();
    const verdict: TurnstileVerdict = await turnstile
      .verify({
        token: lead.meta.turnstile,
        ...(remoteIp === undefined ? {} : { remoteIp }),
        idempotencyKey: await turnstileIdempotencyKey(site, lead.idempotencyKey),
      })
      // An injected verifier that throws is no verdict either (the error is not logged: it may quote the request).
      .catch(() => ({ outcome: 'unavailable', reason: 'verifier_error' }) as const);
    if (verdict.outcome === 'passed') return undefined;
    if (verdict.outcome === 'failed') {
      logger.info('turnstile.failed', { site, error_codes: verdict.errorCodes });
      return 'spam:turnstile_failed';
    }
    const fields = { site, reason: verdict.reason, ...(verdict.errorCodes ? { error_codes: verdict.errorCodes } : {}), accepted: true };
    if (verdict.misconfigured)
      logger.alert('turnstile.unavailable', { ...fields, hint: 'Cloudflare refused TURNSTILE_SECRET or the request' });
    else logger.warn('turnstile.unavailable', fields);
    return undefined;
  }

  return async function spamReason(lead) {
    if (lead.meta.trap) return 'spam:honeypot';
    const token = lead.meta.form_token;
    const tokenSpam =
      token !== undefined ? await tokenReason(lead, token) : lead.site.form_token === 'required' ? 'spam:form_token_missing' : undefined;
    if (tokenSpam) return tokenSpam;
    return lead.site.turnstile ? turnstileReason(lead) : undefined;
  };
}
