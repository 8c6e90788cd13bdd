import type { ErrorCode, FieldError } from '../../contract/errors.js';

const init = { bubbles: true, composed: true } as const;

/** Fired once when the form has rendered: a view, for analytics. */
export class ResmanLeadViewEvent extends Event {
  constructor(readonly site: string) {
    super('resman-lead-view', init);
  }
}

/** Fired once, on the visitor's first input: the form was started. */
export class ResmanLeadStartEvent extends Event {
  constructor(readonly site: string) {
    super('resman-lead-start', init);
  }
}

/**
 * Fired before a valid submission is sent. Cancel it (`preventDefault()`) to stop the send.
 * Carries no personal data, so it is safe to forward to analytics.
 */
export class ResmanLeadSubmitEvent extends Event {
  constructor(readonly site: string) {
    super('resman-lead-submit', { ...init, cancelable: true });
  }
}

/** Fired when the relay accepted the lead: `leadId` is the relay's receipt. */
export class ResmanLeadSuccessEvent extends Event {
  constructor(
    readonly site: string,
    readonly leadId: string,
    readonly status: string,
  ) {
    super('resman-lead-success', init);
  }
}

/** Fired when a send failed, or the relay refused fields the form could not check itself. */
export class ResmanLeadErrorEvent extends Event {
  constructor(
    readonly site: string,
    readonly code: ErrorCode,
    readonly fields: readonly FieldError[] = [],
  ) {
    super('resman-lead-error', init);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'resman-lead-view': ResmanLeadViewEvent;
    'resman-lead-start': ResmanLeadStartEvent;
    'resman-lead-submit': ResmanLeadSubmitEvent;
    'resman-lead-success': ResmanLeadSuccessEvent;
    'resman-lead-error': ResmanLeadErrorEvent;
  }
}
