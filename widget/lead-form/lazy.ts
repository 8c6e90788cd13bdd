/**
 * Every chunk the widget loads lazily, and how: the first time with the bundler's own `import()`,
 * and after a failed download from a URL the browser has not seen yet, `<chunk>?attempt=N`.
 *
 * Why a new URL: a browser may keep a failed module fetch in the page's module map for good
 * (Chromium 150, as Debian ships it on some machines, does), and `import()` of that URL then fails
 * at once without a request, however often the prospect presses "Try again". The relay serves the
 * same immutable file whatever the query.
 *
 * The URL is known ahead, never read from an error (WebKit's names none). A chunk's URL carries its
 * content hash, so only the build knows it: the build (widget/build/chunk-urls.ts) writes each
 * chunk's final URL in place of `chunkUrl('…')`. Served from source, as in the widget tests, the
 * chunk is the .ts file the path names.
 *
 * A retry fetches the chunk again, not what it imports. So a lazy chunk imports nothing but the
 * entry (widget.js, which is running): never a shared chunk whose own failed download would poison
 * every retry. The build checks this and fails otherwise.
 */

const chunkUrl = (path: string): string => new URL(path.replace(/js$/, 'ts'), import.meta.url).href;

function lazyChunk<T>(load: () => Promise<T>, url: string): () => Promise<T> {
  let chunk: Promise<T> | undefined;
  let attempts = 0;
  return () =>
    (chunk ??= (attempts++ ? (import(/* @vite-ignore */ `${url}?attempt=${attempts}`) as Promise<T>) : load()).catch((err: unknown) => {
      chunk = undefined; // the next call tries again, from a new URL
      throw err;
    }));
}

/** Judging and sending a lead, with English errors and outcomes: on the first interaction. */
export const sendChunk = lazyChunk(() => import('./send-lead.js'), chunkUrl('./send-lead.js'));
/** FloorPlansController: for a form that shows the floor-plan field of a site with floor plans. */
export const plansChunk = lazyChunk(() => import('./controllers/floor-plans.js'), chunkUrl('./controllers/floor-plans.js'));
/** TurnstileController: for a site with a Turnstile site key. */
export const turnstileChunk = lazyChunk(() => import('./controllers/turnstile.js'), chunkUrl('./controllers/turnstile.js'));
/** The consent box: for a site with consent, loaded with its settings. */
export const consentChunk = lazyChunk(() => import('./consent.js'), chunkUrl('./consent.js'));
/** Spanish, whole: for a form in Spanish. */
export const spanishChunk = lazyChunk(() => import('./i18n/es.js'), chunkUrl('./i18n/es.js'));
/** Tour mode: the slots, the time picker and the confirmation's calendar file; for a form with `mode="tour"`. */
export const toursChunk = lazyChunk(() => import('./tours/tours.js'), chunkUrl('./tours/tours.js'));
