import {describe, expect, it} from 'vitest'

import {nextOffset, offsetBelow} from '../../src/core/offsets.js'

describe('Kafka offsets compared as decimal text', () => {
  it('orders them as numbers, beyond 2^53 too', () => {
    const pairs: [string, string][] = [
      ['0', '1'],
      ['9', '10'],
      ['99', '100'],
      ['123', '124'],
      ['9007199254740993', '9007199254740994'],
      ['-1', '0'],
    ]
    for (const [a, b] of pairs) {
      expect(offsetBelow(a, b)).toBe(true)
      expect(offsetBelow(b, a)).toBe(false)
    }
    expect(offsetBelow('42', '42')).toBe(false)
  })

  it('agrees with BigInt on random offsets', () => {
    for (let i = 0; i < 1000; i++) {
      const a = BigInt(Math.floor(Math.random() * 10 ** (1 + (i % 15))))
      const b = BigInt(Math.floor(Math.random() * 10 ** (1 + ((i * 7) % 15))))
      expect(offsetBelow(a.toString(), b.toString())).toBe(a < b)
    }
  })

  it('counts on past 2^53 exactly', () => {
    expect(nextOffset('9007199254740992')).toBe('9007199254740993')
  })
})
