import type { TourStrings } from '../i18n/types.js';

/** English words of tour mode: loaded with the tour chunk; Spanish ones are in i18n/es.ts. */
export const enTours: TourStrings = {
  tourDay: 'Tour day',
  tourDayFull: '{day} (no times)',
  tourTimes: 'Time on {day}',
  tourZone: 'Times are in {zone}.',
  tourNone: 'No tour times are open right now. Call or write to the office.',
  tourLoadFailed: 'We could not load the tour times.',
  tourRequired: 'Choose a time for your tour.',
  tourTaken: 'That time was just taken. Pick another.',
  tourBooked: 'Your tour: {when}',
  tourOffice: 'To change or cancel, call or write to the office.',
  tourCalendar: 'Add to calendar',
  tourSummary: 'Tour',
};
