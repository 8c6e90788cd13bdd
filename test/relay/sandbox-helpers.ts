/** Shared setup of the sandbox tests: a token, an injected clock, request helpers. */
import { expect } from 'vitest';
import { SANDBOX_IDS, createSandbox, type SandboxOptions } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';

export const TOKEN = 'sandbox-test-token';
export const AUTH = { authorization: `Bearer ${TOKEN}` };
export const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
export const START = Date.UTC(2026, 0, 15, 10, 0, 0); // on a minute boundary, like Propexo's rate-limit windows

export class TestClock {
  t = START;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const aLead = (extra: Record<string, unknown> = {}) => ({
  ...SANDBOX_IDS,
  first_name: 'Dana',
  last_name: 'Whitfield',
  email_1: 'dana.whitfield@mail.test',
  phone_1: '5125550199',
  ...extra,
});

export function setup(options: Partial<SandboxOptions> = {}) {
  const clock = new TestClock();
  const sandbox = createSandbox({ token: TOKEN, clock, slowDownMs: 0, log: checkedSink(), ...options });
  const get = (path: string, init: RequestInit = {}) => sandbox.app.request(path, { headers: AUTH, ...init });
  const post = (path: string, body: unknown, init: RequestInit = {}) =>
    sandbox.app.request(path, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(body), ...init });
  const postLead = (body: unknown, query = '') => post(`/v1/leads/resman/${query}`, body);
  const put = (path: string, body: unknown, init: RequestInit = {}) =>
    sandbox.app.request(path, { method: 'PUT', headers: JSON_AUTH, body: JSON.stringify(body), ...init });
  const postEvent = (body: unknown, query = '') => post(`/v1/events/leads/resman/${query}`, body);
  const putLead = (leadId: string, body: unknown, query = '') => put(`/v1/leads/resman/${leadId}${query}`, body);
  /** Posts a lead and lets its job succeed: the new lead's id. */
  const createdLead = async (extra: Record<string, unknown> = {}) => {
    const { meta } = (await (await postLead(aLead(extra))).json()) as { meta: { job_id: string } };
    clock.advance(options.writeDelayMs ?? 1500);
    const status = (await (await get(`/v1/admin/write-status/${meta.job_id}`)).json()) as { created_record_id: string };
    return status.created_record_id;
  };
  return { clock, sandbox, get, post, postLead, put, postEvent, putLead, createdLead };
}

export type Issue = { code: string; path: (string | number)[]; message: string };
export async function issuesOf(res: Response): Promise<Issue[]> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string; details: { details: { issues: Issue[] } } } };
  expect(body.error.code).toBe('invalid_request');
  expect(typeof body.error.message).toBe('string');
  for (const issue of body.error.details.details.issues) {
    expect(typeof issue.code).toBe('string');
    expect(Array.isArray(issue.path)).toBe(true);
    expect(typeof issue.message).toBe('string');
  }
  return body.error.details.details.issues;
}
export const paths = (issues: Issue[]) => issues.map((i) => i.path.join('.'));
