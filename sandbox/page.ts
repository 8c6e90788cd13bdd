/**
 * `GET /`: the leads the sandbox received, newest first, for a person running the demo, each with the
 * events logged on it, the updates made to it (a returning prospect's inquiry lands there) and the
 * tours booked or moved for it, then the same on leads ResMan had before the sandbox started.
 * Everything shown came from strangers, so every value is escaped; contact details are masked, and
 * free text (an event's or a tour's notes and reasons, an update's values) is not shown at all.
 * No script; its one <style> element needs a CSP that allows it, and the sandbox sets none.
 */
import type { LeadRecord } from './data.js';
import type { SandboxAppointment, SandboxEvent, SandboxLead, SandboxUpdate } from './received.js';

/** The writes onto existing leads, and a way to name a lead the sandbox did not create. */
export interface LeadActivity {
  events: SandboxEvent[];
  updates: SandboxUpdate[];
  appointments: SandboxAppointment[];
  lead(id: string): LeadRecord | undefined;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * The masks the page and the log line use, so neither shows a full contact: `j***@gmail.com`,
 * `******0142`. The relay's logger masks the same way; the sandbox stands in for
 * another company's service and imports nothing of the relay, so it has its own two lines.
 */
export const maskEmail = (email: string | null | undefined): string | null => {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
};
export const maskPhone = (phone: string | null | undefined): string | null => {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 4 ? `******${digits.slice(-4)}` : '******';
};

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1f2933; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
p { color: #52606d; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f5f7fa; font-weight: 600; }
code { font-size: 12px; }
ul { margin: 0; padding-left: 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .25rem; }
.SUCCESS { color: #05603a; } .FAILURE { color: #b42318; } .PENDING { color: #93370d; }
`;

const status = (r: { write_status: string; errors: string[] }) =>
  `<span class="${escapeHtml(r.write_status)}">${escapeHtml(r.write_status)}</span>${r.errors.map((e) => `<br>${escapeHtml(e)}`).join('')}`;

const time = (iso: string) => `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso)}</time>`;

/** A tour as sent: ResMan reads the date and time as UTC. */
const tourLine = (a: SandboxAppointment) =>
  `${a.action === 'create' ? 'Tour booked' : `Tour <code>${escapeHtml(a.event_id)}</code> moved`} for ` +
  `${escapeHtml(a.body.appointment_date.slice(0, 10))} ${escapeHtml(a.body.appointment_time)} UTC` +
  (a.body.unit_id ? `, unit <code>${escapeHtml(a.body.unit_id)}</code>` : '') +
  (a.body.notes ? ` (notes: ${a.body.notes.length} characters)` : '') +
  `<br>received ${time(a.received_at)}, job <code>${escapeHtml(a.job_id)}</code>: ${status(a)}` +
  (a.action === 'create' && a.event_id ? `, tour <code>${escapeHtml(a.event_id)}</code>` : '');

/** One line per event, update or tour, by the time received. Notes, reasons and updated values are left out. */
function activityList(events: SandboxEvent[], updates: SandboxUpdate[], appointments: SandboxAppointment[]): string {
  const items = [
    ...events.map((e) => ({
      at: e.received_at,
      html:
        `Event <strong>${escapeHtml(e.body.event_name)}</strong> at ${time(e.body.event_datetime)}` +
        (e.body.lead_source_id ? `, source <code>${escapeHtml(e.body.lead_source_id)}</code>` : '') +
        (e.body.notes ? ` (notes: ${e.body.notes.length} characters)` : '') +
        `<br>received ${time(e.received_at)}, job <code>${escapeHtml(e.job_id)}</code>: ${status(e)}` +
        (e.event_id ? `, event <code>${escapeHtml(e.event_id)}</code>` : ''),
    })),
    ...updates.map((u) => ({
      at: u.received_at,
      html:
        `Update of ${Object.keys(u.body).map(escapeHtml).join(', ') || 'no field'}` +
        `<br>received ${time(u.received_at)}, job <code>${escapeHtml(u.job_id)}</code>: ${status(u)}`,
    })),
    ...appointments.map((a) => ({ at: a.received_at, html: tourLine(a) })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return items.length === 0 ? '-' : `<ul>${items.map((i) => `<li>${i.html}</li>`).join('')}</ul>`;
}

const onLead = (activity: LeadActivity, leadId: string | null) => ({
  events: activity.events.filter((e) => e.body.lead_id === leadId),
  updates: activity.updates.filter((u) => u.lead_id === leadId),
  appointments: activity.appointments.filter((a) => a.lead_id === leadId),
});

function row(lead: SandboxLead, activity: LeadActivity): string {
  const b = lead.body;
  const mine = onLead(activity, lead.created_record_id);
  const cells = [
    time(lead.received_at),
    `${escapeHtml(b.first_name)} ${escapeHtml(b.last_name)}`,
    `${escapeHtml(maskEmail(b.email_1) ?? '-')}<br>${escapeHtml(maskPhone(b.phone_1) ?? '-')}`,
    ['integration_id', 'property_id', 'employee_id', 'lead_source_id']
      .map((k) => `<code>${escapeHtml(b[k as keyof typeof b])}</code>`)
      .join('<br>'),
    `<code>${escapeHtml(lead.job_id)}</code>`,
    status(lead),
    lead.created_record_id ? `<code>${escapeHtml(lead.created_record_id)}</code>` : '-',
    lead.created_record_id ? activityList(mine.events, mine.updates, mine.appointments) : '-',
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

/** Events, updates and tours on leads the sandbox did not create (ResMan had them before), one row per lead. */
function otherLeadsSection(leads: SandboxLead[], activity: LeadActivity): string {
  const created = new Set(leads.map((l) => l.created_record_id));
  const ids = [
    ...new Set([
      ...activity.events.map((e) => e.body.lead_id),
      ...activity.updates.map((u) => u.lead_id),
      ...activity.appointments.flatMap((a) => (a.lead_id === null ? [] : [a.lead_id])),
    ]),
  ].filter((id) => !created.has(id));
  if (ids.length === 0) return '';
  const rows = ids.map((id) => {
    const lead = activity.lead(id);
    const mine = onLead(activity, id);
    const cells = [
      lead ? `${escapeHtml(lead.first_name)} ${escapeHtml(lead.last_name)}` : '-',
      lead ? `${escapeHtml(maskEmail(lead.email_1) ?? '-')}<br>${escapeHtml(maskPhone(lead.phone_1) ?? '-')}` : '-',
      `<code>${escapeHtml(id)}</code>`,
      activityList(mine.events, mine.updates, mine.appointments),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<h2>Events and updates on leads ResMan already had</h2>
<table>
<thead><tr><th>Name</th><th>Contact</th><th>Lead</th><th>Events, updates and tours</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function leadsPage(
  leads: SandboxLead[],
  activity: LeadActivity = { events: [], updates: [], appointments: [], lead: () => undefined },
): string {
  const newestFirst = [...leads].reverse();
  const body =
    newestFirst.length === 0
      ? '<p>No leads received yet. Submit the demo form and reload this page.</p>'
      : `<table>
<thead><tr><th>Received</th><th>Name</th><th>Contact</th><th>Integration / property / employee / lead source</th><th>Job</th><th>Write status</th><th>Created lead</th><th>Events, updates and tours</th></tr></thead>
<tbody>
${newestFirst.map((lead) => row(lead, activity)).join('\n')}
</tbody>
</table>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>Propexo sandbox: leads received</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Propexo sandbox: leads received</h1>
<p>${plural(leads.length, 'lead')}, newest first; ${plural(activity.events.length, 'event')} and ${plural(activity.updates.length, 'update')} on existing leads; tours booked or moved: ${activity.appointments.length}. This page reloads every 5 seconds. Contact details are masked.</p>
${body}
${otherLeadsSection(leads, activity)}
</body>
</html>
`;
}
