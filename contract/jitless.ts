// Imported first by every module that builds zod object schemas, because zod decides at
// construction whether an object may compile a parser with `new Function`: Workers forbid it (the
// probe throws in every isolate) and a page's CSP would report it. Interpreted parsing is enough.
import { config } from 'zod/mini';

config({ jitless: true });
