/**
 * `GET /`: the leads the sandbox received, newest first, for a person running the demo.
 * Everything shown came from strangers, so every value is escaped; contact details are masked.
 * No script; its one <style> element needs a CSP that allows it, and the sandbox sets none.
 */
import type { SandboxLead } from './store.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * The masks the page and the log line use, so neither shows a full contact: `j***@gmail.com`,
 * `******0142`. The relay's logger masks the same way; the sandbox stands in for
 * another company's service and imports nothing of the relay, so it has its own two lines.
 */
export const maskEmail = (email: string | undefined): string | null => {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
};
export const maskPhone = (phone: string | undefined): string | null => {
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
.SUCCESS { color: #05603a; } .FAILURE { color: #b42318; } .PENDING { color: #93370d; }
`;

function row(lead: SandboxLead): string {
  const b = lead.body;
  const cells = [
    `<time datetime="${escapeHtml(lead.received_at)}">${escapeHtml(lead.received_at)}</time>`,
    `${escapeHtml(b.first_name)} ${escapeHtml(b.last_name)}`,
    `${escapeHtml(maskEmail(b.email_1) ?? '-')}<br>${escapeHtml(maskPhone(b.phone_1) ?? '-')}`,
    ['integration_id', 'property_id', 'employee_id', 'lead_source_id']
      .map((k) => `<code>${escapeHtml(b[k as keyof typeof b])}</code>`)
      .join('<br>'),
    `<code>${escapeHtml(lead.job_id)}</code>`,
    `<span class="${escapeHtml(lead.write_status)}">${escapeHtml(lead.write_status)}</span>` +
      lead.errors.map((e) => `<br>${escapeHtml(e)}`).join(''),
    lead.created_record_id ? `<code>${escapeHtml(lead.created_record_id)}</code>` : '-',
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

export function leadsPage(leads: SandboxLead[]): string {
  const newestFirst = [...leads].reverse();
  const body =
    newestFirst.length === 0
      ? '<p>No leads received yet. Submit the demo form and reload this page.</p>'
      : `<table>
<thead><tr><th>Received</th><th>Name</th><th>Contact</th><th>Integration / property / employee / lead source</th><th>Job</th><th>Write status</th><th>Created lead</th></tr></thead>
<tbody>
${newestFirst.map(row).join('\n')}
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
<p>${leads.length} lead${leads.length === 1 ? '' : 's'}, newest first. This page reloads every 5 seconds. Contact details are masked.</p>
${body}
</body>
</html>
`;
}
