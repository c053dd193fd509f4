#!/usr/bin/env node
// Local broker harness for tests and benchmarks: `node scripts/brokers.mjs up|status|down [rabbitmq|kafka|nats ...]`.
// Beside the plain brokers it runs secured ones on other loopback ports (rabbitmq-secure, kafka-secure, nats-secure:
// TLS, mutual TLS, SASL, tokens, NKEYs, creds) with a throwaway CA it makes itself; see scripts/secure/.
// `schema-registry`: Apicurio Registry's Confluent-compatible API on 127.0.0.1:8081/apis/ccompat/v7, built once from
// Maven Central into .brokers/schema-registry/ (scripts/lib/schema-registry.mjs); `schema-registry-secure` the same
// registry over HTTPS with basic auth on 127.0.0.1:8082 (scripts/secure/schema-registry.mjs).
// Env overrides for a second throwaway Kafka: MAILROOM_BROKERS_DIR, MAILROOM_KAFKA_PORT, MAILROOM_KAFKA_CONTROLLER_PORT.
// up     starts whatever is not already listening, waits for readiness, fails with the broker's log tail. A broker is
//        taken for stopped only after a few probes a second apart (RabbitMQ: port, management API or node process), and
//        what was already running is reused, never recorded as started here (so `down` never stops it).
// status one line per broker: up/down, address, whether this harness started it.
// down   stops only what this harness started (pid files in .brokers/); brokers the machine runs are left alone.
// `cluster` names three-node clusters on their own ports (rabbitmq-cluster, kafka-cluster, nats-cluster; see
// scripts/lib/cluster-topology.json); they start only when named, never with a bare `up`.
// Node builtins only, so it runs before `npm run build`.
import * as kafka from './lib/kafka.mjs'
import * as kafkaCluster from './lib/kafka-cluster.mjs'
import * as nats from './lib/nats.mjs'
import * as natsCluster from './lib/nats-cluster.mjs'
import * as rabbitmq from './lib/rabbitmq.mjs'
import * as rabbitmqCluster from './lib/rabbitmq-cluster.mjs'
import * as schemaRegistry from './lib/schema-registry.mjs'
import {BrokerStartError, progress} from './lib/harness.mjs'
import * as kafkaSecure from './secure/kafka.mjs'
import * as natsSecure from './secure/nats.mjs'
import * as rabbitmqSecure from './secure/rabbitmq.mjs'
import * as schemaRegistrySecure from './secure/schema-registry.mjs'

const ALL = [rabbitmq, kafka, nats, rabbitmqSecure, kafkaSecure, natsSecure, schemaRegistry, schemaRegistrySecure]
const CLUSTERS = [rabbitmqCluster, kafkaCluster, natsCluster]
const KNOWN = [...ALL, ...CLUSTERS]
const USAGE = `usage: node scripts/brokers.mjs up|status|down [${[...KNOWN.map((broker) => broker.name), 'cluster'].join('|')} ...]`

function selectBrokers(names) {
  if (names.length === 0) return ALL
  return names.flatMap((wanted) => {
    if (wanted === 'cluster') return CLUSTERS
    const broker = KNOWN.find((candidate) => candidate.name === wanted)
    if (!broker) throw new Error(`unknown broker "${wanted}"\n${USAGE}`)
    return [broker]
  })
}

function reportFailure(broker, error) {
  progress(`${broker.name} FAILED: ${error.message}`)
  if (error instanceof BrokerStartError && error.logTail) process.stderr.write(`${error.logTail}\n`)
}

/** Runs action on every broker concurrently; reports each outcome; true when all succeeded. */
async function forEachBroker(brokers, action) {
  const outcomes = await Promise.allSettled(brokers.map((broker) => broker[action]()))
  outcomes.forEach((outcome, index) => {
    const broker = brokers[index]
    if (outcome.status === 'fulfilled') progress(`${broker.name} ${outcome.value}`)
    else reportFailure(broker, outcome.reason)
  })
  return outcomes.every((outcome) => outcome.status === 'fulfilled')
}

async function printStatus(brokers) {
  const rows = await Promise.all(brokers.map(async (broker) => ({broker, state: await broker.status()})))
  for (const {broker, state} of rows) {
    const origin = state.startedByMailroom ? 'started by mailroom' : 'not started by mailroom'
    const detail = state.detail ? `, ${state.detail}` : ''
    console.log(`${broker.name.padEnd(15)} ${state.up ? 'up  ' : 'down'} ${broker.address} (${origin}${detail})`)
  }
  return true
}

async function main([command, ...names]) {
  const brokers = selectBrokers(names)
  if (command === 'up') return forEachBroker(brokers, 'up')
  if (command === 'down') return forEachBroker(brokers, 'down')
  if (command === 'status') return printStatus(brokers)
  throw new Error(USAGE)
}

main(process.argv.slice(2)).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    progress(error.message)
    process.exit(2)
  },
)
