/** What the figures were measured on, and how busy the machine was while they were. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { CHROMIUM_PATH } from '../test/support/chromium.mjs';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  chromium: string;
  workerd: string;
  date: string;
  commit: string;
  /** Files changed in the work tree besides the commit (the build measured them too). */
  uncommitted: string[];
}

const quiet = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
};

export function machine(): Machine {
  const osName = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  let status = '';
  try {
    status = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    // not a git checkout
  }
  const mine = /^(bench\/|BENCHMARKS\.md$|package(-lock)?\.json$)/;
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${osName}, kernel ${release()}`,
    node: process.version,
    chromium: quiet(CHROMIUM_PATH, ['--version']).replace(/\s+built on.*$/, ''),
    workerd: quiet('node_modules/.bin/workerd', ['--version']),
    date: new Date().toISOString(),
    commit: quiet('git', ['log', '-1', '--format=%h %s']),
    uncommitted: status
      .split('\n')
      .filter((l) => l.length > 3)
      .map((l) => l.slice(3))
      .filter((f) => !mine.test(f)),
  };
}

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  const total = line.reduce((a, n) => a + n, 0);
  return { busy: total - idle, total };
}

/** Share of all cores busy over the next `ms` (anything running: other users' tests included). */
export async function busyShare(ms = 1000): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}

export const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
