// A stand-in relay for widget tests, mounted on the test server. The site slug picks its behaviour;
// every request it receives is kept so tests can assert on what the widget really sent.
// Leads (POST /v1/sites/:site/leads):
//   accept  202 receipt          flaky  503 on a key's first try, then 202
//   refuse  400 invalid_fields   down   503 envelope always      garbage  500 with an HTML body
//   slow    202 once the test lets it (POST /stub-relay/release), at the latest after 5 s
//   limited  429 rate_limited, Retry-After: 113
//   (any other slug: accept)
// Units (GET /v1/sites/:site/units): Live Oak's two, none for Magnolia, 503 for Pecan Studio.
// Form settings (GET /v1/sites/:site/form): the defaults with token `tok-<site>`, except
//   consent (an optional consent box), consent-phone (one asked once a phone number is typed),
//   consent-required (one that must be ticked), consent-changed (a box whose wording changes after the
//   first answer: a lead consenting to the old version is refused), plans (floor plans and units), planes (plans on a Spanish site),
//   spanish (site language and texts), ahead (the property's today is the browser's tomorrow),
//   strict (phone required), turnstile (a Turnstile site key), noform (503), lateform (503 the first
//   time, then the defaults).
// Tours (GET /v1/sites/:site/tours): tours and tours-taken answer TOURS (America/Chicago, a day without
//   times between two with), tours-flaky 503 the first time then TOURS, tours-none the days without
//   any time; any other site 404. A lead with a tour to tours-taken is refused the first time
//   (409 slot_taken with TAKEN_TOURS, 2:30 PM gone), then accepted; every accepted tour's receipt
//   carries it, ending 30 minutes later.
const envelope = (code, message, fields = []) => ({ error: { code, message, fields } });

const PLANS = [
  { id: 'fp_magnolia', name: 'Magnolia', bedrooms: 1, bathrooms: 1, rent_min_cents: 145000, rent_max_cents: 152500 },
  { id: 'fp_live_oak', name: 'Live Oak', bedrooms: 2, bathrooms: 2, rent_min_cents: 189500, rent_max_cents: null },
  {
    id: 'fp_studio',
    name: 'Pecan Studio with Garden Patio and Private Entrance',
    bedrooms: 0,
    bathrooms: 1,
    rent_min_cents: null,
    rent_max_cents: null,
  },
];
const UNITS = {
  fp_live_oak: [
    { id: 'un_204', number: '204', bedrooms: 2, bathrooms: 2, rent_cents: 191000, square_feet: 1040 },
    { id: 'un_311', number: '311', bedrooms: 2, bathrooms: 2, rent_cents: 195000, square_feet: null },
  ],
};

/** Three property-local dates in spring 2027, in Central Daylight Time (-05:00). */
export const TOURS = {
  site: 'tours',
  time_zone: 'America/Chicago',
  slot_minutes: 30,
  address: '4100 Oak Grove Blvd, Austin, TX 78745',
  days: [
    {
      date: '2027-03-15',
      weekday: 'mon',
      slots: [
        { start: '2027-03-15T09:00:00-05:00', label: '9:00 AM' },
        { start: '2027-03-15T14:30:00-05:00', label: '2:30 PM' },
        { start: '2027-03-15T16:00:00-05:00', label: '4:00 PM' },
      ],
    },
    { date: '2027-03-16', weekday: 'tue', slots: [] },
    { date: '2027-03-17', weekday: 'wed', slots: [{ start: '2027-03-17T10:00:00-05:00', label: '10:00 AM' }] },
  ],
};
/** The slots open once 2:30 PM on March 15 was taken. */
const TAKEN_TOURS = {
  ...TOURS,
  days: TOURS.days.map((d) => ({ ...d, slots: d.slots.filter((s) => s.start !== '2027-03-15T14:30:00-05:00') })),
};

function toursFor(site, state) {
  if (site === 'tours-flaky' && state.toursAsked++ === 0) return [503, envelope('unavailable', 'Try again later.')];
  if (site === 'tours-none') return [200, { ...TOURS, site, days: TOURS.days.map((d) => ({ ...d, slots: [] })) }];
  if (site.startsWith('tours') && site !== 'tours-off') return [200, { ...TOURS, site }];
  return [404, envelope('not_found', 'This site does not offer tours.')];
}

/** The date `days` from now in this machine's calendar, which is the test browser's too, as YYYY-MM-DD. */
export function localDate(days = 0) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function settingsFor(site) {
  const base = {
    site,
    language: 'en',
    fields: ['first_name', 'last_name', 'email_1', 'phone_1', 'target_move_in_date', 'desired_num_bedrooms', 'notes'],
    required: ['first_name', 'last_name'],
    texts: {},
    consent: null,
    floor_plans: [],
    today: localDate(site === 'ahead' ? 1 : 0),
    form_token: `tok-${site}`,
    turnstile_site_key: null,
  };
  const consent = {
    text: 'I agree that Oak Grove may call and text me about my inquiry.',
    version: '2026-11',
    ask: 'always',
    required: false,
  };
  if (site === 'consent') return { ...base, consent };
  if (site === 'consent-phone') return { ...base, consent: { ...consent, ask: 'with_phone' } };
  if (site === 'consent-required') return { ...base, consent: { ...consent, required: true } };
  if (site === 'plans')
    return {
      ...base,
      fields: ['first_name', 'last_name', 'email_1', 'floor_plan_id', 'unit_id', 'desired_num_bedrooms'],
      floor_plans: PLANS,
    };
  if (site === 'planes')
    return { ...base, language: 'es', fields: ['first_name', 'last_name', 'email_1', 'floor_plan_id'], floor_plans: PLANS };
  if (site === 'spanish')
    return {
      ...base,
      language: 'es',
      texts: { submit: 'Request a tour', 'es.submit': 'Pedir una visita', 'labels.notes': 'Anything else?' },
    };
  if (site === 'strict')
    return { ...base, fields: ['first_name', 'last_name', 'email_1', 'phone_1'], required: ['first_name', 'last_name', 'phone_1'] };
  if (site === 'turnstile') return { ...base, turnstile_site_key: '1x00000000000000000000AA' };
  return base;
}

/** The site `consent-changed`: its first answer has the wording of version 2026-11, later ones of 2026-12. */
function changedSettings(later) {
  const settings = settingsFor('consent');
  const consent = later
    ? { ...settings.consent, text: 'I agree that Oak Grove may call and text me, and email me too.', version: '2026-12' }
    : settings.consent;
  return { ...settings, site: 'consent-changed', consent, form_token: 'tok-consent-changed' };
}

export function stubRelay() {
  // One stub per browser, told apart by its User-Agent: the engines run their tests side by side.
  const browsers = new Map();
  return async function stubRelayMiddleware(ctx, next) {
    const agent = ctx.get('user-agent');
    if (!browsers.has(agent))
      browsers.set(agent, {
        requests: [],
        seenKeys: new Set(),
        lateformAsked: 0,
        changedAsked: 0,
        held: [],
        toursAsked: 0,
        slotTaken: false,
      });
    const state = browsers.get(agent);
    const { requests, seenKeys } = state;
    const reply = (status, body) => {
      ctx.status = status;
      ctx.type = 'json';
      ctx.body = JSON.stringify(body);
    };
    if (ctx.path === '/stub-relay/release' && ctx.method === 'POST') {
      for (const answer of state.held.splice(0)) answer();
      ctx.status = 204;
      return;
    }
    if (ctx.path === '/stub-relay/requests') {
      if (ctx.method === 'DELETE') {
        requests.length = 0;
        state.changedAsked = 0;
        state.toursAsked = 0;
        state.slotTaken = false;
      }
      ctx.type = 'json';
      ctx.body = JSON.stringify(requests);
      return;
    }
    const lookup = /^(?:\/stub-relay)?\/v1\/sites\/([^/]+)\/(form|units|tours)$/.exec(ctx.path);
    if (lookup && ctx.method === 'GET') {
      const site = decodeURIComponent(lookup[1]);
      requests.push({ site, path: ctx.path, method: 'GET', query: ctx.querystring });
      if (site === 'noform' || (site === 'lateform' && state.lateformAsked++ === 0))
        return reply(503, envelope('unavailable', 'Try again later.'));
      if (lookup[2] === 'tours') return reply(...toursFor(site, state));
      if (lookup[2] === 'units') {
        const plan = ctx.query.floor_plan_id;
        if (plan === 'fp_studio') return reply(503, envelope('unavailable', 'Try again later.'));
        return reply(200, { floor_plan_id: plan, units: UNITS[plan] ?? [] });
      }
      if (site === 'consent-changed') return reply(200, changedSettings(state.changedAsked++ > 0));
      return reply(200, settingsFor(site));
    }
    const match = /^(?:\/stub-relay)?\/v1\/sites\/([^/]+)\/leads$/.exec(ctx.path);
    if (!match || ctx.method !== 'POST') return next();
    const site = decodeURIComponent(match[1]);
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const key = ctx.get('idempotency-key');
    const body = JSON.parse(raw);
    requests.push({ site, path: ctx.path, method: 'POST', key, contentType: ctx.get('content-type'), body });
    const receipt = { id: `ld_stub_${requests.filter((r) => r.method === 'POST').length}`, status: 'sent' };
    if (body.tour) {
      if (site === 'tours-taken' && !state.slotTaken) {
        state.slotTaken = true;
        return reply(409, { ...envelope('slot_taken', 'That time was just taken.'), tours: { ...TAKEN_TOURS, site } });
      }
      receipt.tour = { start: body.tour.start, end: new Date(Date.parse(body.tour.start) + 30 * 60_000).toISOString() };
    }
    if (site === 'flaky') {
      const first = !seenKeys.has(key);
      seenKeys.add(key);
      return first ? reply(503, envelope('unavailable', 'Try again later.')) : reply(202, receipt);
    }
    if (site === 'refuse') {
      return reply(
        400,
        envelope('invalid_fields', 'Some fields are invalid.', [
          { field: 'email_1', code: 'placeholder', message: 'Enter real contact details, not a placeholder.' },
        ]),
      );
    }
    if (site === 'down') return reply(503, envelope('unavailable', 'Try again later.'));
    if (site === 'consent-changed' && body.meta?.consent?.version !== changedSettings(true).consent.version)
      return reply(
        400,
        envelope('invalid_fields', 'Some fields need attention.', [
          { field: 'consent', code: 'invalid_choice', message: 'Choose one of the offered options.' },
        ]),
      );
    if (site === 'limited') {
      ctx.set('Retry-After', '113');
      return reply(429, envelope('rate_limited', 'Too many submissions; please try again later.'));
    }
    if (site === 'garbage') {
      ctx.status = 500;
      ctx.type = 'html';
      ctx.body = '<html><body>Bad gateway</body></html>';
      return;
    }
    // Held until released, not for a fixed time: a slower engine still sees the form while it sends.
    if (site === 'slow')
      await new Promise((answer) => {
        state.held.push(answer);
        setTimeout(answer, 5000);
      });
    return reply(202, receipt);
  };
}
