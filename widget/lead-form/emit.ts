/**
 * Dispatches one of the form's events (events.ts) from the element and, when the page opted in
 * (`datalayer`), pushes it to Google Tag Manager's dataLayer with `extra`: never personal data.
 */
export function emit(host: HTMLElement & { site: string; datalayer: boolean }, event: Event, extra?: object): boolean {
  const go = host.dispatchEvent(event);
  if (go && host.datalayer)
    ((window as { dataLayer?: object[] }).dataLayer ??= []).push({ event: event.type, resman_site: host.site, ...extra });
  return go;
}
