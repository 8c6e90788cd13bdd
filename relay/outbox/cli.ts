/**
 * `npm run outbox -- <command>`: the operator's view of a Node relay's outbox, read straight from
 * DATA_DIR (the relay may be running or not; its deliverer picks up re-queued leads on its next look).
 *
 *   list [--status failed] [--site oak-grove] [--limit 50]   leads, newest first (contacts masked)
 *   show <lead-id>                                          one lead in full with its timeline, for acting on it
 *   retry <lead-id> | retry --all-failed                    dead letters back in the queue
 *   stats                                                   how many leads in each status
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSites } from '../config/sites.js';
import { type HeldTours, configuredTourCapacity, releaseHeld, requeueDeadLetter, tourStaysPut } from './delivery/requeue.js';
import { createLogger, maskEmail, maskPhone } from '../lib/log.js';
import { openPostgresLeadStore } from './store/postgres.js';
import { OUTBOX_FILE, openSqliteLeadStore } from './store/sqlite.js';
import { LEAD_STATUSES, type LeadRecord, type LeadStatus, type LeadStore } from './store/types.js';

const USAGE = `usage: npm run outbox -- list [--status S] [--site SLUG] [--limit N] | show ID | retry ID | retry --all-failed | stats
  DATA_DIR (default ./data) holds ${OUTBOX_FILE}; with DATABASE_URL set, the PostgreSQL outbox is used instead
  retry of a held lead releases it and its tour, into a slot of the site's tours.per_slot (SITES_FILE or SITES_JSON; else 1)`;

/**
 * The sites' tour settings for a release, from the relay's own SITES_FILE or SITES_JSON when set;
 * read at the first release, so a command that releases nothing never needs them.
 */
function cliHeldTours(env: NodeJS.ProcessEnv): HeldTours {
  let capacity: HeldTours['capacity'] | undefined;
  const sites = () => {
    const json = env.SITES_FILE ? readFileSync(env.SITES_FILE, 'utf8') : env.SITES_JSON;
    return json === undefined ? new Map() : parseSites(json, Number(env.PORT ?? 8787), env.SITES_FILE ? 'SITES_FILE' : 'SITES_JSON');
  };
  return { capacity: (tour) => (capacity ??= configuredTourCapacity(sites()))(tour), logger: createLogger() };
}

function line(lead: LeadRecord): string {
  const s = lead.submission;
  const contact = s.email_1 ? maskEmail(s.email_1) : s.phone_1 ? maskPhone(s.phone_1) : '';
  return [
    lead.id,
    lead.site,
    lead.status.padEnd(9),
    new Date(lead.created_at).toISOString(),
    `${s.first_name} ${s.last_name.slice(0, 1)}.`,
    contact,
    lead.error ?? '',
  ].join('  ');
}

export async function runOutboxCommand(
  store: LeadStore,
  argv: string[],
  out: (text: string) => void,
  now = Date.now(),
  tours: HeldTours = { capacity: configuredTourCapacity(new Map()), logger: createLogger() },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { status: { type: 'string' }, site: { type: 'string' }, limit: { type: 'string' }, 'all-failed': { type: 'boolean' } },
  });
  const [command, id] = positionals;
  switch (command) {
    case 'list': {
      if (values.status !== undefined && !(LEAD_STATUSES as readonly string[]).includes(values.status)) {
        out(`--status must be one of ${LEAD_STATUSES.join(', ')}`);
        return 2;
      }
      const leads = await store.list({
        ...(values.status ? { status: values.status as LeadStatus } : {}),
        ...(values.site ? { site: values.site } : {}),
        limit: Number(values.limit ?? 50) || 50,
      });
      for (const lead of leads) out(line(lead));
      out(`${leads.length} lead(s)`);
      return 0;
    }
    case 'show': {
      const lead = id ? await store.get(id) : null;
      if (!lead) {
        out(`no lead ${id ?? ''}`.trim());
        return 1;
      }
      out(JSON.stringify({ ...lead, history: await store.history(lead.id) }, null, 2));
      return 0;
    }
    case 'retry': {
      const targets = values['all-failed'] ? await store.list({ status: 'failed', limit: 1000 }) : id ? [await store.get(id)] : [];
      if (targets.length === 0 || targets[0] === null) {
        out(values['all-failed'] ? 'no failed leads' : `no lead ${id ?? '(give an id or --all-failed)'}`);
        return values['all-failed'] ? 0 : 1;
      }
      let requeued = 0;
      for (const lead of targets) {
        if (!lead) continue;
        const why = await tourStaysPut(store, lead);
        if (why) {
          out(`${lead.id}: ${why}`);
          continue;
        }
        if (lead.status === 'held') {
          const released = await releaseHeld(store, lead, now, 'cli', tours);
          if (released) requeued++;
          if (released?.tour === 'slot_taken') out(`${lead.id}: its tour's slot is taken, the tour is a dead letter: call the prospect`);
          if (released) continue;
        } else if (await requeueDeadLetter(store, lead, now, 'cli', tours)) {
          requeued++;
          continue;
        }
        out(`${lead.id} is ${lead.status}, not failed or held: left alone`);
      }
      out(`${requeued} lead(s) queued again`);
      return requeued === targets.length ? 0 : 1;
    }
    case 'stats': {
      const counts = await store.counts();
      out(LEAD_STATUSES.map((s) => `${s}: ${counts[s]}`).join('  '));
      return 0;
    }
    default:
      out(USAGE);
      return 2;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const file = join(process.env.DATA_DIR || './data', OUTBOX_FILE);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl && !existsSync(file)) {
    console.error(`No outbox at ${file}: set DATA_DIR to the relay's data directory (or DATABASE_URL to its PostgreSQL outbox).`);
    process.exit(1);
  }
  const store = databaseUrl ? await openPostgresLeadStore(databaseUrl) : openSqliteLeadStore(file);
  const code = await runOutboxCommand(store, process.argv.slice(2), (t) => console.log(t), Date.now(), cliHeldTours(process.env)).catch(
    (err: Error) => {
      console.error(err.message);
      return 2;
    },
  );
  await store.close();
  process.exit(code);
}
