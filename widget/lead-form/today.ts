/** Today in the visitor's own calendar, as the date input writes it: the local time, read as if UTC. */
export const localIsoDate = (): string => new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
