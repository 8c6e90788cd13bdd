/**
 * Issue 3's Fault matrix (fault-matrix.test.ts says what it proves) on the outboxes several relays
 * share: PostgreSQL (a private server, a new database per case) and the Worker's Durable Object in
 * workerd (a new workerd per case), 60 leads per case. Apart from the SQLite file so that it can run
 * beside the other files rather than after them.
 */
import { faultMatrix } from './support/fault-matrix-suite.js';
import { durableObjectStore, postgresStore } from './support/matrix-stores.js';

faultMatrix([postgresStore, durableObjectStore]);
