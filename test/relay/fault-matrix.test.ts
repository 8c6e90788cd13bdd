/**
 * Issue 3's Fault matrix: for every way Propexo (or the network in front of it) can fail a create,
 * a burst of leads goes through a real relay to the sandbox while that fault hits a good share of
 * the creates, spread over the burst. Every lead must end confirmed exactly once: the sandbox holds
 * exactly one lead per prospect, with the created_record_id the relay kept, and nothing is a dead
 * letter.
 *
 * On every outbox the relay has (test/relay/support/matrix-stores.ts): the Node relay (startRelay,
 * loopback HTTP) on SQLite in a tmp DATA_DIR and on a real PostgreSQL (DATABASE_URL, a new database
 * per case), and the Worker in workerd on its Durable Object outbox (a new workerd per case); the
 * sandbox runs in this process, on loopback, behind all three. The assertions are the same for all.
 * SQLite sends 200 leads per case, in this file, which `npm test` runs alone after the other files
 * (vitest.config.ts); PostgreSQL and the Durable Object 60, in fault-matrix-shared-stores.test.ts,
 * which runs beside the other files (its cases wait on loopback, not on a deadline a busy CPU could
 * miss: 30 s for cases that take two). 60 leads are still five waves of faults, each with creates on
 * both sides of it. Every fault kind runs on every store: none is left out in workerd. The cases
 * themselves are support/fault-matrix-suite.ts.
 *
 * Each case runs twice, against a sandbox with Propexo's immediate read-back (a created lead is in
 * `GET /v1/leads` at once) and one without it (a created lead is readable only after the next sync,
 * hours away: never during the run). Write-status and the write logs are immediate in both: without
 * read-back, a create in doubt is found by its own job in the write logs, and a confirmed lead keeps
 * no record id (its created_record_id cannot be read back to check it is this prospect).
 *
 * Faults are queued on `POST /v1/leads/resman` only (lead searches and write-status checks are left
 * alone), in waves as the sandbox receives leads (support/fault-cases.ts), so they hit leads at the
 * start, in the middle and near the end of the burst. Each case then checks the faults really fired:
 * the sandbox's fault queue is drained and the relay logged one matching `propexo.*` warning per
 * fault at least.
 */
import { faultMatrix } from './support/fault-matrix-suite.js';
import { sqliteStore } from './support/matrix-stores.js';

faultMatrix([sqliteStore]);
