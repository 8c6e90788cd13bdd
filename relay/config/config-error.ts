/**
 * A bad configuration: every issue, one per line, each naming its key (and the path inside the
 * sites JSON). Thrown by env.ts and sites.ts alike, and caught by the entries, which print it and stop.
 */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
