/**
 * Where a visitor came from, as the widget keeps it for the visit and sends it under `meta`.
 * No zod here: the widget reads this before validation has loaded.
 */
export const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

export interface Attribution {
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_term?: string;
  utm_content?: string;
  /** The page the visitor came from (document.referrer on the first page seen). */
  referrer?: string;
  /** The first page of the visit on the site, query string included. */
  landing_page?: string;
}
