import zlib from 'node:zlib';

/**
 * A zip read from its central directory, one member inflated at a time and only when asked.
 * Inflating everything up front let a 1 MB archive of highly compressible members take a
 * gigabyte of memory; here memory is bounded by the largest member read, and a member that
 * inflates past the size its header declares is cut off (zlib's maxOutputLength).
 */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipFormatError extends Error {}

function findEndOfCentralDirectory(buf: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) if (buf.readUInt32LE(i) === EOCD) return i;
  throw new ZipFormatError('not a zip archive (no end of central directory)');
}

/** The members listed in the central directory, in order. Throws ZipFormatError on a broken or ZIP64 archive. */
export function zipEntries(data: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 22) throw new ZipFormatError('not a zip archive (too short)');
  const end = findEndOfCentralDirectory(buf);
  const count = buf.readUInt16LE(end + 10);
  const offset = buf.readUInt32LE(end + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new ZipFormatError('ZIP64 archives are not supported');
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`broken central directory at entry ${i + 1}`);
    const flags = buf.readUInt16LE(p + 8);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    if (p + 46 + nameLen > buf.length) throw new ZipFormatError(`broken central directory at entry ${i + 1}`);
    const rawName = buf.subarray(p + 46, p + 46 + nameLen);
    entries.push({
      // Bit 11: the name is UTF-8; otherwise it is CP437, which latin1 approximates.
      name: rawName.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localHeaderOffset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** One member's bytes, never more than its declared size. Throws ZipFormatError when it cannot. */
export function inflateEntry(data: Uint8Array, e: ZipEntry): Buffer {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const h = e.localHeaderOffset;
  if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL) throw new ZipFormatError(`${e.name}: broken local header`);
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  if (start + e.compressedSize > buf.length) throw new ZipFormatError(`${e.name}: truncated`);
  const packed = buf.subarray(start, start + e.compressedSize);
  if (e.method === 0) {
    if (packed.length !== e.size) throw new ZipFormatError(`${e.name}: stored size does not match its header`);
    return Buffer.from(packed);
  }
  if (e.method !== 8) throw new ZipFormatError(`${e.name}: unsupported compression method ${e.method}`);
  if (e.size === 0) return Buffer.alloc(0);
  try {
    return zlib.inflateRawSync(packed, { maxOutputLength: e.size });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipFormatError(`${e.name}: inflates past the ${e.size} bytes its header declares`);
    throw new ZipFormatError(`${e.name}: does not inflate (${(err as Error).message})`);
  }
}
