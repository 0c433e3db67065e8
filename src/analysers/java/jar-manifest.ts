import { inflateRawSync } from 'node:zlib';

/**
 * Reads META-INF/MANIFEST.MF out of a jar (a zip) given a positioned reader: the end of central
 * directory record, the central directory entry, then the local entry. Returns the main
 * section's attributes, or undefined when the jar has no manifest or is not a zip.
 */
export async function readJarManifest(read: (offset: number, length: number) => Promise<Buffer>, size: number): Promise<Map<string, string> | undefined> {
  const tailLength = Math.min(size, 65_557);
  const tail = await read(size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset + cdSize > size) return undefined;
  const cd = await read(cdOffset, cdSize);
  for (let p = 0; p + 46 <= cd.length && cd.readUInt32LE(p) === 0x02014b50; ) {
    const method = cd.readUInt16LE(p + 10);
    const compressed = cd.readUInt32LE(p + 20);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const local = cd.readUInt32LE(p + 42);
    const name = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    p += 46 + nameLength + extraLength + commentLength;
    if (name.toUpperCase() !== 'META-INF/MANIFEST.MF') continue;
    const header = await read(local, 30);
    if (header.readUInt32LE(0) !== 0x04034b50) return undefined;
    const dataStart = local + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const data = await read(dataStart, compressed);
    const text = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    return parseManifest(text);
  }
  return undefined;
}

/** Manifest lines wrap at 72 bytes: a line starting with one space continues the previous one. */
export function parseManifest(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let last: string | undefined;
  for (const line of lines) {
    if (line === '') break; // the main section ends at the first empty line
    if (line.startsWith(' ') && last !== undefined) {
      attrs.set(last, attrs.get(last)! + line.slice(1));
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim();
    attrs.set(last, line.slice(i + 1).trim());
  }
  return attrs;
}
