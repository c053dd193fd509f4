// The broker harness's decisions (scripts/lib/harness.mjs): a broker is down only after a few probes say so, and `up`
// records as its own only a process its start made. Under load (~12) one 500 ms port probe missed a running RabbitMQ:
// `up` ran rabbitmq-server -detached, then recorded the running node's pid, and that clone's `down` stopped it.
import {createServer} from 'node:net'
import {describe, expect, it} from 'vitest'

import {isListening, isRunning, pidStartedByUs} from '../../scripts/lib/harness.mjs'

const FAST = {pauseMs: 10}

/** A probe answering from a script of answers (the last repeats), counting its calls. */
function scripted(...answers: (boolean | Error)[]) {
  const probe = async () => {
    const answer = answers[Math.min(probe.calls++, answers.length - 1)]
    if (answer instanceof Error) throw answer
    return answer
  }
  probe.calls = 0
  return probe
}

describe('isRunning', () => {
  it('a probe that misses twice, then answers, finds the broker running (one miss is no verdict)', async () => {
    const port = scripted(false, false, true)
    expect(await isRunning([port], FAST)).toBe(true)
    expect(port.calls).toBe(3)
  })

  it('is down only when every probe says no on every attempt', async () => {
    const port = scripted(false)
    const management = scripted(false)
    expect(await isRunning([port, management], {attempts: 4, pauseMs: 10})).toBe(false)
    expect([port.calls, management.calls]).toEqual([4, 4])
  })

  it('any one probe is enough: the port probe timed out, the management API answered', async () => {
    const port = scripted(false)
    const management = scripted(true)
    expect(await isRunning([port, management], FAST)).toBe(true)
    expect(port.calls).toBe(1)
  })

  it('a probe that throws says no, and the others are still asked', async () => {
    const broken = scripted(new Error('EACCES reading the pid file'))
    const pid = scripted(true)
    expect(await isRunning([broken, pid], FAST)).toBe(true)
  })

  it('pauses between attempts, not after the last', async () => {
    const started = performance.now()
    expect(await isRunning([scripted(false)], {attempts: 3, pauseMs: 200})).toBe(false)
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(390)
    expect(took).toBeLessThan(1500)
  })
})

describe('isListening', () => {
  it('sees a listening socket, and a closed port as closed', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as {port: number}
    expect(await isListening(port, FAST)).toBe(true)
    await new Promise((resolve) => server.close(resolve))
    expect(await isListening(port, FAST)).toBe(false)
  })
})

describe('pidStartedByUs', () => {
  it('never takes a process that was running before the start: the start found the running broker (reused)', () => {
    expect(pidStartedByUs(2949, 2949)).toBeUndefined()
  })

  it('takes the pid a start made', () => {
    expect(pidStartedByUs(undefined, 5120)).toBe(5120)
    expect(pidStartedByUs(2949, 5120)).toBe(5120)
  })

  it('records nothing when no process is found after the start', () => {
    expect(pidStartedByUs(undefined, undefined)).toBeUndefined()
  })
})

describe('RabbitMQ: is the node running? (the running shared node, asked read-only)', () => {
  it('a port probe that misses, as under load, still finds the running node (management API, live node pid)', async () => {
    const {nodeRunning} = await import('../../scripts/lib/rabbitmq.mjs')
    const missed = scripted(false)
    expect(await nodeRunning({portOpen: missed, pauseMs: 10})).toBe(true)
    expect(await nodeRunning()).toBe(true)
  })
})
