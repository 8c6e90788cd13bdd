import { counted, type Strings } from './types.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const en: Strings = {
  labels: {
    first_name: 'First name',
    last_name: 'Last name',
    email_1: 'Email',
    phone_1: 'Phone',
    phone_1_type: 'Phone type',
    phone_2: 'Other phone',
    phone_2_type: 'Other phone type',
    address_1: 'Street address',
    address_2: 'Apartment, suite, etc.',
    city: 'City',
    state: 'State',
    zip: 'ZIP code',
    target_move_in_date: 'Move-in date',
    desired_num_bedrooms: 'Bedrooms',
    desired_num_bathrooms: 'Bathrooms',
    desired_max_rent_in_cents: 'Maximum monthly rent',
    desired_lease_term_in_months: 'Lease length',
    floor_plan_id: 'Floor plan',
    unit_id: 'Apartment',
    notes: 'Questions or comments',
  },
  hints: {
    phone_1: 'US number, 10 digits.',
    phone_2: 'US number, 10 digits.',
    state: 'Two letters, like TX.',
    desired_max_rent_in_cents: 'In US dollars, like 1800.',
  },
  choices: {
    'phone_type.MOBILE': 'Mobile',
    'phone_type.HOME': 'Home',
    'phone_type.WORK': 'Work',
    'phone_type.FAX': 'Fax',
    ...counted('bedrooms', [0, 1, 2, 3, 4], (n) => (n === 0 ? 'Studio' : n === 4 ? '4 or more bedrooms' : plural(n, 'bedroom'))),
    ...counted('bathrooms', [1, 1.5, 2, 2.5, 3], (n) => (n === 3 ? '3 or more bathrooms' : plural(n, 'bathroom'))),
    ...counted('lease', [3, 6, 9, 12, 18, 24], (n) => `${n} months`),
  },

  requiredNote: 'Fields marked with * are required.',
  contactNote: 'Give us an email or a phone number so we can reply.',
  chooseOne: 'Choose…',
  submit: 'Send',
  retry: 'Try again',
  errorNetwork: 'We could not reach the leasing office. Check your connection and try again; your answers are kept.',
  trap: 'Leave this field empty',
};
