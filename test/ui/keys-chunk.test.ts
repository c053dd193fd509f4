import type {Key} from 'ink'
import {describe, expect, it} from 'vitest'

import {eachKey} from '../../src/ui/components/TextInput.js'

const none = {ctrl: false, meta: false, escape: false, return: false} as Key

function split(input: string, key: Key = none): [string, boolean][] {
  const seen: [string, boolean][] = []
  eachKey(input, key, (i, k) => {
    seen.push([i, k.return])
  })
  return seen
}

describe('eachKey', () => {
  it('splits keys that arrived in one chunk, Enter included', () => {
    expect(split('/ab')).toEqual([
      ['/', false],
      ['a', false],
      ['b', false],
    ])
    expect(split('ab\r')).toEqual([
      ['a', false],
      ['b', false],
      ['', true],
    ])
  })

  it('splits control keys anywhere in a chunk, as Ink names them when they come alone', () => {
    const seen: string[] = []
    eachKey(
      '\t\rx\u007Fy\u0015',
      none,
      (i, k) =>
        void seen.push(
          `${i}${k.tab ? '<tab>' : ''}${k.return ? '<enter>' : ''}${k.delete ? '<del>' : ''}${k.ctrl ? '<ctrl>' : ''}`,
        ),
    )
    expect(seen).toEqual(['<tab>', '<enter>', 'x', '<del>', 'y', 'u<ctrl>'])
  })

  it('after a key that changed the screen, hands the rest of the chunk to defer', () => {
    const seen: string[] = []
    let resume: (() => void) | undefined
    eachKey(
      '\rab',
      none,
      (i, k) => (seen.push(k.return ? '<enter>' : i), k.return ? 'rerender' : undefined),
      (r) => (resume = r),
    )
    expect(seen).toEqual(['<enter>'])
    resume!()
    expect(seen).toEqual(['<enter>', 'a', 'b'])
  })

  it('leaves single keys, modified keys and escape sequences whole', () => {
    expect(split('q')).toEqual([['q', false]])
    expect(split('u', {...none, ctrl: true})).toEqual([['u', false]])
    expect(split('\u001b[A')).toEqual([['\u001b[A', false]])
  })

  it('Esc read together with the next key (one input to Ink, reported as that key alone) is Esc, then that key', () => {
    const seen: string[] = []
    const record = (i: string, k: Key) => void seen.push(k.escape ? '<esc>' : k.return ? '<enter>' : i)
    // What Ink reports for "\u001b/", "\u001bq" and "\u001b\r": the second key, with or without meta.
    eachKey('/', none, record, undefined, '\u001b/')
    eachKey('q', {...none, meta: true}, record, undefined, '\u001bq')
    eachKey('', {...none, return: true, meta: true}, record, undefined, '\u001b\r')
    eachKey('', {...none, escape: true, meta: true}, record, undefined, '\u001b\u001b')
    expect(seen).toEqual(['<esc>', '/', '<esc>', 'q', '<esc>', '<enter>', '<esc>', '<esc>'])
  })

  it('leaves escape sequences (arrows, PgUp) and a lone Esc as one key', () => {
    const seen: string[] = []
    eachKey(
      '',
      {...none, upArrow: true} as Key,
      (i, k) => void seen.push(k.upArrow ? '<up>' : i),
      undefined,
      '\u001b[A',
    )
    eachKey('', {...none, escape: true}, (i, k) => void seen.push(k.escape ? '<esc>' : i), undefined, '\u001b')
    expect(seen).toEqual(['<up>', '<esc>'])
  })
})
