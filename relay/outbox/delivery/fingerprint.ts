import type { Submission } from '../../../contract/submission.js';
import { hex, webCryptoHashing, type Hashing } from '../../lib/hash.js';

/**
 * The content fingerprints of a lead: one per way to reach the prospect, each a SHA-256 of the site,
 * the names and that contact, case and spacing folded. Two leads sharing one are the same person
 * asking twice (a double tap, a reload, a second tab), whatever their notes say.
 * `hashing` is the runtime's (relay/lib/hash.ts); every implementation gives the same fingerprints.
 */
export async function fingerprints(site: string, lead: Submission, hashing: Hashing = webCryptoHashing): Promise<string[]> {
  const names = `${fold(lead.first_name)}\n${fold(lead.last_name)}`;
  const contacts = [lead.email_1 && `email:${fold(lead.email_1)}`, lead.phone_1 && `phone:${lead.phone_1}`].filter(
    (c): c is string => typeof c === 'string',
  );
  const digests = await Promise.all(contacts.map((contact) => hashing.sha256(`${site}\n${names}\n${contact}`)));
  return digests.map(hex);
}

/**
 * Case, width and spacing folded, and invisible (default-ignorable) characters dropped, so
 * `JANE  doe`, `Jane Doe` and `Ja<ZWNJ>ne Doe` compare equal.
 */
export const fold = (s: string) =>
  s
    .normalize('NFKC')
    .replace(/\p{DI}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();

/**
 * A hash of what the prospect said (their fields before the relay's lines, the campaign, and the
 * tour asked for): two leads of one person with the same hash are one inquiry sent twice; with
 * another, a new inquiry. A lead without a tour hashes as it did before tours.
 */
export async function contentHash(
  lead: Submission,
  campaign: string | undefined,
  hashing: Hashing = webCryptoHashing,
  tourStart?: number,
): Promise<string> {
  const fields = Object.entries(lead)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const said = tourStart === undefined ? [fields, campaign ?? null] : [fields, campaign ?? null, tourStart];
  return hex(await hashing.sha256(JSON.stringify(said)));
}
