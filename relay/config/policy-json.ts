/**
 * A policy object given as JSON in one variable (DELIVERY_POLICY, ALERT_POLICY): any of the defaults'
 * keys, each a number >= 0. Unknown keys and other values are refused, each named under `name`.
 */
export function parsePolicyJson<P extends object>(name: string, text: string | undefined, defaults: P, issues: string[]): Partial<P> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    issues.push(`${name}: must be a JSON object`);
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(`${name}: must be a JSON object`);
    return {};
  }
  const policy: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(defaults, key)) issues.push(`${name}.${key}: unknown setting`);
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) issues.push(`${name}.${key}: must be a number >= 0`);
    else policy[key] = v;
  }
  return policy as Partial<P>;
}
