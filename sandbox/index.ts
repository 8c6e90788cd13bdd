/** The embedded Propexo sandbox: see app.ts for the HTTP surface and faults.ts for fault kinds. */
export { createSandbox, type Sandbox, type SandboxEnv, type SandboxOptions } from './app.js';
export { startSandbox, type RunningSandbox, type StartSandboxOptions } from './server.js';
export { SANDBOX_IDS, SANDBOX_IDS_VISTA, createDemoData, type SandboxData } from './data.js';
export type {
  AppointmentRecord,
  EmployeeRecord,
  FloorPlanRecord,
  IntegrationRecord,
  LeadRecord,
  LeadSourceRecord,
  PropertyRecord,
  UnitRecord,
} from './data.js';
export { FAULT_KINDS, SandboxConnectionReset, type Fault, type FaultKind, type QueuedFault } from './faults.js';
export { PHONE_TYPES, type CreateLeadBody } from './create-lead.js';
export { LEAD_EVENT_NAMES, type LeadEventBody, type UpdateLeadBody } from './lead-writes.js';
export { CANCEL_NOT_SUPPORTED, type CreateAppointmentBody, type MoveAppointmentBody } from './appointments.js';
export {
  UNKNOWN_LEAD_SOURCE_ERROR,
  type SandboxAppointment,
  type SandboxTourBooking,
  type SandboxTourMove,
  type SandboxEvent,
  type SandboxJob,
  type SandboxLead,
  type SandboxUpdate,
  type WriteCategory,
  type WriteKind,
  type WriteStatus,
} from './received.js';
