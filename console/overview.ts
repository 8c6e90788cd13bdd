/**
 * `<rlf-overview>`: per site, today and the last 7 days, the oldest queued lead and the site's check
 * against Propexo (with "Check sites now", after a fix in the sites file or in ResMan); then Propexo
 * as the deliverer sees it.
 */
import { LitElement, css, html, nothing } from 'lit';
import { SignedOut, getJson, postJson } from './api.js';
import { reportSignedOut } from './events.js';
import { ago, duration, when } from './format.js';
import { Loader } from './load.js';
import { shared } from './styles.js';
import { STATUSES, type Figures, type Overview, type PropexoState, type SiteCheck, type SiteChecks, type SiteRow } from './types.js';

/** The counted figures, as rows: a phone fits two columns (today, 7 days), not six. */
const FIGURES: [Exclude<keyof Figures, 'median_confirm_ms'>, string][] = [
  ['accepted', 'Accepted'],
  ['delivered', 'Delivered'],
  ['confirmed', 'Confirmed'],
  ['held', 'Held'],
  ['failed', 'Failed'],
  ['tours', 'Tours booked'],
];

const WEEK = 7 * 86_400_000;
/** Midnight UTC of `now`'s day, as the API counts "today". */
const todayFrom = (now: number) => new Date(now).toISOString().slice(0, 10);
/** The leads a figure counts, as a filter; delivered (sent or confirmed) is two statuses, so no link. */
const FIGURE_STATUS: Partial<Record<keyof Figures, string>> = { accepted: '', confirmed: 'confirmed', held: 'held', failed: 'failed' };

function figureLink(site: string, key: keyof Figures, count = 0, from: string) {
  const status = FIGURE_STATUS[key];
  if (count === 0 || status === undefined) return count;
  const query = new URLSearchParams({ site, ...(status ? { status } : {}), from });
  return html`<a href="#/leads?${query.toString()}">${count}</a>`;
}

export class RlfOverview extends LitElement {
  static override styles = [
    shared,
    css`
      .counts {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.25rem;
      }
      caption {
        text-align: left;
        white-space: normal;
      }
      .sites {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr));
      }
      section.site {
        border: 1px solid #d0d7de;
        border-radius: 8px;
        padding: 0 0.75rem 0.75rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 1rem;
        margin: 0.5rem 0;
      }
      dt {
        color: #57606a;
      }
      dd {
        margin: 0;
      }
    `,
  ];
  static override properties = { version: {}, checking: { state: true }, note: { state: true } };
  declare version: string;
  declare checking: boolean;
  declare note: string;

  #data = new Loader(
    this,
    async () => {
      const [overview, checks] = await Promise.all([getJson<Overview>('overview'), getJson<SiteChecks | null>('sites')]);
      return { overview, checks };
    },
    () => this.version,
  );

  /** The relay re-reads its sites and checks each against Propexo now; a fixed site's waiting leads go. */
  async #checkNow(): Promise<void> {
    this.checking = true;
    this.note = 'Checking the sites against Propexo…';
    try {
      const report = await postJson<SiteChecks>('sites/check');
      const wrong = report.sites.filter((s) => s.status === 'misconfigured').length;
      this.note = `Checked ${report.sites.length} site(s): ${wrong === 0 ? 'none misconfigured' : `${wrong} misconfigured`}.`;
      await this.#data.reload();
    } catch (error) {
      if (error instanceof SignedOut) return reportSignedOut(this);
      this.note = (error as Error).message;
    } finally {
      this.checking = false;
    }
  }

  override render() {
    const { value, problem } = this.#data;
    return html`
      <h2>Overview</h2>
      ${problem ? html`<p class="problem" role="alert">${problem}</p>` : nothing}
      ${
        value
          ? html`
            <p class="counts">
              <span class="muted">Every lead in the outbox:</span>
              ${STATUSES.map(
                (status) =>
                  html`<a href="#/leads?status=${status}"><span class="status ${status}">${status}</span> ${value.overview.counts[status] ?? 0}</a>`,
              )}
            </p>
            <div class="row">
              <button type="button" ?disabled=${this.checking} @click=${() => void this.#checkNow()}>Check sites now</button>
              <span role="status">${this.note ?? ''}</span>
            </div>
            <div class="sites">
              ${value.overview.sites.map((row) =>
                this.#site(
                  row,
                  value.checks?.sites.find((c) => c.site === row.site),
                  value.overview.generated_at,
                ),
              )}
            </div>
            ${this.#propexo(value.overview.propexo)}
            <p class="muted">Updated ${when(value.overview.generated_at)}. Today counts from midnight UTC.</p>
          `
          : html`<p class="muted" role="status">Loading…</p>`
      }
    `;
  }

  #site(row: SiteRow, check: SiteCheck | undefined, now: number) {
    return html`
      <section class="site" aria-labelledby="site-${row.site}">
        <h3 id="site-${row.site}"><a href="#/leads?site=${encodeURIComponent(row.site)}">${check?.name ?? row.site}</a></h3>
        <dl>
          <dt>Check against Propexo</dt>
          <dd>
            <span class="status ${check?.status ?? ''}">${check?.status ?? 'not checked'}</span>
            ${check?.problems.map((p) => html`<div class="problem">${p.field}${p.id ? html` <code>${p.id}</code>` : nothing}: ${p.problem}${p.detail ? ` (${p.detail})` : ''}</div>`)}
            ${check?.error ? html`<div class="muted">${check.error}</div>` : nothing}
          </dd>
          <dt>Oldest queued</dt>
          <dd>${row.oldest_queued_at === null ? 'none' : ago(row.oldest_queued_at)}</dd>
        </dl>
        <div class="scroll" tabindex="0" role="region" aria-label="Figures of ${row.site}">
          <table>
            <caption class="muted">Leads of ${row.site} by the day they were accepted</caption>
            <thead>
              <tr>
                <td></td>
                <th scope="col" class="num">Today</th>
                <th scope="col" class="num">Last 7 days</th>
              </tr>
            </thead>
            <tbody>
              ${FIGURES.map(
                ([key, label]) => html`<tr>
                  <th scope="row">${label}</th>
                  <td class="num">${figureLink(row.site, key, row.today[key], todayFrom(now))}</td>
                  <td class="num">${figureLink(row.site, key, row.last_7_days[key], new Date(now - WEEK).toISOString())}</td>
                </tr>`,
              )}
              <tr>
                <th scope="row">Median to confirmed</th>
                <td class="num">${duration(row.today.median_confirm_ms)}</td>
                <td class="num">${duration(row.last_7_days.median_confirm_ms)}</td>
              </tr>
            </tbody>
          </table>
        </div>
      </section>
    `;
  }

  #propexo(state: PropexoState | null) {
    if (!state) return html`<h2>Propexo</h2><p class="muted">No deliverer answers here.</p>`;
    return html`
      <h2>Propexo</h2>
      <dl>
        <dt>Requests in the last minute</dt>
        <dd>${state.requests_last_minute} of ${state.budget_per_minute}</dd>
        <dt>Last 429</dt>
        <dd>${state.last_rate_limited_at === null ? 'none since start' : `${when(state.last_rate_limited_at)} (${ago(state.last_rate_limited_at)})`}</dd>
        <dt>Token</dt>
        <dd>${state.token_refused ? html`<span class="status failed">refused (401/403)</span>` : html`<span class="status ok">accepted</span>`}</dd>
        ${state.paused_until ? html`<dt>Paused until</dt><dd>${when(state.paused_until)}</dd>` : nothing}
        <dt>Backlog</dt>
        <dd>${state.backlog} queued</dd>
        <dt>Requests by outcome</dt>
        <dd>${Object.entries(state.requests_by_outcome)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}</dd>
      </dl>
    `;
  }
}

if (!customElements.get('rlf-overview')) customElements.define('rlf-overview', RlfOverview);
