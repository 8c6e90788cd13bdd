import { css } from 'lit';

/**
 * The console's look, shared by its elements. Constructable stylesheets (Lit's css), so the page's
 * CSP needs no 'unsafe-inline'. Colours keep 4.5:1 contrast on white (axe checks it); tables scroll
 * sideways on a phone rather than squeeze.
 */
export const shared = css`
  :host {
    display: block;
    color: #1f2328;
    font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  }
  [hidden] {
    display: none !important;
  }
  * {
    box-sizing: border-box;
  }
  a {
    color: #0a58a8;
  }
  h1,
  h2,
  h3 {
    line-height: 1.2;
    margin: 1rem 0 0.5rem;
  }
  h2 {
    font-size: 1.2rem;
  }
  h3 {
    font-size: 1.05rem;
  }
  .scroll {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    min-width: 100%;
  }
  th,
  td {
    padding: 0.35rem 0.6rem;
    border-bottom: 1px solid #d0d7de;
    text-align: left;
    white-space: nowrap;
  }
  th[scope='row'] {
    white-space: normal;
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  button,
  input,
  select {
    font: inherit;
    min-height: 2.5rem;
    padding: 0.3rem 0.6rem;
    border: 1px solid #57606a;
    border-radius: 6px;
    background: #fff;
    color: inherit;
  }
  button {
    cursor: pointer;
    background: #f6f8fa;
  }
  button.primary {
    background: #0a58a8;
    border-color: #0a58a8;
    color: #fff;
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
  :focus-visible {
    outline: 3px solid #0a58a8;
    outline-offset: 2px;
  }
  label {
    display: grid;
    gap: 0.2rem;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem;
    align-items: end;
  }
  .problem {
    color: #a4161a;
  }
  .muted {
    color: #57606a;
  }
  .status {
    display: inline-block;
    padding: 0 0.4rem;
    border-radius: 4px;
    background: #eaeef2;
  }
  .status.failed,
  .status.misconfigured {
    background: #ffebe9;
    color: #82071e;
  }
  .status.held,
  .status.unknown {
    background: #fff8c5;
    color: #633c01;
  }
  .status.confirmed,
  .status.ok {
    background: #dafbe1;
    color: #116329;
  }
  .tour {
    display: inline-block;
    padding: 0 0.4rem;
    border-radius: 4px;
    background: #ddf4ff;
    color: #0a3069;
  }
`;
