import { css } from 'lit';

// Constructable stylesheets: nothing here needs 'unsafe-inline' in the page's CSP.
export const styles = css`
  :host {
    --_accent: var(--resman-color-accent, #0b5cad);
    --_error: var(--resman-color-error, #b3261e);
    --_radius: var(--resman-radius, 6px);
    --_space: var(--resman-space, 1rem);
    display: block;
    color: var(--resman-color-text, #1f2328);
    font: var(--resman-font, inherit);
    line-height: 1.4;
  }
  :host([hidden]),
  [hidden] {
    display: none !important;
  }
  .pending {
    visibility: hidden;
  }
  * {
    box-sizing: border-box;
  }
  form,
  .grid,
  .field {
    display: grid;
    gap: var(--_space);
    margin: 0;
  }
  /* The form, not the host, is the size container: an empty host must let the page's margins collapse
     through it as an unknown element does, or defining the element would move the page. */
  form {
    container-type: inline-size;
  }
  .field {
    gap: 0.25rem;
    align-content: start;
    min-width: 0;
  }
  @container (min-width: 32rem) {
    .grid {
      grid-template-columns: 1fr 1fr;
    }
    .wide {
      grid-column: 1 / -1;
    }
  }
  label,
  button,
  .error {
    font-weight: 600;
  }
  .mark,
  .error,
  .failed {
    color: var(--_error);
  }
  input,
  select,
  textarea,
  button {
    font: inherit;
    color: inherit;
    /* A long floor-plan option must not widen the form past a phone's screen. */
    min-width: 0;
    min-height: 2.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--resman-color-border, #6e7781);
    border-radius: var(--_radius);
    background: var(--resman-color-field, #fff);
  }
  /* The consent box's own rules are in its chunk (consent.ts). */
  textarea {
    min-height: 6rem;
    resize: vertical;
  }
  /* Also input:focus-within: Chromium's date input entered with Shift+Tab matches neither :focus-visible nor :focus. */
  :focus-visible,
  input:focus-within {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  [aria-invalid='true'] {
    border: 2px solid var(--_error);
  }
  p,
  ul {
    margin: 0;
    font-size: 0.875em;
  }
  .hint,
  .note {
    color: var(--resman-color-muted, #57606a);
  }
  .error:not(:empty)::before {
    content: '⚠ ' / '';
  }
  button {
    justify-self: start;
    padding-inline: 1.5rem;
    border: 2px solid var(--_accent);
    background: var(--_accent);
    color: var(--resman-color-on-accent, #fff);
    cursor: pointer;
  }
  [aria-disabled='true'] {
    cursor: progress;
    opacity: 0.7;
  }
  /* Empty but present, so screen readers already track the live region when "Sending…" appears. */
  .status:not(:empty) {
    display: grid;
    gap: 0.5rem;
    padding: 0.75rem;
    border: 1px solid;
    border-radius: var(--_radius);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  @media (prefers-reduced-motion: no-preference) {
    [part='input'] {
      transition: border-color 0.12s;
    }
  }
  @media (forced-colors: active) {
    [aria-invalid='true'] {
      border-color: Mark;
    }
  }
`;
