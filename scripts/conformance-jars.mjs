#!/usr/bin/env node
// Gathers the jars of test/conformance/pom.xml (Kafka clients and tools, Streams, Spring Kafka, Connect) into
// .brokers/conformance/libs/ with Maven, once (Maven caches them in ~/.m2; later calls find them and return at once).
// Run by `npm test` (scripts/test.mjs) beside the build, and by the suite's global setup for a bare `vitest run`.
// Node builtins only, so it runs before `npm run build`.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const pomPath = join(repoRoot, 'test', 'conformance', 'pom.xml')
const libs = join(repoRoot, '.brokers', 'conformance', 'libs')
// The jar added last: a libs dir gathered before it was added is gathered again.
const LAST_JAR = 'kafka-streams-4.1.1.jar'

if (!existsSync(join(libs, LAST_JAR))) {
  mkdirSync(libs, {recursive: true})
  process.stderr.write(
    'conformance: gathering Kafka clients, tools, Streams, Spring Kafka and Connect jars with maven (first run only)\n',
  )
  const result = spawnSync('mvn', ['-B', '-q', '-ntp', '-f', pomPath, 'package', `-Dlibs.dir=${libs}`], {
    stdio: 'inherit',
  })
  if (result.status !== 0) {
    process.stderr.write(`conformance: mvn package failed (${result.error?.message ?? `exit ${result.status}`})\n`)
    process.exit(1)
  }
}
