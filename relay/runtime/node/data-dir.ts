/**
 * DATA_DIR holds the SQLite outbox, personal data: the directory is 0700 and the outbox's files
 * 0600, whatever the umask. Modes are set with chmod, not left to the mode given at creation,
 * which the umask narrows (and an odd umask could leave the owner unable to write).
 *
 * The database file is created 0600 before SQLite opens it, because SQLite creates the -wal and
 * -shm files with the database file's mode; they are checked again once it has. This beats setting
 * the process's umask around the open: the umask is process-wide (anything else creating a file
 * meanwhile would get it) and cannot be set from worker threads.
 *
 * An existing directory or file left open (by an older relay) is tightened, and the log says so. A
 * directory holding anything but the outbox (DATA_DIR=/tmp, or a shared folder, by mistake) is not
 * ours to change: it keeps its mode, with a warning.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import type { Logger } from '../../lib/log.js';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

const octal = (mode: number) => mode.toString(8);
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Sets `path` to exactly `mode`; logs when it was open to others before (an older relay's). */
function tighten(path: string, mode: number, logger: Logger, isNew: boolean): void {
  const was = modeOf(path);
  if (was === mode) return;
  try {
    chmodSync(path, mode);
  } catch (err) {
    logger.warn('data_dir.permissions_open', { path, mode: octal(was), error: (err as NodeJS.ErrnoException).code ?? 'unknown' });
    return;
  }
  if (!isNew && (was & 0o077) !== 0) logger.warn('data_dir.permissions_tightened', { path, was: octal(was), now: octal(mode) });
}

/** The outbox's own names: the database and what SQLite keeps beside it, and the old lock file. */
const isOutboxFile = (name: string, outboxFile: string) => name.startsWith(outboxFile) || name === 'outbox.lock';

/** Creates DATA_DIR 0700, or tightens an existing one that holds only the outbox. */
export function prepareDataDir(dir: string, outboxFile: string, logger: Logger): void {
  const isNew = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const foreign = readdirSync(dir).some((name) => !isOutboxFile(name, outboxFile));
  const mode = modeOf(dir);
  if (!foreign) tighten(dir, DIR_MODE, logger, isNew);
  else if ((mode & 0o077) !== 0) {
    logger.warn('data_dir.permissions_open', {
      path: dir,
      mode: octal(mode),
      hint: 'DATA_DIR holds other files, so the relay leaves its mode alone: give the outbox a directory of its own, or chmod 700 it',
    });
  }
}

/** Before SQLite opens `file`: the database created 0600, it and any -wal or -shm left over made 0600. */
export function prepareOutboxFiles(file: string, logger: Logger): void {
  const isNew = !existsSync(file);
  if (isNew) closeSync(openSync(file, 'a', FILE_MODE));
  tighten(file, FILE_MODE, logger, isNew);
  settleOutboxFiles(file, logger);
}

/** After SQLite opened `file`: its -wal and -shm 0600 (SQLite gave them the database's mode; this makes sure). */
export function settleOutboxFiles(file: string, logger: Logger): void {
  for (const path of [`${file}-wal`, `${file}-shm`]) if (existsSync(path)) tighten(path, FILE_MODE, logger, false);
}
