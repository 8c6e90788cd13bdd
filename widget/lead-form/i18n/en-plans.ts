import type { PlanStrings } from './types.js';

/** English descriptions of floor plans and units: loaded with the floor-plan chunk. */
export const enPlans: PlanStrings = {
  rooms: (bd, ba) => `${bd ? `${bd} bd` : 'Studio'}${ba ? ` · ${ba} ba` : ''}`,
  unit: (n) => `Apartment ${n}`,
  area: (n) => `${n} sq ft`,
  noUnits: 'No apartments available right now.',
};
