/**
 * What every crash run must show (support/crash-run.ts), whatever the store, the read-back and the
 * moment of the kill: every lead the relay stored confirmed, each prospect in the sandbox exactly once
 * with the record id the relay kept, and the lead the kill caught in flight found, not sent again.
 */
import { expect } from 'vitest';
import type { SandboxLead } from '../../../sandbox/index.js';
import type { RunResult } from './crash-run.js';

const emailOf = (body: { email_1?: unknown }) => String(body.email_1);

export interface LogEvent {
  time: string;
  event: string;
  how?: string;
  lead_id?: string;
  owner?: string;
  holder?: string;
}
export const events = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogEvent);

/** What every crash run must show, whatever the store, the read-back and the moment of the kill. */
export function expectExactlyOnce(result: RunResult): void {
  const { answers, outbox, second, sandbox, spec } = result;
  const acceptedIds = answers.flatMap((a) => (a.kind === 'accepted' ? [a.id] : []));
  expect(answers.filter((a) => a.kind === 'refused')).toEqual([]);

  // No prospect is in the sandbox twice: not those that got a 202, not those whose answer was lost.
  const stored = sandbox.leads();
  const byEmail = new Map<string, SandboxLead[]>();
  for (const l of stored) byEmail.set(emailOf(l.body), [...(byEmail.get(emailOf(l.body)) ?? []), l]);
  const doubled = [...byEmail]
    .filter(([, ls]) => ls.length > 1)
    .map(([e, ls]) => `${e} x${ls.length} (jobs ${ls.map((l) => l.job_id).join(', ')})`);
  expect(doubled, 'prospects created more than once').toEqual([]);

  // Every lead the relay stored (each 202, and any whose 202 the kill swallowed) is confirmed and is
  // the one lead the sandbox has for its email, with the same created_record_id; without read-back,
  // with none (a confirmed lead keeps no id it could not read back).
  const outboxIds = new Set(outbox.map((r) => r.id));
  expect(
    acceptedIds.filter((id) => !outboxIds.has(id)),
    '202 leads missing from the outbox',
  ).toEqual([]);
  const expectedId = (email: string) => (spec.mode === 'immediate' ? byEmail.get(email)?.[0]?.created_record_id : null);
  const wrong = outbox
    .map((r) => ({ ...r, email: emailOf(JSON.parse(r.submission) as { email_1?: string }) }))
    .filter((r) => r.status !== 'confirmed' || byEmail.get(r.email)?.length !== 1 || expectedId(r.email) !== r.created_record_id)
    .map(
      (r) =>
        `${r.id} ${r.status} attempts=${r.attempts} relay=${r.created_record_id} sandbox=${byEmail
          .get(r.email)
          ?.map((l) => l.created_record_id)
          .join('|')}`,
    );
  expect(wrong, 'outbox leads not confirmed exactly once').toEqual([]);
  // And the sandbox has nothing the relay does not know of.
  const outboxEmails = new Set(outbox.map((r) => emailOf(JSON.parse(r.submission) as { email_1?: string })));
  expect([...byEmail.keys()].filter((e) => !outboxEmails.has(e))).toEqual([]);
  expect(stored).toHaveLength(outbox.length);
  expect(stored.every((l) => l.write_status === 'SUCCESS')).toBe(true);

  // The kill really caught a create in flight: the new process found that lead instead of re-sending it.
  const afterRestart = events(second.output());
  expect(
    afterRestart.filter((e) => (e.event === 'lead.confirmed' && e.how === 'found_after_doubt') || e.event === 'lead.found_in_write_logs')
      .length,
  ).toBeGreaterThanOrEqual(1);
  expect(afterRestart.filter((e) => e.event === 'lead.dead_letter' || e.event === 'deliverer.error')).toEqual([]);
}
