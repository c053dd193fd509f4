// The conformance runner itself: a Java program from the gathered jars runs and answers (Kafka's own partitioner).
import {describe, expect, it} from 'vitest'
import {runJavaOk} from './java.js'

describe('conformance java runner', () => {
  it("runs Kafka's Java client code from the gathered jars", async () => {
    const out = await runJavaOk('KafkaPlacement', ['partition', '3'], {input: 'a\nb\n'})
    expect(out.trim().split('\n')).toEqual(['a\t1', 'b\t2'])
  })
})
