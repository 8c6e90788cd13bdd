/**
 * The records the sandbox serves: one ResMan integration with two communities, "Oak Grove
 * Apartments" in Austin, TX and "Vista del Sol" in San Antonio, TX. Shapes follow Propexo's list
 * responses (id, x_id = the PMS's own id, integration_id, property_id, timestamps, then the model's
 * fields). Everything is fictional; no URL points off-box.
 */

/** The demo community's ids, for the demo site's server-side config. */
export const SANDBOX_IDS = {
  integration_id: 'int_oakgrove_resman',
  property_id: 'prop_oakgrove_atx',
  employee_id: 'emp_oakgrove_mreyes',
  lead_source_id: 'lsrc_oakgrove_website',
} as const;

/** The second community, Vista del Sol: same ResMan integration, its own property, employee and sources. */
export const SANDBOX_IDS_VISTA = {
  integration_id: SANDBOX_IDS.integration_id,
  property_id: 'prop_vistadelsol_sat',
  employee_id: 'emp_vistadelsol_agarza',
  lead_source_id: 'lsrc_vistadelsol_website',
} as const;

// One fixed "last synced" time: Propexo's cache is refreshed by syncs, not by the clock.
const SYNCED_AT = '2025-05-01T09:00:00.000Z';

interface BaseRecord {
  id: string;
  x_id: string;
  integration_id: string;
  created_at: string;
  updated_at: string;
}

export interface IntegrationRecord {
  id: string;
  name: string;
  vendor: 'RESMAN';
  created_at: string;
  updated_at: string;
}

export interface PropertyRecord extends BaseRecord {
  name: string;
  address_1: string;
  city: string;
  state: string;
  zip: string;
  phone_1: string;
  email_1: string;
  website: string;
  /** The spec's `Property.is_active`. */
  is_active: boolean;
  /**
   * The property's IANA zone. Never served (the spec's `Property` has no zone; ResMan reads an
   * appointment's date and time as UTC): the seeded tours are at local office hours.
   */
  time_zone: string;
}

export interface EmployeeRecord extends BaseRecord {
  property_id: string;
  name: string;
  first_name: string;
  last_name: string;
  email: string;
  is_active: boolean;
}

export interface LeadSourceRecord extends BaseRecord {
  property_id: string;
  name: string;
  /**
   * Whether ResMan still takes leads from it. Never served: the spec's `LeadSource` has no such field
   * (an inactive source is listed like any other); a write naming an inactive one fails in ResMan as
   * an unknown one does ("Transaction Source could not be found").
   */
  active: boolean;
}

export interface FloorPlanRecord extends BaseRecord {
  property_id: string;
  name: string;
  marketing_name: string;
  bedrooms: number;
  bathrooms: number;
  square_feet: number;
  rent_minimum_in_cents: number;
  rent_maximum_in_cents: number;
  image_urls: string[];
  unit_count: number;
}

export interface UnitRecord extends BaseRecord {
  property_id: string;
  floor_plan_id: string;
  number: string;
  bedrooms: number;
  bathrooms: number;
  square_feet: number;
  is_available: boolean;
  is_vacant: boolean;
  available_date: string | null;
  rent_amount_market_in_cents: number;
}

/** A lead as the lead search returns it: the create-lead fields, null where not given. */
export interface LeadRecord extends BaseRecord {
  integration_vendor: 'RESMAN';
  property_id: string;
  employee_id: string | null;
  lead_source_id: string | null;
  unit_id: string | null;
  floor_plan_id: string | null;
  first_name: string;
  last_name: string;
  email_1: string | null;
  phone_1: string | null;
  phone_1_type: string | null;
  phone_2: string | null;
  phone_2_type: string | null;
  address_1: string | null;
  address_2: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  notes: string | null;
  desired_num_bedrooms: number | null;
  desired_num_bathrooms: number | null;
  desired_max_rent_in_cents: number | null;
  desired_lease_term_in_months: number | null;
  target_move_in_date: string | null;
}

/** A tour booked in ResMan, as `GET /v1/appointments/` serves it (spec `Event`), in handier types. */
export interface AppointmentRecord extends BaseRecord {
  property_id: string;
  /** ISO 8601, UTC. */
  appointment_datetime: string;
  type_raw: string;
  notes: string | null;
  associated_lead_ids: string[];
  /** Kept, never served: the spec's `Event` has no unit. */
  unit_id: string | null;
}

export interface SandboxData {
  integrations: IntegrationRecord[];
  properties: PropertyRecord[];
  employees: EmployeeRecord[];
  leadSources: LeadSourceRecord[];
  floorPlans: FloorPlanRecord[];
  units: UnitRecord[];
  /** Leads already in ResMan before the sandbox started; created leads are kept apart, see store.ts. */
  leads: LeadRecord[];
  /** Tours ResMan had before the sandbox started (seeded from the clock); booked ones are kept apart, see store.ts. */
  appointments: AppointmentRecord[];
}

const { integration_id } = SANDBOX_IDS;
const base = (id: string, x_id: string): BaseRecord => ({ id, x_id, integration_id, created_at: SYNCED_AT, updated_at: SYNCED_AT });

/** One community's ids: the records of each are built the same way. */
type CommunityIds = { readonly property_id: string; readonly employee_id: string; readonly lead_source_id: string };

const employee = (
  { property_id }: CommunityIds,
  id: string,
  x_id: string,
  first_name: string,
  last_name: string,
  email: string,
  is_active = true,
): EmployeeRecord => ({
  ...base(id, x_id),
  property_id,
  name: `${first_name} ${last_name}`,
  first_name,
  last_name,
  email,
  is_active,
});

const leadSource = ({ property_id }: CommunityIds, id: string, x_id: string, name: string, active = true): LeadSourceRecord => ({
  ...base(id, x_id),
  property_id,
  name,
  active,
});

type PlanSpec = [id: string, name: string, marketing: string, beds: number, baths: number, sqft: number, min: number, max: number];
// [unit number, plan name, available, vacant, market rent in cents, available date]
type UnitSpec = [number: string, plan: string, available: boolean, vacant: boolean, rent: number, availableDate: string | null];

/** A community's floor plans and units, and where their ids and PMS ids start. */
interface Layout {
  ids: CommunityIds;
  /** `unit_<slug>_<number>`. */
  slug: string;
  plans: PlanSpec[];
  units: UnitSpec[];
  firstPlanXid: number;
  firstUnitXid: number;
}

const OAK_GROVE: Layout = {
  ids: SANDBOX_IDS,
  slug: 'oakgrove',
  firstPlanXid: 7_001,
  firstUnitXid: 40_100,
  plans: [
    ['fp_oakgrove_s1', 'S1', 'The Live Oak', 0, 1, 540, 119_500, 129_500],
    ['fp_oakgrove_a1', 'A1', 'The Pecan', 1, 1, 705, 137_500, 149_500],
    ['fp_oakgrove_b1', 'B1', 'The Magnolia', 2, 2, 1_045, 179_500, 192_500],
    ['fp_oakgrove_b2', 'B2', 'The Cypress', 2, 2, 1_160, 189_500, 205_000],
    ['fp_oakgrove_c1', 'C1', 'The Bluebonnet', 3, 2, 1_330, 235_000, 249_500],
  ],
  units: [
    ['104', 'S1', true, true, 119_500, '2025-05-15'],
    ['204', 'S1', false, false, 124_500, null],
    ['304', 'S1', true, false, 129_500, '2025-07-01'],
    ['101', 'A1', true, true, 137_500, '2025-05-10'],
    ['102', 'A1', false, false, 139_500, null],
    ['201', 'A1', true, true, 142_500, '2025-05-20'],
    ['202', 'A1', false, false, 144_500, null],
    ['301', 'A1', true, false, 149_500, '2025-06-15'],
    ['105', 'B1', false, false, 179_500, null],
    ['106', 'B1', true, true, 182_500, '2025-05-12'],
    ['205', 'B1', false, false, 185_000, null],
    ['206', 'B1', true, false, 189_500, '2025-06-30'],
    ['305', 'B1', false, false, 192_500, null],
    ['107', 'B2', true, true, 189_500, '2025-05-18'],
    ['207', 'B2', false, false, 195_000, null],
    ['307', 'B2', true, true, 205_000, '2025-05-25'],
    ['308', 'B2', false, false, 199_500, null],
    ['110', 'C1', true, true, 235_000, '2025-06-01'],
    ['210', 'C1', false, false, 242_500, null],
    ['310', 'C1', false, false, 249_500, null],
  ],
};

// Four-digit unit numbers (building, floor, unit): none repeats an Oak Grove number. La Hacienda is
// fully leased, so choosing it offers no unit.
const VISTA_DEL_SOL: Layout = {
  ids: SANDBOX_IDS_VISTA,
  slug: 'vistadelsol',
  firstPlanXid: 8_001,
  firstUnitXid: 50_100,
  plans: [
    ['fp_vistadelsol_a1', 'A1', 'El Nopal', 1, 1, 690, 105_000, 115_000],
    ['fp_vistadelsol_a2', 'A2', 'La Palma', 1, 1, 780, 112_500, 122_500],
    ['fp_vistadelsol_b1', 'B1', 'El Mezquite', 2, 2, 1_080, 145_000, 157_500],
    ['fp_vistadelsol_c1', 'C1', 'La Hacienda', 3, 2, 1_290, 179_500, 192_500],
  ],
  units: [
    ['1101', 'A1', true, true, 105_000, '2025-05-20'],
    ['1201', 'A1', false, false, 107_500, null],
    ['2101', 'A1', true, false, 110_000, '2025-06-15'],
    ['1103', 'A2', false, false, 112_500, null],
    ['2103', 'A2', true, true, 117_500, '2025-05-12'],
    ['2203', 'A2', false, false, 122_500, null],
    ['1105', 'B1', true, true, 145_000, '2025-05-28'],
    ['2105', 'B1', false, false, 149_500, null],
    ['2205', 'B1', true, false, 152_500, '2025-07-01'],
    ['3105', 'B1', true, true, 157_500, '2025-05-16'],
    ['1107', 'C1', false, false, 179_500, null],
    ['2107', 'C1', false, false, 192_500, null],
  ],
};

function floorPlansAndUnits(layout: Layout): { floorPlans: FloorPlanRecord[]; units: UnitRecord[] } {
  const { property_id } = layout.ids;
  const byName = new Map(layout.plans.map((p) => [p[1], p]));
  const units = layout.units.map(([number, planName, is_available, is_vacant, rent, available_date], i): UnitRecord => {
    const plan = byName.get(planName);
    if (!plan) throw new Error(`sandbox data: unit ${number} names unknown plan ${planName}`);
    return {
      ...base(`unit_${layout.slug}_${number}`, String(layout.firstUnitXid + i)),
      property_id,
      floor_plan_id: plan[0],
      number,
      bedrooms: plan[3],
      bathrooms: plan[4],
      square_feet: plan[5],
      is_available,
      is_vacant,
      available_date,
      rent_amount_market_in_cents: rent,
    };
  });
  const floorPlans = layout.plans.map(
    ([id, name, marketing_name, bedrooms, bathrooms, square_feet, min, max], i): FloorPlanRecord => ({
      ...base(id, String(layout.firstPlanXid + i)),
      property_id,
      name,
      marketing_name,
      bedrooms,
      bathrooms,
      square_feet,
      rent_minimum_in_cents: min,
      rent_maximum_in_cents: max,
      image_urls: [], // Propexo serves CDN URLs here; the sandbox has none and must not reach the network.
      unit_count: units.filter((u) => u.floor_plan_id === id).length,
    }),
  );
  return { floorPlans, units };
}

const existingLead = (
  ids: CommunityIds,
  id: string,
  x_id: string,
  fields: Partial<LeadRecord> & Pick<LeadRecord, 'first_name' | 'last_name'>,
): LeadRecord => ({
  ...base(id, x_id),
  integration_vendor: 'RESMAN',
  property_id: ids.property_id,
  employee_id: ids.employee_id,
  lead_source_id: ids.lead_source_id,
  unit_id: null,
  floor_plan_id: null,
  email_1: null,
  phone_1: null,
  phone_1_type: null,
  phone_2: null,
  phone_2_type: null,
  address_1: null,
  address_2: null,
  city: null,
  state: null,
  zip: null,
  notes: null,
  desired_num_bedrooms: null,
  desired_num_bathrooms: null,
  desired_max_rent_in_cents: null,
  desired_lease_term_in_months: null,
  target_move_in_date: null,
  ...fields,
});

const DAY_MS = 86_400_000;

/** The wall clock in `timeZone` at `t`, read as if it were UTC (so its difference from `t` is the zone's offset). */
function wallClock(t: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(t);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'));
}

/** The instant when it is `hour`:00 in `timeZone`, `days` after that zone's date at `now` (twice round: the offset of that day). */
function localHour(now: number, days: number, hour: number, timeZone: string): number {
  const today = new Date(wallClock(now, timeZone));
  const wanted = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days, hour);
  let t = wanted;
  for (let i = 0; i < 2; i++) t = wanted - (wallClock(t, timeZone) - t);
  return t;
}

// Oak Grove's tours already booked (by the office, in ResMan's portal): [days from the property's today, local hour, lead].
const OAK_GROVE_TOURS: [days: number, hour: number, lead: string][] = [
  [1, 10, 'lead_oakgrove_0001'],
  [1, 14, 'lead_oakgrove_0002'],
  [2, 10, 'lead_oakgrove_0002'],
  [3, 14, 'lead_oakgrove_0001'],
];

/**
 * Seeded from the clock, so they are always ahead of it: the coming days at 10:00 and 14:00 Austin
 * time (true instants: the office booked them in its own zone), read by the last sync a day ago.
 */
function seededTours(now: number, property: PropertyRecord): AppointmentRecord[] {
  const seen = new Date(now - DAY_MS).toISOString();
  return OAK_GROVE_TOURS.map(([days, hour, lead], i) => ({
    id: `evt_oakgrove_tour_${String(i + 1).padStart(4, '0')}`,
    x_id: String(610_001 + i),
    integration_id,
    property_id: property.id,
    created_at: seen,
    updated_at: seen,
    appointment_datetime: new Date(localHour(now, days, hour, property.time_zone)).toISOString(),
    type_raw: 'Appointment',
    notes: i === 1 ? 'Wants to see a 2-bedroom on the ground floor.' : null,
    associated_lead_ids: [lead],
    unit_id: null,
  }));
}

/**
 * A fresh copy of the demo data: each sandbox gets its own, so a test may change it freely. `now`
 * (the sandbox's clock) places the seeded tours on the coming days.
 */
export function createDemoData(now: number = Date.now()): SandboxData {
  const oak = floorPlansAndUnits(OAK_GROVE);
  const vista = floorPlansAndUnits(VISTA_DEL_SOL);
  const data: SandboxData = {
    integrations: [
      { id: integration_id, name: 'Oak Grove Apartments (ResMan)', vendor: 'RESMAN', created_at: SYNCED_AT, updated_at: SYNCED_AT },
    ],
    properties: [
      {
        ...base(SANDBOX_IDS.property_id, 'a1f3c6e2-7d41-4b8e-9c55-0e2b7f4d9a10'),
        name: 'Oak Grove Apartments',
        address_1: '7400 Oak Grove Parkway',
        city: 'Austin',
        state: 'TX',
        zip: '78748',
        phone_1: '5125550100',
        email_1: 'leasing@oakgrove.test',
        website: 'https://oakgrove.test',
        is_active: true,
        time_zone: 'America/Chicago',
      },
      {
        ...base(SANDBOX_IDS_VISTA.property_id, 'd7b2e940-1c6a-4f35-8e02-5a9c3f71b6d4'),
        name: 'Vista del Sol',
        address_1: '5150 Camino Vista del Sol',
        city: 'San Antonio',
        state: 'TX',
        zip: '78249',
        phone_1: '2105550160',
        email_1: 'leasing@vistadelsol.test',
        website: 'https://vistadelsol.test',
        is_active: true,
        time_zone: 'America/Chicago',
      },
    ],
    employees: [
      employee(SANDBOX_IDS, SANDBOX_IDS.employee_id, '5c1e9a40-3b7d-4f21-8a6e-2d0c4f6b1a01', 'Maria', 'Reyes', 'maria.reyes@oakgrove.test'),
      // ResMan keeps duplicate employee records (re-hires, second logins); either one is accepted.
      employee(SANDBOX_IDS, 'emp_oakgrove_mreyes_2', '9e2b7c11-6a4f-4d0e-b3c8-71f5a2e09d47', 'Maria', 'Reyes', 'mreyes@oakgrove.test'),
      employee(SANDBOX_IDS, 'emp_oakgrove_jchen', 'c47d1e92-0b5a-4c3f-9e16-8a2f6d3b5c88', 'James', 'Chen', 'james.chen@oakgrove.test'),
      // Gone from the leasing office: ResMan keeps the record, inactive (the spec's `is_active: false`).
      employee(
        SANDBOX_IDS,
        'emp_oakgrove_tnguyen',
        '0d6a3b58-27c4-4e19-9f80-b5e1c7a2d364',
        'Tran',
        'Nguyen',
        'tran.nguyen@oakgrove.test',
        false,
      ),
      employee(
        SANDBOX_IDS_VISTA,
        SANDBOX_IDS_VISTA.employee_id,
        '2f8c5d13-9a7e-4b60-a1d4-6e3b0c92f758',
        'Ana',
        'Garza',
        'ana.garza@vistadelsol.test',
      ),
      employee(
        SANDBOX_IDS_VISTA,
        'emp_vistadelsol_dortiz',
        '8a41f6c7-3e25-4d9b-b078-c1d5e2a4f903',
        'Diego',
        'Ortiz',
        'diego.ortiz@vistadelsol.test',
      ),
    ],
    leadSources: [
      leadSource(SANDBOX_IDS, SANDBOX_IDS.lead_source_id, '31', 'Property Website'),
      leadSource(SANDBOX_IDS, 'lsrc_oakgrove_zillow', '32', 'Zillow'),
      leadSource(SANDBOX_IDS, 'lsrc_oakgrove_apartments_com', '33', 'Apartments.com'),
      leadSource(SANDBOX_IDS, 'lsrc_oakgrove_google_ads', '34', 'Google Ads'),
      // No longer used by the office: listed like the others (the spec has no activity flag), refused by ResMan.
      leadSource(SANDBOX_IDS, 'lsrc_oakgrove_craigslist', '35', 'Craigslist', false),
      leadSource(SANDBOX_IDS_VISTA, SANDBOX_IDS_VISTA.lead_source_id, '41', 'Property Website'),
      leadSource(SANDBOX_IDS_VISTA, 'lsrc_vistadelsol_facebook', '42', 'Facebook'),
      leadSource(SANDBOX_IDS_VISTA, 'lsrc_vistadelsol_google_ads', '43', 'Google Ads'),
      leadSource(SANDBOX_IDS_VISTA, 'lsrc_vistadelsol_apartments_com', '44', 'Apartments.com'),
    ],
    floorPlans: [...oak.floorPlans, ...vista.floorPlans],
    units: [...oak.units, ...vista.units],
    leads: [
      existingLead(SANDBOX_IDS, 'lead_oakgrove_0001', '900101', {
        first_name: 'Priya',
        last_name: 'Natarajan',
        email_1: 'priya.natarajan@mail.test',
        phone_1: '5125550142',
        phone_1_type: 'MOBILE',
        desired_num_bedrooms: 1,
        floor_plan_id: 'fp_oakgrove_a1',
        target_move_in_date: '2025-06-01',
      }),
      existingLead(SANDBOX_IDS, 'lead_oakgrove_0002', '900102', {
        first_name: 'Marcus',
        last_name: 'Bell',
        email_1: 'marcus.bell@mail.test',
        phone_1: '7375550187',
        phone_1_type: 'HOME',
        lead_source_id: 'lsrc_oakgrove_zillow',
        desired_num_bedrooms: 2,
        notes: 'Has a small dog.',
      }),
      existingLead(SANDBOX_IDS_VISTA, 'lead_vistadelsol_0001', '900201', {
        first_name: 'Lucía',
        last_name: 'Hernández',
        email_1: 'lucia.hernandez@mail.test',
        phone_1: '2105550134',
        phone_1_type: 'MOBILE',
        lead_source_id: 'lsrc_vistadelsol_facebook',
        desired_num_bedrooms: 2,
        floor_plan_id: 'fp_vistadelsol_b1',
        notes: 'Prefiere que la llamen por la tarde.',
      }),
    ],
    appointments: [],
  };
  data.appointments = seededTours(now, data.properties.find((p) => p.id === SANDBOX_IDS.property_id)!);
  return data;
}
