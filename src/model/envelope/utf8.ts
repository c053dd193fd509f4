// Strict UTF-8 and base64 helpers shared by the body, header and key codecs.
import {isUtf8} from 'node:buffer'

// fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a leading BOM stays in the text, so encoding
// the text again gives back the exact input bytes.
const strictDecoder = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

/** The text when `buf` is valid UTF-8 (re-encoding it gives the same bytes), otherwise undefined. */
export function utf8OrUndefined(buf: Uint8Array): string | undefined {
  // Checked first: a binary body would otherwise cost a thrown exception each (the largest single cost of a raw
  // tail of binary records in the profile).
  return isUtf8(buf) ? strictDecoder.decode(buf) : undefined
}

export function toBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
}

export function base64FromBytes(buf: Uint8Array): string {
  return toBuffer(buf).toString('base64')
}

const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/

/** Standard, padded base64 (what Buffer#toString('base64') writes). Node's decoder silently skips bad input. */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64_CHARS.test(s)
}

/** False when the string holds a lone surrogate (JSON allows `"\ud800"`), which UTF-8 cannot carry losslessly. */
export function isWellFormedText(s: string): boolean {
  // String#isWellFormed is in Node 20 but not in TypeScript's ES2023 lib.
  return (s as unknown as {isWellFormed(): boolean}).isWellFormed()
}
