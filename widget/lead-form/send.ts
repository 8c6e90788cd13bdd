import { isErrorEnvelope, type ErrorBody } from '../../contract/errors.js';

export type SendResult = { ok: true; id: string; status: string } | { ok: false; error: ErrorBody };

/** Posts a submission to the relay. Never throws: every failure comes back as an error envelope. */
export async function sendLead(url: string, body: unknown, idempotencyKey: string): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify(body),
      credentials: 'omit',
      mode: 'cors',
    });
  } catch {
    return fail('network_error');
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const receipt = json as { id?: unknown; status?: unknown } | undefined;
    if (typeof receipt?.id === 'string') return { ok: true, id: receipt.id, status: String(receipt.status) };
    return fail('internal_error');
  }
  if (isErrorEnvelope(json)) return { ok: false, error: json.error };
  return fail(response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'unavailable' : 'internal_error');
}

const fail = (code: ErrorBody['code']): SendResult => ({ ok: false, error: { code, message: code, fields: [] } });
