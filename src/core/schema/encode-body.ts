// publish --value-schema-id / --value-subject: a body given as JSON becomes the record a Confluent serializer would
// write for that value (schema id framing, Avro / Protobuf / JSON Schema payload).
import {MailroomError, firstLine} from '../../model/errors.js'
import {bodyFromBytes, bodyToBytes} from '../../model/envelope/body.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {EncodeTarget, SchemaDecoder} from './types.js'

/** The JSON body encoded through the schema; `where` names the input in errors (e.g. "line 3"). */
export async function encodeJsonBody(
  encoder: SchemaDecoder,
  body: Uint8Array,
  target: EncodeTarget,
  where?: string,
): Promise<Buffer> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch (error) {
    throw new MailroomError(
      'USAGE',
      `${where ? `${where}: ` : ''}the value is not JSON: ${firstLine(String((error as Error).message))}`,
      {suggestions: ['With --value-schema-id or --value-subject the body is the value as JSON, e.g. {"id": 7}']},
    )
  }
  try {
    return await encoder.encode(value, target)
  } catch (error) {
    if (!where || !(error instanceof MailroomError)) throw error
    throw new MailroomError(error.code, `${where}: ${error.message}`, {suggestions: error.suggestions, cause: error})
  }
}

/** Each envelope's body (one line of --input lines) encoded in turn; a line that does not fit stops the run. */
export async function* encodeEnvelopes(
  encoder: SchemaDecoder,
  envelopes: AsyncIterable<Envelope> | Iterable<Envelope>,
  target: EncodeTarget,
): AsyncGenerator<Envelope> {
  let index = 0
  for await (const envelope of envelopes) {
    index++
    const bytes = await encodeJsonBody(encoder, bodyToBytes(envelope.body), target, `message #${index}`)
    yield {...envelope, body: bodyFromBytes(bytes)}
  }
}
