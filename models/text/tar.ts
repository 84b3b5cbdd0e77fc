// ustar (POSIX.1-1988) archives, with GNU long names ('L') and pax path records ('x'): what
// `tar czf` writes. A header is a 512-byte block: name[100] mode[8] uid[8] gid[8] size[12]
// mtime[12] chksum[8] typeflag[1] linkname[100] magic[6] version[2] uname[32] gname[32]
// devmajor[8] devminor[8] prefix[155]; the data follows, padded to 512. Two zero blocks end it.
// The checksum is the byte sum of the header with the chksum field read as spaces; a header that
// fails it is reported and the reader scans on, block by block, for the next good one.
import type { ReadProblem } from './problems.ts';

export interface TarEntry {
  name: string;
  /** '0' file, '5' directory, ... (ustar typeflag). */
  type: string;
  data: Uint8Array;
  /** Byte offset of the entry's header. */
  offset: number;
}

const BLOCK = 512;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function cstring(b: Uint8Array, start: number, len: number): string {
  const f = b.subarray(start, start + len);
  const z = f.indexOf(0);
  return utf8.decode(z < 0 ? f : f.subarray(0, z));
}

/** Octal, NUL/space padded; or base-256 (high bit set) for sizes past 8 GiB. */
function numeric(b: Uint8Array, start: number, len: number): number {
  if (b[start] & 0x80) {
    let v = b[start] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[start + i];
    return v;
  }
  const s = latin1.decode(b.subarray(start, start + len)).replace(/[\0 ]+$/g, '').trim();
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : s === '' ? 0 : NaN;
}

function isZeroBlock(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Uint8Array, at: number): boolean {
  const stored = numeric(b, at + 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[at + i];
  return stored === sum;
}

function paxPath(data: Uint8Array): string | undefined {
  // Records are "LEN key=value\n".
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(utf8.decode(data));
  return m?.[1];
}

export function readTar(bytes: Uint8Array, source: string): { entries: TarEntry[]; problems: ReadProblem[] } {
  const entries: TarEntry[] = [];
  const problems: ReadProblem[] = [];
  let at = 0;
  let longName: string | undefined;
  let badRun = false;
  while (at + BLOCK <= bytes.length) {
    if (isZeroBlock(bytes, at)) break;
    if (!checksumOk(bytes, at)) {
      if (!badRun) problems.push({ source, where: `byte ${at}`, message: 'damaged tar header (checksum mismatch); skipping to the next good header' });
      badRun = true;
      at += BLOCK;
      continue;
    }
    badRun = false;
    const size = numeric(bytes, at + 124, 12);
    const type = String.fromCharCode(bytes[at + 156] || 48);
    const prefix = latin1.decode(bytes.subarray(at + 257, at + 262)) === 'ustar' ? cstring(bytes, at + 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/` : '') + cstring(bytes, at, 100);
    if (!Number.isFinite(size)) {
      problems.push({ source, where: `entry ${name}`, message: 'unreadable size field; skipping to the next good header' });
      at += BLOCK;
      continue;
    }
    const dataStart = at + BLOCK;
    if (dataStart + size > bytes.length) {
      problems.push({ source, where: `entry ${name}`, message: `truncated: ${Math.max(0, bytes.length - dataStart)} of ${size} bytes present; the archive ends here` });
      return { entries, problems };
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    longName = undefined;
    if (type === 'L') longName = cstring(data, 0, data.length);
    else if (type === 'x') longName = paxPath(data);
    else if (type !== 'g') entries.push({ name, type, data, offset: at });
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (badRun) problems.push({ source, where: `byte ${at}`, message: 'archive ends inside damaged data' });
  return { entries, problems };
}
