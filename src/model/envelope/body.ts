// Message body <-> envelope Body. `utf8` only when the bytes are valid UTF-8; never lose a byte.
import type {Body} from './types.js'
import {base64FromBytes, utf8OrUndefined} from './utf8.js'

export function bodyFromBytes(buf: Uint8Array): Body {
  const text = utf8OrUndefined(buf)
  return text === undefined ? {base64: base64FromBytes(buf)} : {utf8: text}
}

export function bodyToBytes(body: Body): Buffer {
  return 'utf8' in body ? Buffer.from(body.utf8, 'utf8') : Buffer.from(body.base64, 'base64')
}

/** Body -> bytes, converted once for a body seen again in a row (one message published --count times). */
export class RepeatedBodyBytes {
  private last?: Body
  private bytes?: Buffer

  of(body: Body): Buffer {
    if (body !== this.last) {
      this.last = body
      this.bytes = bodyToBytes(body)
    }
    return this.bytes!
  }
}
