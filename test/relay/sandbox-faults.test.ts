/**
 * Sandbox faults: through app.request(), and those that need a socket (resets, hangs, garbled
 * bodies) over real loopback HTTP via startSandbox, driven through the control surface.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SANDBOX_IDS, SandboxConnectionReset, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { AUTH, JSON_AUTH, TOKEN, aLead, setup } from './sandbox-helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A client giving up as a timeout would, at a moment the test chooses. */
const giveUp = (controller: AbortController) => controller.abort(new DOMException('the client gave up', 'TimeoutError'));

describe('faults through app.request()', () => {
  it('answers 5xx like a proxy and 429 like the limiter, for the next N matching requests only', async () => {
    const { get, sandbox } = setup();
    sandbox.injectFault({ kind: '500' });
    sandbox.injectFault({ kind: '502', path: '/v1/units', times: 2 });
    sandbox.injectFault({ kind: '503', method: 'POST' });
    const r500 = await get('/v1/units');
    expect(r500.status).toBe(500);
    expect(await r500.text()).toBe('');
    const r502 = await get('/v1/units/');
    expect(r502.status).toBe(502);
    expect(r502.headers.get('content-type')).toMatch(/text\/html/);
    expect(await r502.text()).toMatch(/Bad Gateway/);
    expect((await get('/v1/floor-plans')).status).toBe(200); // path does not match: untouched
    expect((await get('/v1/units')).status).toBe(502);
    expect((await get('/v1/units')).status).toBe(200);
    const r503 = await sandbox.app.request('/v1/leads/resman/', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()) });
    expect(r503.status).toBe(503);
    expect(sandbox.leads()).toHaveLength(0);
    sandbox.injectFault({ kind: '429' });
    const r429 = await get('/v1/units');
    expect(r429.status).toBe(429);
    expect(r429.headers.get('x-ratelimit-remaining')).toBe('0');
    sandbox.injectFault({ kind: '500', times: 5 });
    sandbox.clearFaults();
    expect((await get('/v1/units')).status).toBe(200);
  });

  it('reset: app.request() rejects and nothing is stored; reset_after_receive: rejects but the lead is stored', async () => {
    const { postLead, sandbox } = setup();
    sandbox.injectFault({ kind: 'reset' });
    await expect(postLead(aLead())).rejects.toBeInstanceOf(SandboxConnectionReset);
    expect(sandbox.leads()).toHaveLength(0);
    sandbox.injectFault({ kind: 'reset_after_receive' });
    await expect(postLead(aLead())).rejects.toBeInstanceOf(TypeError);
    expect(sandbox.leads()).toHaveLength(1);
    expect((await postLead(aLead())).status).toBe(200);
  });

  it('garbled: the lead is stored and the 200 body is not JSON', async () => {
    const { postLead, sandbox } = setup();
    sandbox.injectFault({ kind: 'garbled' });
    const res = await postLead(aLead());
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow();
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('slow: a client that gives up first created nothing; one that waits gets its answer', async () => {
    const { sandbox } = setup();
    const send = (signal?: AbortSignal) =>
      sandbox.app.request('/v1/leads/resman/', {
        method: 'POST',
        headers: JSON_AUTH,
        body: JSON.stringify(aLead()),
        signal: signal ?? null,
      });
    // The hold is a setTimeout, taken with the fault before anything else: fake timers time it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    sandbox.injectFault({ kind: 'slow', ms: 10_000 });
    const client = new AbortController();
    const first = send(client.signal);
    expect(vi.getTimerCount(), 'the request is held').toBe(1);
    vi.advanceTimersByTime(9_999);
    giveUp(client);
    await expect(first).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(vi.getTimerCount(), 'the hold ended with the client').toBe(0);
    expect(sandbox.leads()).toHaveLength(0);

    sandbox.injectFault({ kind: 'slow', ms: 40 });
    const second = send();
    vi.advanceTimersByTime(39);
    expect(vi.getTimerCount(), 'still held at 39 ms').toBe(1);
    vi.advanceTimersByTime(1);
    expect((await second).status).toBe(200);
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('timeout_after_receive: the lead is stored, the client times out', async () => {
    const { sandbox } = setup();
    sandbox.injectFault({ kind: 'timeout_after_receive', ms: 10_000 });
    const client = new AbortController();
    let answered = false;
    const sent = sandbox.app.request('/v1/leads/resman/', {
      method: 'POST',
      headers: JSON_AUTH,
      body: JSON.stringify(aLead()),
      signal: client.signal,
    });
    void Promise.resolve(sent).then(
      () => (answered = true),
      () => (answered = true),
    );
    // Stored, and the answer held back: the client gives up then.
    await expect.poll(() => sandbox.leads().length).toBe(1);
    expect(answered).toBe(false);
    giveUp(client);
    await expect(sent).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('targets the lead update (PUT) and the lead event by method and path, in whole path segments', async () => {
    const { sandbox, postLead, postEvent, putLead } = setup();
    const lead = 'lead_oakgrove_0001';
    const event = {
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: lead,
      event_name: 'Email',
      event_datetime: '2026-01-15T09:30:00Z',
    };
    sandbox.injectFault({ kind: '503', path: '/v1/leads/resman', method: 'put' });
    sandbox.injectFault({ kind: '502', path: '/v1/events/leads/resman/' });
    expect((await postLead(aLead())).status).toBe(200); // the create is a POST: not this fault's
    expect((await postEvent(event)).status).toBe(502);
    expect((await putLead(lead, { first_name: 'Pri' })).status).toBe(503);
    expect([sandbox.updates().length, sandbox.events().length]).toEqual([0, 0]);
    expect((await putLead(lead, { first_name: 'Pri' })).status).toBe(200);
    expect((await postEvent(event)).status).toBe(200);

    // Before handling nothing is stored; after, the write is, as for a create.
    sandbox.injectFault({ kind: 'reset', path: '/v1/events', method: 'POST' });
    await expect(postEvent(event)).rejects.toBeInstanceOf(SandboxConnectionReset);
    expect(sandbox.events()).toHaveLength(1);
    sandbox.injectFault({ kind: 'reset_after_receive', method: 'PUT' });
    await expect(putLead(lead, { last_name: 'N' })).rejects.toBeInstanceOf(TypeError);
    expect(sandbox.updates()).toHaveLength(2);

    // Whole segments: `/v1/lead` is no prefix of `/v1/leads/…`. Without a method, the create's path covers the update too.
    sandbox.injectFault({ kind: '500', path: '/v1/lead' });
    expect((await putLead(lead, {})).status).toBe(200);
    sandbox.clearFaults();
    sandbox.injectFault({ kind: '500', path: '/v1/leads/resman', times: 2 });
    expect((await putLead(lead, {})).status).toBe(500);
    expect((await postLead(aLead())).status).toBe(500);
    expect((await postEvent(event)).status).toBe(200);
  });

  it('refuses a malformed fault', () => {
    const { sandbox } = setup();
    expect(() => sandbox.injectFault({ kind: 'explode' as never })).toThrow();
    expect(() => sandbox.injectFault({ kind: '500', times: 0 })).toThrow();
  });
});

describe('over real HTTP (startSandbox), driven through the control surface', () => {
  let running: RunningSandbox;
  const logLines: string[] = [];
  beforeAll(async () => {
    running = await startSandbox({ token: TOKEN, slowDownMs: 0, writeDelayMs: 0, log: checkedSink(logLines) });
  });
  afterAll(() => running.close());

  const fault = async (f: Record<string, unknown>) => {
    const res = await fetch(`${running.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(f),
    });
    expect(res.status).toBe(201);
  };
  const sendLead = (init: RequestInit = {}) =>
    fetch(`${running.url}/v1/leads/resman/`, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()), ...init });
  const leadCount = async () => ((await (await fetch(`${running.url}/__sandbox/leads`)).json()) as unknown[]).length;

  it('listens on 127.0.0.1 with an ephemeral port and serves the API', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.url).not.toMatch(/:0$/);
    const res = await fetch(`${running.url}/v1/floor-plans/`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await fetch(`${running.url}/__sandbox/reset`, { method: 'POST' }).then((r) => r.json())).toEqual({ ok: true });
  });

  it('reset destroys the socket before anything is stored', async () => {
    const before = await leadCount();
    await fault({ kind: 'reset', path: '/v1/leads/resman' });
    await expect(sendLead()).rejects.toThrow(TypeError);
    expect(await leadCount()).toBe(before);
  });

  it('reset_after_receive stores the lead, then destroys the socket', async () => {
    const before = await leadCount();
    await fault({ kind: 'reset_after_receive', method: 'POST' });
    await expect(sendLead()).rejects.toThrow(TypeError);
    expect(await leadCount()).toBe(before + 1);
  });

  it('timeout_after_receive stores the lead and never answers before the client gives up', async () => {
    const before = await leadCount();
    await fault({ kind: 'timeout_after_receive', ms: 20_000 });
    const client = new AbortController();
    let answered = false;
    const sent = sendLead({ signal: client.signal });
    void sent.then(
      () => (answered = true),
      () => (answered = true),
    );
    await expect.poll(leadCount).toBe(before + 1);
    expect(answered).toBe(false);
    giveUp(client);
    await expect(sent).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await leadCount()).toBe(before + 1);
  });

  it('slow holds the request back, so a client timing out created nothing', async () => {
    const before = await leadCount();
    await fault({ kind: 'slow', ms: 20_000 });
    const client = new AbortController();
    const sent = sendLead({ signal: client.signal });
    // The request is in the hold once its fault has been taken off the queue.
    await expect.poll(async () => (await fetch(`${running.url}/__sandbox/faults`)).json()).toEqual([]);
    giveUp(client);
    await expect(sent).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await leadCount()).toBe(before);
  });

  it('garbled answers 200 with a body that is not JSON, after storing the lead', async () => {
    const before = await leadCount();
    await fault({ kind: 'garbled' });
    const res = await sendLead();
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    expect(await leadCount()).toBe(before + 1);
  });

  it('a fault posted to the control surface reaches PUT /v1/leads/resman/{lead_id} over HTTP', async () => {
    await fault({ kind: 'reset', path: '/v1/leads/resman/lead_oakgrove_0002', method: 'put' });
    expect(await (await fetch(`${running.url}/__sandbox/faults`)).json()).toMatchObject([
      { kind: 'reset', method: 'PUT', path: '/v1/leads/resman/lead_oakgrove_0002' },
    ]);
    const update = () =>
      fetch(`${running.url}/v1/leads/resman/lead_oakgrove_0002`, {
        method: 'PUT',
        headers: JSON_AUTH,
        body: JSON.stringify({ zip: '78745' }),
      });
    await expect(update()).rejects.toThrow(TypeError);
    expect(running.updates()).toHaveLength(0);
    expect((await update()).status).toBe(200);
    expect(running.updates()).toHaveLength(1);
  });

  it('lists, refuses and clears faults over HTTP; reset forgets leads', async () => {
    const bad = await fetch(`${running.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ kind: 'meteor' }) });
    expect(bad.status).toBe(400);
    await fault({ kind: '503', times: 3 });
    expect(await (await fetch(`${running.url}/__sandbox/faults`)).json()).toMatchObject([{ kind: '503', remaining: 3 }]);
    expect((await fetch(`${running.url}/__sandbox/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await sendLead()).status).toBe(200);
    expect(running.leads().length).toBeGreaterThan(0);
    await fetch(`${running.url}/__sandbox/reset`, { method: 'POST' });
    expect(await leadCount()).toBe(0);
  });

  it('logs one masked JSON line per lead received, without the token', async () => {
    const before = logLines.length;
    await fault({ kind: 'reset', path: '/v1/leads/resman' });
    await expect(sendLead()).rejects.toThrow(TypeError);
    await fault({ kind: 'reset_after_receive', method: 'POST' });
    await expect(sendLead()).rejects.toThrow(TypeError);
    expect((await sendLead()).status).toBe(200);
    // One line for each lead received (reset_after_receive's and the clean one), none for the reset.
    expect(logLines.length - before).toBe(2);
    const line = JSON.parse(logLines.at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({
      sandbox: 'lead_received',
      first_name: 'Dana',
      email: 'd***@mail.test',
      phone: '******0199',
      ...SANDBOX_IDS,
    });
    expect(logLines.join('\n')).not.toContain(TOKEN);
    expect(logLines.join('\n')).not.toContain('dana.whitfield');
  });
});
