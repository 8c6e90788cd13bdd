/** The events the console's pages tell `<rlf-console>` with: they bubble out of the pages' shadow roots. */

/** The session ended (an API call answered 401): the console shows its sign-in. */
export function reportSignedOut(from: HTMLElement): void {
  from.dispatchEvent(new CustomEvent('rlf-signed-out', { bubbles: true, composed: true }));
}

/** Sign-in worked: the console shows the page the hash names. */
export function reportSignedIn(from: HTMLElement): void {
  from.dispatchEvent(new CustomEvent('rlf-signed-in', { bubbles: true, composed: true }));
}
