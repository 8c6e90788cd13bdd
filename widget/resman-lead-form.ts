// The embed's entry: importing it registers <resman-lead-form>. The class lives apart so that a
// page (or a test) can import it without registering, or register it under another tag.
import { ResmanLeadForm } from './lead-form/lead-form.js';

export { ResmanLeadForm };
export * from './lead-form/events.js';
export type { Strings } from './lead-form/i18n/types.js';

ResmanLeadForm.define();
