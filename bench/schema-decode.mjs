// Kafka tail with schema-registry decoding on and off, side by side: N Avro records (Confluent-framed, one schema)
// read to the end by `mailroom tail --until-end -o ndjson > file`, as whole processes, runs interleaved (raw, decoded,
// raw, ...), medians of wall time and of the process's CPU seconds (time(1)). Target: decoding costs at most 2x the
// raw tail (decoded wall / raw wall <= 2).
// Needs `npm run build`, Kafka and the registry up (npm run brokers -- up schema-registry). Run on its own:
//   node bench/schema-decode.mjs      DECODE_N=100000 RUNS=5 SCHEMA_REGISTRY_URL=<ccompat base url>
// bench/messaging.mjs runs it too (CASES=...,decode).
import {spawn} from 'node:child_process'
import {createWriteStream, existsSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const KAFKA = ['127.0.0.1:9092']

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'bench',
  fields: [
    {name: 'id', type: 'long'},
    {name: 'customer', type: 'string'},
    {name: 'amount', type: 'double'},
    {name: 'currency', type: {type: 'enum', name: 'Currency', symbols: ['EUR', 'USD', 'GBP']}},
    {name: 'items', type: {type: 'array', items: 'string'}},
    {name: 'express', type: 'boolean'},
    {name: 'note', type: ['null', 'string'], default: null},
  ],
}

/** The registry's ccompat base URL: SCHEMA_REGISTRY_URL, else the harness's (as test/helpers/schema-registry.ts). */
export function registryUrl() {
  return (
    process.env.SCHEMA_REGISTRY_URL ??
    `http://127.0.0.1:${process.env.MAILROOM_SCHEMA_REGISTRY_PORT ?? 8081}/apis/ccompat/v7`
  )
}

async function register(url, subject, schema) {
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: {'content-type': 'application/vnd.schemaregistry.v1+json'},
    body: JSON.stringify({schemaType: 'AVRO', schema: JSON.stringify(schema)}),
  })
  if (!res.ok) throw new Error(`registering ${subject}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()).id
}

/** A topic holding n framed Avro records (one partition, so every run reads the same order). */
export async function avroTopic(kafka, url, n) {
  const {default: avro} = await import('avsc')
  const topic = `schema-decode-bench-${process.pid}`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  const id = await register(url, `${topic}-value`, ORDER)
  const type = avro.Type.forSchema(ORDER)
  const header = Buffer.alloc(5)
  header.writeInt32BE(id, 1)
  const producer = kafka.producer()
  await producer.connect()
  for (let start = 0; start < n; start += 5000) {
    const messages = []
    for (let i = start; i < Math.min(n, start + 5000); i++) {
      const value = type.toBuffer({
        id: i,
        customer: `customer-${i % 997}`,
        amount: (i % 10_000) / 7,
        currency: ['EUR', 'USD', 'GBP'][i % 3],
        items: ['sku-1', `sku-${i % 50}`],
        express: i % 2 === 0,
        note: i % 5 === 0 ? 'leave at the door' : null,
      })
      messages.push({key: `order-${i}`, value: Buffer.concat([header, value])})
    }
    await producer.send({topic, acks: -1, messages})
  }
  await producer.disconnect()
  return {
    topic,
    id,
    cleanup: async () => {
      await admin.deleteTopics({topics: [topic]}).catch(() => {})
      await admin.disconnect()
    },
  }
}

/** `mailroom tail` as a whole process to a file: wall ms, CPU ms (time(1)), lines written. */
function tailRun(topic, url, decode, out) {
  const args = [
    BIN,
    'tail',
    `kafka:${topic}`,
    '--until-end',
    '-o',
    'ndjson',
    '--schema-registry',
    url,
    '--decode',
    decode,
  ]
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(TIME ?? process.execPath, TIME ? ['-f', '%U %S', process.execPath, ...args] : args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const file = createWriteStream(out)
    const closed = new Promise((r) => file.on('close', r))
    child.stdout.pipe(file)
    child.on('close', async (code) => {
      await closed
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0) return reject(new Error(`tail --decode ${decode} exited ${code}: ${stderr.slice(-1500)}`))
      const [user, system] = TIME ? stderr.trim().split('\n').at(-1).split(' ').map(Number) : []
      resolve({ms, cpuMs: TIME ? (user + system) * 1000 : undefined, lines: countLines(out)})
    })
  })
}

function countLines(file) {
  let count = 0
  for (const byte of readFileSync(file)) if (byte === 10) count++
  return count
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Checks that the decoded run decoded: the last line's value has the schema id and the record's fields. */
function checkDecoded(out, id) {
  const text = readFileSync(out, 'utf8')
  const last = JSON.parse(text.slice(text.lastIndexOf('\n', text.length - 2) + 1))
  if (last.decoded?.value?.schemaId !== id || typeof last.decoded.value.value?.customer !== 'string')
    throw new Error(`the decoded tail did not decode: ${JSON.stringify(last.decoded)}`)
}

export async function schemaDecodeBench() {
  const n = Number(process.env.DECODE_N ?? 100_000)
  const runs = Number(process.env.RUNS ?? 5)
  const url = registryUrl()
  const {default: kafkajs} = await import('kafkajs')
  const kafka = new kafkajs.Kafka({brokers: KAFKA, logLevel: kafkajs.logLevel.NOTHING})
  const fixture = await avroTopic(kafka, url, n)
  const out = join(tmpdir(), `mailroom-schema-bench-${process.pid}.out`)
  const samples = {raw: [], decoded: []}
  try {
    for (let run = 0; run < runs; run++) {
      for (const [label, decode] of [
        ['raw', 'none'],
        ['decoded', 'auto'],
      ]) {
        const r = await tailRun(fixture.topic, url, decode, out)
        if (r.lines !== n) throw new Error(`tail --decode ${decode} wrote ${r.lines} of ${n} lines`)
        if (decode === 'auto') checkDecoded(out, fixture.id)
        samples[label].push(r)
      }
    }
  } finally {
    rmSync(out, {force: true})
    await fixture.cleanup()
  }
  report(samples, n, runs)
  return median(samples.decoded.map((r) => r.ms)) / median(samples.raw.map((r) => r.ms))
}

function report(samples, n, runs) {
  const [load1] = readFileSync('/proc/loadavg', 'utf8').split(' ')
  console.log(
    `\nkafka: tail --until-end -o ndjson of ${n} Avro records, decoding off vs on — whole processes, median of ${runs} interleaved runs (load average ${load1}; target: decoded <= 2x raw)`,
  )
  console.log(`  ${''.padEnd(9)} ${'wall'.padStart(8)}    ${'rate'.padStart(8)}          CPU s    CPU µs/msg`)
  for (const [label, list] of Object.entries(samples)) {
    const ms = median(list.map((r) => r.ms))
    const cpu = list[0].cpuMs === undefined ? undefined : median(list.map((r) => r.cpuMs))
    console.log(
      `  ${label.padEnd(9)} ${ms.toFixed(0).padStart(8)} ms ${String(Math.round((n * 1000) / ms)).padStart(8)} msg/s  ${cpu === undefined ? '     ?' : (cpu / 1000).toFixed(2).padStart(6)}    ${cpu === undefined ? '?' : ((cpu * 1000) / n).toFixed(1)}`,
    )
  }
  const wall = median(samples.decoded.map((r) => r.ms)) / median(samples.raw.map((r) => r.ms))
  const cpuRatio =
    samples.raw[0].cpuMs === undefined
      ? undefined
      : median(samples.decoded.map((r) => r.cpuMs)) / median(samples.raw.map((r) => r.cpuMs))
  console.log(
    `  decoding costs ${wall.toFixed(2)}x the raw tail's wall time${cpuRatio === undefined ? '' : `, ${cpuRatio.toFixed(2)}x its CPU`}${wall <= 2 ? '  OK' : '  OVER TARGET'}`,
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await schemaDecodeBench()
