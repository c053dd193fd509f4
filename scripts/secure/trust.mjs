// Whether a secured broker that is already listening serves a certificate from this checkout's test CA. Another
// checkout (another clone, or CI's) makes its own CA: reusing its brokers would fail every TLS test with "unknown
// authority", so the harness says so instead of reporting them as up.
import {readFileSync} from 'node:fs'
import {connect as netConnect} from 'node:net'
import {connect as tlsConnect} from 'node:tls'

import {BrokerStartError} from '../lib/harness.mjs'

const CHECK_TIMEOUT_MS = 3000

/**
 * True when a TLS handshake on the port verifies against this checkout's CA (`pki` from ensureMaterial; our client
 * certificate is offered for the mutual-TLS listeners). An expired certificate still counts: that is only ever our
 * deliberately expired one, and OpenSSL reports expiry only once the chain to our CA was found. NATS speaks plain
 * text first (an INFO line) and upgrades afterwards: `afterFirstLine` starts TLS once that line has arrived.
 */
export function servesOurCertificate(port, pki, {afterFirstLine = false} = {}) {
  return new Promise((resolve) => {
    const socket = netConnect({host: '127.0.0.1', port})
    const finish = (trusted) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(trusted)
    }
    const timer = setTimeout(() => finish(false), CHECK_TIMEOUT_MS)
    const handshake = () => {
      const tls = tlsConnect({
        socket,
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.client.cert),
        key: readFileSync(pki.client.key),
        servername: 'localhost',
      })
      tls.once('secureConnect', () => finish(true))
      tls.once('error', (error) => finish(error.code === 'CERT_HAS_EXPIRED'))
    }
    socket.once('error', () => finish(false))
    if (!afterFirstLine) return socket.once('connect', handshake)
    let seen = ''
    const onData = (data) => {
      seen += data.toString('latin1')
      if (!seen.includes('\n')) return
      socket.off('data', onData)
      handshake()
    }
    socket.on('data', onData)
  })
}

/** The error for a secured broker this checkout did not start and cannot trust. */
export function foreignBrokerError(name, port) {
  return new BrokerStartError(
    name,
    `127.0.0.1:${port} is taken by a secured broker with another checkout's certificates (another clone started it?); ` +
      'stop it with `node scripts/brokers.mjs down` in that checkout, then run up here again',
    '',
  )
}
