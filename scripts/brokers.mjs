#!/usr/bin/env node
// Local broker harness for tests and benchmarks: `node scripts/brokers.mjs up|status|down [rabbitmq|kafka|nats ...]`.
// Beside the plain brokers it runs secured ones on other loopback ports (rabbitmq-secure, kafka-secure, nats-secure:
// TLS, mutual TLS, SASL, tokens, NKEYs, creds) with a throwaway CA it makes itself; see scripts/secure/.
// Env overrides for a second throwaway Kafka: MAILROOM_BROKERS_DIR, MAILROOM_KAFKA_PORT, MAILROOM_KAFKA_CONTROLLER_PORT.
// up     starts whatever is not already listening, waits for readiness, fails with the broker's log tail.
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
import {BrokerStartError, progress} from './lib/harness.mjs'
import * as kafkaSecure from './secure/kafka.mjs'
import * as natsSecure from './secure/nats.mjs'
import * as rabbitmqSecure from './secure/rabbitmq.mjs'

const ALL = [rabbitmq, kafka, nats, rabbitmqSecure, kafkaSecure, natsSecure]
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
