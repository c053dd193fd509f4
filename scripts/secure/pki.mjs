// Throwaway certificates and secrets for the secured test brokers, made once with openssl into .brokers/secure/.
// Everything here is test material: a CA that exists only on this machine, random passwords, fresh NATS keys.
// Node builtins only (plus the nats package's nkeys, loaded when the NATS material is made).
import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {BrokerStartError, ensureStateDir, run, tailText, withStartLock} from '../lib/harness.mjs'

// Bump when the material changes shape: an older set is thrown away and made again.
const VERSION = '2'
const DAYS = 825

export function securePaths() {
  const dir = ensureStateDir('secure')
  const pki = join(dir, 'pki')
  const secrets = join(dir, 'secrets')
  const file = (base, name) => join(base, name)
  return {
    dir,
    pki,
    secrets,
    fixture: join(dir, 'secure.json'),
    ca: file(pki, 'ca.pem'),
    caKey: file(pki, 'ca-key.pem'),
    server: {cert: file(pki, 'server.pem'), key: file(pki, 'server-key.pem')},
    client: {cert: file(pki, 'client.pem'), key: file(pki, 'client-key.pem')},
    expiredServer: {cert: file(pki, 'expired-server.pem'), key: file(pki, 'expired-server-key.pem')},
    expiredClient: {cert: file(pki, 'expired-client.pem'), key: file(pki, 'expired-client-key.pem')},
    otherCa: file(pki, 'other-ca.pem'),
    otherCaKey: file(pki, 'other-ca-key.pem'),
    otherClient: {cert: file(pki, 'other-client.pem'), key: file(pki, 'other-client-key.pem')},
  }
}

async function openssl(args, what) {
  const result = await run('openssl', args, {timeoutMs: 60_000})
  if (result.code !== 0)
    throw new BrokerStartError('secure', `openssl failed making ${what} (exit ${result.code})`, tailText(result.output))
}

async function makeCa(certPath, keyPath, name) {
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      String(DAYS + 30),
      '-subj',
      `/CN=${name}`,
    ],
    name,
  )
}

const SERVER_EXTENSIONS =
  'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n'
const CLIENT_EXTENSIONS = 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n'

async function makeRequest(pair, subject, workDir) {
  const csr = join(workDir, `${randomBytes(4).toString('hex')}.csr`)
  await openssl(
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', pair.key, '-out', csr, '-subj', subject],
    subject,
  )
  return csr
}

async function makeLeaf(pair, {subject, extensions, caCert, caKey, workDir}) {
  const csr = await makeRequest(pair, subject, workDir)
  const extFile = join(workDir, 'leaf.ext')
  writeFileSync(extFile, extensions)
  const serial = `0x${randomBytes(8).toString('hex')}`
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      serial,
      '-days',
      String(DAYS),
      '-extfile',
      extFile,
      '-out',
      pair.cert,
    ],
    subject,
  )
}

/** `openssl x509` (3.0) cannot backdate; `openssl ca` can, with a scratch database. */
async function makeExpiredLeaf(pair, {subject, extensions, caCert, caKey, workDir}) {
  const csr = await makeRequest(pair, subject, workDir)
  const caDir = join(workDir, 'expired-ca')
  rmSync(caDir, {recursive: true, force: true})
  mkdirSync(join(caDir, 'new'), {recursive: true})
  writeFileSync(join(caDir, 'index.txt'), '')
  writeFileSync(join(caDir, 'serial'), `${randomBytes(8).toString('hex')}\n`)
  writeFileSync(join(caDir, 'ext.cnf'), extensions)
  writeFileSync(
    join(caDir, 'ca.cnf'),
    `[ca]\ndefault_ca = local\n[local]\ndatabase = ${caDir}/index.txt\nnew_certs_dir = ${caDir}/new\nserial = ${caDir}/serial\n` +
      `default_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n`,
  )
  await openssl(
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(caDir, 'ca.cnf'),
      '-cert',
      caCert,
      '-keyfile',
      caKey,
      '-in',
      csr,
      '-out',
      pair.cert,
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200201000000Z',
      '-extfile',
      join(caDir, 'ext.cnf'),
    ],
    subject,
  )
}

async function makeCertificates(p) {
  const work = join(p.pki, 'work')
  mkdirSync(work, {recursive: true})
  await Promise.all([makeCa(p.ca, p.caKey, 'mailroom test CA'), makeCa(p.otherCa, p.otherCaKey, 'mailroom other CA')])
  const ours = {caCert: p.ca, caKey: p.caKey}
  await Promise.all([
    makeLeaf(p.server, {
      ...ours,
      subject: '/CN=localhost',
      extensions: SERVER_EXTENSIONS,
      workDir: ensureDir(join(work, 'a')),
    }),
    makeLeaf(p.client, {
      ...ours,
      subject: '/CN=mailroom-client',
      extensions: CLIENT_EXTENSIONS,
      workDir: ensureDir(join(work, 'b')),
    }),
    makeLeaf(p.otherClient, {
      caCert: p.otherCa,
      caKey: p.otherCaKey,
      subject: '/CN=mailroom-stranger',
      extensions: CLIENT_EXTENSIONS,
      workDir: ensureDir(join(work, 'c')),
    }),
  ])
  // openssl ca keeps a database: one at a time.
  await makeExpiredLeaf(p.expiredServer, {
    ...ours,
    subject: '/CN=localhost',
    extensions: SERVER_EXTENSIONS,
    workDir: ensureDir(join(work, 'd')),
  })
  await makeExpiredLeaf(p.expiredClient, {
    ...ours,
    subject: '/CN=mailroom-client',
    extensions: CLIENT_EXTENSIONS,
    workDir: ensureDir(join(work, 'e')),
  })
  rmSync(work, {recursive: true, force: true})
}

function ensureDir(dir) {
  mkdirSync(dir, {recursive: true})
  return dir
}

function writeSecret(path, text) {
  writeFileSync(path, text, {mode: 0o600})
  chmodSync(path, 0o600)
}

// --- NATS keys and JWTs ---------------------------------------------------------------------------------------

const b64url = (data) => Buffer.from(data).toString('base64url')
const textOf = (bytes) => new TextDecoder().decode(bytes)

/** A NATS JWT (v2): ed25519-nkey signature over header.claims, as nsc would write it. */
function natsJwt(signer, subject, name, nats) {
  const claims = {
    iat: Math.floor(Date.now() / 1000),
    iss: signer.getPublicKey(),
    name,
    sub: subject,
    nats: {...nats, version: 2},
  }
  const jti = createHash('sha256')
    .update(JSON.stringify(claims))
    .digest('base64url')
    .toUpperCase()
    .replace(/[^A-Z2-7]/g, 'A')
  const header = b64url(JSON.stringify({typ: 'JWT', alg: 'ed25519-nkey'}))
  const body = b64url(JSON.stringify({jti, ...claims}))
  const signature = b64url(signer.sign(new TextEncoder().encode(`${header}.${body}`)))
  return `${header}.${body}.${signature}`
}

function credsFile(jwt, seed) {
  return (
    `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
    `************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n` +
    `NKEYs are sensitive and should be treated as secrets.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`
  )
}

async function makeNatsMaterial(p) {
  const {nkeys} = await import('nats')
  const operator = nkeys.createOperator()
  const account = nkeys.createAccount()
  // JetStream in operator mode needs a system account.
  const system = nkeys.createAccount()
  const credsUser = nkeys.createUser()
  const nkeyUser = nkeys.createUser()
  const unlimited = {subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1}
  const jetstream = {mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1}
  const operatorJwt = natsJwt(operator, operator.getPublicKey(), 'mailroom-test-operator', {type: 'operator'})
  const accountJwt = natsJwt(operator, account.getPublicKey(), 'MAILROOM', {
    type: 'account',
    limits: {...unlimited, ...jetstream},
    default_permissions: {pub: {}, sub: {}},
  })
  const systemJwt = natsJwt(operator, system.getPublicKey(), 'SYS', {type: 'account', limits: unlimited})
  const userJwt = natsJwt(account, credsUser.getPublicKey(), 'mailroom-creds-user', {
    type: 'user',
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
  })
  writeFileSync(join(p.secrets, 'nats-operator.jwt'), operatorJwt)
  writeSecret(join(p.secrets, 'nats-user.creds'), credsFile(userJwt, textOf(credsUser.getSeed())))
  writeSecret(join(p.secrets, 'nats-user.nk'), `${textOf(nkeyUser.getSeed())}\n`)
  return {
    accountPublicKey: account.getPublicKey(),
    accountJwt,
    systemPublicKey: system.getPublicKey(),
    systemJwt,
    nkeyPublicKey: nkeyUser.getPublicKey(),
  }
}

// --- RabbitMQ password hash (rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password))) ---------

export function rabbitPasswordHash(password) {
  const salt = randomBytes(4)
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest()
  return Buffer.concat([salt, digest]).toString('base64')
}

// --- the fixture file tests read ----------------------------------------------------------------------------------

const password = () => randomBytes(18).toString('hex')

async function makeEverything(p) {
  rmSync(p.pki, {recursive: true, force: true})
  rmSync(p.secrets, {recursive: true, force: true})
  mkdirSync(p.pki, {recursive: true})
  mkdirSync(p.secrets, {recursive: true, mode: 0o700})
  await makeCertificates(p)
  for (const pair of [p.server, p.client, p.expiredServer, p.expiredClient, p.otherClient]) chmodSync(pair.key, 0o600)
  const secrets = {
    rabbitmqPassword: password(),
    kafkaScramPassword: password(),
    kafkaPlainPassword: password(),
    natsPassword: password(),
    natsToken: password(),
  }
  for (const [name, value] of Object.entries(secrets)) writeSecret(join(p.secrets, name), value)
  const nats = await makeNatsMaterial(p)
  const fixture = {version: VERSION, createdAt: new Date().toISOString(), nats}
  writeFileSync(p.fixture, `${JSON.stringify(fixture, null, 2)}\n`)
}

function currentFixture(p) {
  if (!existsSync(p.fixture) || !existsSync(p.server.cert)) return undefined
  try {
    const fixture = JSON.parse(readFileSync(p.fixture, 'utf8'))
    return fixture.version === VERSION ? fixture : undefined
  } catch {
    return undefined
  }
}

/** Reads a generated secret (a file named after it in secrets/). */
export function readSecret(name) {
  return readFileSync(join(securePaths().secrets, name), 'utf8')
}

let pending
/**
 * Makes the certificates and secrets unless a current set exists. Resolves {paths, fixture, fresh}; `fresh` means
 * any secured broker still running from before serves stale material and must be restarted.
 */
export function ensureMaterial() {
  pending ??= withStartLock('secure-material', async () => {
    const p = securePaths()
    const existing = currentFixture(p)
    if (existing) return {paths: p, fixture: existing, fresh: false}
    await makeEverything(p)
    return {paths: p, fixture: currentFixture(p), fresh: true}
  })
  return pending
}
