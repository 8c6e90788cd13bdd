/**
 * The tours "ResMan" holds: the seeded ones (`data.appointments`), those booked by write jobs that
 * succeeded, and the moves jobs made, applied on top whenever a tour is read. store.ts runs the jobs
 * and calls in here when one succeeds; reset() forgets what jobs did, never the seeded tours.
 */
import type { CreateAppointmentBody, MoveAppointmentBody } from './appointments.js';
import type { AppointmentRecord, SandboxData } from './data.js';

interface AppliedMove {
  eventId: string;
  at: number;
  body: MoveAppointmentBody;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * ResMan reads the date and time as UTC (docs, Create Lead Appointment: Resman): `2026-01-20` at
 * `15:00:00` is 15:00Z, whatever the property's zone. A date-time date counts by its date part only.
 */
export const appointmentInstant = (date: string, time: string): string => iso(Date.parse(`${date.slice(0, 10)}T${time}Z`));

export class AppointmentBook {
  private booked: AppointmentRecord[] = [];
  private moves: AppliedMove[] = [];

  constructor(private readonly data: SandboxData) {}

  /** A job booked a tour for `propertyId`'s lead at `at` (the job's end): its new event id. */
  book(body: CreateAppointmentBody, integrationId: string, propertyId: string, at: number): string {
    const record: AppointmentRecord = {
      id: `evt_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`,
      x_id: String(620_000 + Math.floor(Math.random() * 99_999)),
      integration_id: integrationId,
      property_id: propertyId,
      created_at: iso(at),
      updated_at: iso(at),
      appointment_datetime: appointmentInstant(body.appointment_date, body.appointment_time),
      type_raw: 'Appointment',
      notes: body.notes ?? null,
      associated_lead_ids: [body.lead_id],
      unit_id: body.unit_id ?? null,
    };
    this.booked.push(record);
    return record.id;
  }

  move(eventId: string, body: MoveAppointmentBody, at: number): void {
    this.moves.push({ eventId, at, body });
  }

  /** A tour ResMan has, readable or not yet, with every move made. */
  held(id: string): AppointmentRecord | undefined {
    const tour = this.data.appointments.find((a) => a.id === id) ?? this.booked.find((a) => a.id === id);
    return tour && this.withMoves(tour, () => true);
  }

  /** What a read sees: seeded tours, then booked ones once `readable`, each with the moves `readable` lets through. */
  records(readable: (at: number) => boolean): AppointmentRecord[] {
    return [...this.data.appointments, ...this.booked.filter((a) => readable(Date.parse(a.created_at)))].map((a) =>
      this.withMoves(a, readable),
    );
  }

  reset(): void {
    this.booked = [];
    this.moves = [];
  }

  private withMoves(tour: AppointmentRecord, visible: (at: number) => boolean): AppointmentRecord {
    const moved: AppointmentRecord = { ...tour, associated_lead_ids: [...tour.associated_lead_ids] };
    const moves = this.moves.filter((m) => m.eventId === tour.id && visible(m.at)).sort((a, b) => a.at - b.at);
    for (const { at, body } of moves) {
      moved.appointment_datetime = appointmentInstant(body.appointment_date, body.appointment_time);
      moved.notes = body.notes ?? moved.notes;
      moved.unit_id = body.unit_id ?? moved.unit_id;
      moved.updated_at = iso(at);
    }
    return moved;
  }
}
