// The harness's schema registry (scripts/lib/schema-registry.mjs), spoken to over its own HTTP API: what tests
// register and ask here is the registry's word, not mailroom's reading of it.
export const REGISTRY_URL = `http://127.0.0.1:${process.env.MAILROOM_SCHEMA_REGISTRY_PORT ?? 8081}/apis/ccompat/v7`

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

export interface Reference {
  name: string
  subject: string
  version: number
}

/** Registers a schema under a subject; its id as the registry answers. */
export async function registerSchema(
  subject: string,
  schema: string,
  o: {schemaType?: 'AVRO' | 'PROTOBUF' | 'JSON'; references?: Reference[]} = {},
): Promise<number> {
  const body = {schema, ...(o.schemaType ? {schemaType: o.schemaType} : {}), references: o.references ?? []}
  const answer = await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: {'content-type': CONTENT_TYPE},
    body: JSON.stringify(body),
  })
  const text = await answer.text()
  if (answer.status !== 200) throw new Error(`registering ${subject}: HTTP ${answer.status} ${text}`)
  return (JSON.parse(text) as {id: number}).id
}

/** GET a path of the registry's API: its status and parsed JSON. */
export async function registryGet(path: string): Promise<{status: number; body: unknown}> {
  const answer = await fetch(`${REGISTRY_URL}/${path}`, {headers: {accept: CONTENT_TYPE}})
  const text = await answer.text()
  return {status: answer.status, body: text ? (JSON.parse(text) as unknown) : undefined}
}

/** Bytes framed as Confluent's serializers write them: magic 0, big-endian int32 id, then the payload. */
export function confluentFrame(id: number, ...payload: (Buffer | number[])[]): Buffer {
  const header = Buffer.alloc(5)
  header.writeInt32BE(id, 1)
  return Buffer.concat([header, ...payload.map((part) => Buffer.from(part))])
}

// --- Avro and Protobuf encodings written from their specifications, independent of avsc and protobufjs ---------

/** Avro long/int: zigzag varint (Avro spec, "Binary Encoding"). */
export function avroLong(value: bigint | number): number[] {
  let n = BigInt(value)
  n = n >= 0n ? n << 1n : (-n << 1n) - 1n
  return varint(n)
}

export function avroString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from(avroLong(bytes.length)), bytes])
}

export function avroBytes(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(avroLong(bytes.length)), bytes])
}

export function avroDouble(value: number): Buffer {
  const buffer = Buffer.alloc(8)
  buffer.writeDoubleLE(value)
  return buffer
}

/** Protobuf field key: (field number << 3) | wire type. */
export function protoKey(field: number, wireType: 0 | 2): number[] {
  return varint(BigInt((field << 3) | wireType))
}

export function protoVarintField(field: number, value: bigint | number): number[] {
  return [...protoKey(field, 0), ...varint(BigInt.asUintN(64, BigInt(value)))]
}

export function protoBytesField(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(protoKey(field, 2)), Buffer.from(varint(BigInt(bytes.length))), bytes])
}

function varint(value: bigint): number[] {
  const out: number[] = []
  let n = value
  while (n >= 0x80n) {
    out.push(Number((n & 0x7fn) | 0x80n))
    n >>= 7n
  }
  out.push(Number(n))
  return out
}

/**
 * Records written by the Java reference libraries (Apache Avro, protobuf-java) and framed as Confluent's serializers
 * do (test/conformance/java/SchemaTruth.java), on the registry build's own classpath. One JVM for all the cases.
 */
export async function javaFramedRecords(cases: string[][]): Promise<Buffer[]> {
  const {execFile} = await import('node:child_process')
  const {join} = await import('node:path')
  const root = join(import.meta.dirname, '..', '..')
  const source = join(root, 'test', 'conformance', 'java', 'SchemaTruth.java')
  const classpath = `${join(root, '.brokers', 'schema-registry', 'build', 'lib')}/*`
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile('java', ['-cp', classpath, source], {timeout: 120_000}, (error, out, err) =>
      error ? reject(new Error(`SchemaTruth failed: ${error.message}\n${err.slice(-3000)}`)) : resolve(out),
    )
    child.stdin?.end(cases.map((one) => JSON.stringify(one)).join('\n'))
  })
  return stdout
    .trim()
    .split('\n')
    .map((line) => Buffer.from(line, 'base64'))
}

// --- the secured registry (scripts/secure/schema-registry.mjs): HTTPS with the test CA, basic auth on /apis/* ------

export const SECURE_REGISTRY = {
  url: `https://127.0.0.1:${process.env.MAILROOM_SCHEMA_REGISTRY_SECURE_PORT ?? 8082}/apis/ccompat/v7`,
  user: 'mailroom-registry',
}

/** A request to the secured registry over node:https (fetch takes no CA): its status and body text. */
export async function secureRegistryRequest(
  path: string,
  o: {method?: 'GET' | 'POST'; body?: string; auth?: string; ca: Buffer},
): Promise<{status: number; text: string}> {
  const {request} = await import('node:https')
  return new Promise((resolve, reject) => {
    const headers = o.body ? {'content-type': CONTENT_TYPE} : {}
    const req = request(
      `${SECURE_REGISTRY.url}/${path}`,
      {method: o.method ?? 'GET', headers, ca: o.ca, auth: o.auth, timeout: 30_000},
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({status: res.statusCode ?? 0, text}))
      },
    )
    req.once('timeout', () => req.destroy(new Error('no answer from the secured registry in 30 s')))
    req.once('error', reject)
    req.end(o.body)
  })
}
