/**
 * Tours, as the browser and the relay share them: the answer of `GET /v1/sites/:site/tours`, the
 * `tour` a booking sends beside the prospect's fields, and what a booking's answers add. Types only:
 * the relay validates `tour` (relay/tours/), the widget's tour chunk reads the answers.
 */

/** One slot a prospect can book. */
export interface TourSlotAnswer {
  /** An instant with the property's offset (`2027-03-15T09:00:00-05:00`): what a booking sends back. */
  start: string;
  /** Its wall time in English (`9:00 AM`, or `1:00 AM CDT` when it happens twice that day). */
  label: string;
}

export interface TourDayAnswer {
  /** The property-local date, YYYY-MM-DD. */
  date: string;
  weekday: 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
  /** Empty on a closed or full date. */
  slots: TourSlotAnswer[];
}

/** `GET /v1/sites/:site/tours?from=&days=`. */
export interface ToursAnswer {
  site: string;
  /** The property's IANA time zone: every time is shown in it, and named as such. */
  time_zone: string;
  slot_minutes: number;
  address: string | null;
  days: TourDayAnswer[];
}

/** What a booking sends beside the prospect's fields and `meta`: one slot's `start`, as the slots answer gave it. */
export interface TourRequest {
  start: string;
}

/**
 * A booking's `409 slot_taken`: the usual error envelope, and beside it the slots open now (the
 * same answer as `GET …/tours` for the whole window), so the prospect picks again at once.
 */
export interface SlotTakenBody {
  error: { code: 'slot_taken'; message: string; fields: [] };
  tours: ToursAnswer;
}

/** A booking's `202` receipt adds the tour it holds: the prospect's, or on a replay the one first booked. */
export interface TourReceipt {
  start: string;
  /** When it ends: `start` plus the site's slot length. */
  end: string;
}
