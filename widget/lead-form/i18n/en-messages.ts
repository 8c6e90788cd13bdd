import type { Messages } from './types.js';

/** English errors and outcomes: loaded with the send chunk, on the visitor's first interaction. */
export const enMessages: Messages = {
  errors: {
    required: 'This field is required.',
    invalid_type: 'Check this value.',
    too_long: 'This is too long.',
    invalid_characters: 'Remove links, symbols or special characters.',
    invalid_email: 'Enter an email address like name@example.com.',
    invalid_phone: 'Enter a 10-digit US phone number.',
    placeholder: 'Enter your real contact details.',
    invalid_date: 'Enter a real date.',
    date_out_of_range: 'Choose a date from today to two years ahead.',
    invalid_choice: 'Choose one of the options.',
    invalid_state: 'Enter a two-letter US state, like TX.',
    invalid_zip: 'Enter a 5-digit ZIP code.',
    not_integer: 'Enter a whole number.',
    out_of_range: 'This number is out of range.',
    contact_required: 'Enter an email address or a phone number.',
    unknown_field: 'This field is not accepted.',
  },
  fieldErrors: {
    first_name: { required: 'Enter your first name.' },
    last_name: { required: 'Enter your last name.' },
    desired_max_rent_in_cents: { invalid_type: 'Enter an amount in dollars, like 1800.' },
  },
  submitting: 'Sending…',
  fixFields: (n) => (n === 1 ? '1 field needs your attention.' : `${n} fields need your attention.`),
  successTitle: 'Thank you, {name}!',
  successBody: 'The leasing office has your request and will reply by {reply}.',
  reply: { email_1: 'email', phone_1: 'phone' },
  errorRateLimited: 'Too many messages were sent from here just now. Try again {wait}.',
  errorUnavailable: 'The leasing office is not reachable right now. Try again in a moment; your answers are kept.',
  errorGeneric: 'Something went wrong on our side. Try again, or call the leasing office.',
  consentRequired: 'Tick the box to agree, so we may call and text you.',
  consentChanged: 'This wording has changed: read it again.',
};
