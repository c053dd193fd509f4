// Durations and sizes for people (issue 18 item 7): Go's time.Duration form and IEC sizes, and which fields get them.
import {describe, expect, it} from 'vitest'

import {
  formatBytes,
  formatDurationMs,
  formatDurationNanos,
  formatDurationSeconds,
  humanizeFields,
} from '../../src/core/output/human-units.js'

describe('formatDuration*: as Go prints a time.Duration', () => {
  it('hours, minutes and seconds with every lower unit written out', () => {
    expect(formatDurationNanos(120_000_000_000)).toBe('2m0s')
    expect(formatDurationSeconds(5400)).toBe('1h30m0s')
    expect(formatDurationSeconds(125)).toBe('2m5s')
    expect(formatDurationSeconds(7 * 86_400)).toBe('168h0m0s')
    expect(formatDurationMs(1500)).toBe('1.5s')
    expect(formatDurationMs(61_250)).toBe('1m1.25s')
  })
  it('below a second in ms, µs or ns; zero is 0s; negative has a sign', () => {
    expect(formatDurationMs(500)).toBe('500ms')
    expect(formatDurationNanos(1_500_000)).toBe('1.5ms')
    expect(formatDurationNanos(2_000)).toBe('2µs')
    expect(formatDurationNanos(42)).toBe('42ns')
    expect(formatDurationNanos(0)).toBe('0s')
    expect(formatDurationSeconds(-90)).toBe('-1m30s')
  })
})

describe('formatBytes: IEC units, exact below 1 KiB', () => {
  it('shows exact bytes below 1 KiB and one decimal at most above', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1 KiB')
    expect(formatBytes(1536 * 1024)).toBe('1.5 MiB')
    expect(formatBytes(1024 ** 3)).toBe('1 GiB')
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MiB')
    expect(formatBytes(10 * 1024 ** 4)).toBe('10 TiB')
  })
})

describe('humanizeFields', () => {
  it('NATS stream details: Nanos fields lose the unit from the name; sizes; -1 and a zero max age are unlimited', () => {
    expect(
      humanizeFields({
        duplicateWindowNanos: 120_000_000_000,
        maxAgeNanos: 0,
        maxBytes: 1_572_864,
        maxMsgSize: -1,
        bytes: 300,
        maxMsgs: -1,
        subjects: ['A.>'],
      }),
    ).toEqual({
      duplicateWindow: '2m0s',
      maxAge: 'unlimited',
      maxBytes: '1.5 MiB',
      maxMsgSize: 'unlimited',
      bytes: '300 B',
      maxMsgs: -1,
      subjects: ['A.>'],
    })
  })
  it('RabbitMQ arguments in ms and bytes; Kafka configs given as strings; nested objects and arrays', () => {
    expect(
      humanizeFields({
        details: {arguments: {'x-message-ttl': 60_000, 'x-max-length-bytes': 1_048_576, 'x-max-length': 10}},
      }),
    ).toEqual({
      details: {arguments: {'x-message-ttl': '1m0s', 'x-max-length-bytes': '1 MiB', 'x-max-length': 10}},
    })
    expect(
      humanizeFields([
        {
          config: {
            'retention.ms': '604800000',
            'retention.bytes': '-1',
            'max.message.bytes': '1048588',
            'cleanup.policy': 'delete',
            'message.timestamp.after.max.ms': '9223372036854775807',
          },
        },
      ]),
    ).toEqual([
      {
        config: {
          'retention.ms': '168h0m0s',
          'retention.bytes': 'unlimited',
          'max.message.bytes': '1 MiB',
          'cleanup.policy': 'delete',
          'message.timestamp.after.max.ms': 'unlimited',
        },
      },
    ])
  })
  it('lag rows: lagSeconds becomes lagAge (lag is the message count), etaSeconds eta', () => {
    expect(humanizeFields({lag: 4, lagSeconds: 125.4, etaSeconds: 30, windowSeconds: 0})).toEqual({
      lag: 4,
      lagAge: '2m5.4s',
      eta: '30s',
      window: '0s',
    })
  })
  it('leaves a field it cannot read as it was, under its own name', () => {
    expect(humanizeFields({maxAgeNanos: null, 'retention.ms': 'soon'})).toEqual({
      maxAgeNanos: null,
      'retention.ms': 'soon',
    })
  })
})
