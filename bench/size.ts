/**
 * 1. Embed size: the built English widget (dist/widget, as `npm run build` leaves it) measured by
 * widget/build/report-sizes.ts, split into what loads before the form renders and everything a
 * completed English submission loads, against the floor: a Lit-only form element built the same way.
 */
import { BUDGET_BROTLI, widgetSizes, type FileSize } from '../widget/build/report-sizes.js';
import { BASELINE_ENTRY, buildBaseline } from './baseline/build.js';
import { kb, ratio, times, type Goal } from './stats.js';

export const FLOOR_RATIO_GOAL = 1.8;

export interface SizeResult {
  widgetDir: string;
  files: FileSize[];
  beforeRender: FileSize;
  englishSubmission: FileSize;
  /** The Lit-only form: everything it loads (it has no lazy chunk). */
  floor: FileSize;
  beforeRenderVsFloor: number;
  goals: Goal[];
}

export async function runSize(widgetDir = 'dist/widget'): Promise<SizeResult> {
  const widget = widgetSizes(widgetDir);
  const floorDir = await buildBaseline();
  const floor = { ...widgetSizes(floorDir, BASELINE_ENTRY).beforeRender, file: 'Lit-only form (floor)' };
  const vsFloor = ratio(widget.beforeRender.brotli, floor.brotli);
  return {
    widgetDir,
    files: widget.files,
    beforeRender: widget.beforeRender,
    englishSubmission: widget.englishSubmission,
    floor,
    beforeRenderVsFloor: vsFloor,
    goals: [
      {
        name: 'Embed before render',
        target: `<= ${kb(BUDGET_BROTLI.beforeRender)} brotli`,
        measured: `${kb(widget.beforeRender.brotli)} (${widget.beforeRender.brotli} B)`,
        met: widget.beforeRender.brotli <= BUDGET_BROTLI.beforeRender,
      },
      {
        name: 'Embed before render vs Lit-only floor',
        target: `<= ${FLOOR_RATIO_GOAL}x`,
        measured: times(vsFloor),
        met: vsFloor <= FLOOR_RATIO_GOAL,
      },
      {
        name: 'Embed, English submission (everything)',
        target: `<= ${kb(BUDGET_BROTLI.englishSubmission)} brotli`,
        measured: `${kb(widget.englishSubmission.brotli)} (${widget.englishSubmission.brotli} B)`,
        met: widget.englishSubmission.brotli <= BUDGET_BROTLI.englishSubmission,
      },
    ],
  };
}
