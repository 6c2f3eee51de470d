import fs from 'node:fs';
import path from 'node:path';

/**
 * What we write holds people's words (corpus copies, indexes, conversations, the audit log):
 * readable by the service's own user only, whatever the umask. Folders we create are 0700 and
 * files 0600; existing folders keep their mode (a user's --data-dir may be shared on purpose).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** mkdir -p where every folder created is 0700. The umask can only narrow the mode, so none is needed. */
export function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Create `file` empty and 0600 if missing, and narrow it to 0600 if it exists (left by an older version). */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  fs.chmodSync(file, PRIVATE_FILE_MODE);
}

/** Narrow a copied tree to 0700 folders and 0600 files (a copy keeps its source's modes). Symlinks are not followed. */
export function restrictTree(root: string): void {
  const st = fs.lstatSync(root);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    fs.chmodSync(root, PRIVATE_DIR_MODE);
    for (const name of fs.readdirSync(root)) restrictTree(path.join(root, name));
  } else if (st.isFile()) {
    fs.chmodSync(root, PRIVATE_FILE_MODE);
  }
}

/** Write a file so that readers see the old or the new content, never a torn one. The file is 0600. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirPrivate(path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = fs.openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
