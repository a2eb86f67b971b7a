// Real-client test: drives evreg (at $EVREG_URL) with @kafkajs/confluent-schema-registry, installed under $EVREG_CLIENTS_DIR/node.
'use strict'
const assert = require('node:assert/strict')
const path = require('node:path')
const crypto = require('node:crypto')

const url = process.env.EVREG_URL
const dir = process.env.EVREG_CLIENTS_DIR
if (!url || !dir) throw new Error('EVREG_URL and EVREG_CLIENTS_DIR must be set')
const lib = require(path.join(dir, 'node', 'node_modules', '@kafkajs', 'confluent-schema-registry'))
const { SchemaRegistry, SchemaType, COMPATIBILITY } = lib
const errors = require(path.join(dir, 'node', 'node_modules', '@kafkajs', 'confluent-schema-registry', 'dist', 'errors'))

const subject = `evreg.node.${crypto.randomBytes(6).toString('hex')}`
const doc = props => JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'UserCreated',
  description: `evreg client test ${subject}`, // unique per run, so ids are this run's own
  type: 'object',
  properties: props,
  required: ['id'],
  additionalProperties: false,
})
const v1 = { type: SchemaType.JSON, schema: doc({ id: { type: 'string' }, age: { type: 'integer' } }) }
const v2 = { type: SchemaType.JSON, schema: doc({ id: { type: 'string' }, age: { type: 'integer' }, email: { type: 'string' } }) }
const bad = { type: SchemaType.JSON, schema: doc({ id: { type: 'string' }, age: { type: 'string' } }) }
// A new client per read, so each one reaches the server instead of the library's cache.
const fresh = () => new SchemaRegistry({ host: url, retry: { retries: 0 } })
const payload = { id: 'u-1', age: 42, email: 'a@example.com' }
const state = {}
// A value an earlier check produced; fails this check cleanly when that one failed.
const need = key => {
  assert.ok(state[key] !== undefined, `needs ${key} from an earlier check`)
  return state[key]
}

const checks = [
  ['register v1 (first registration: GET /config/{s} 404, POST, PUT /config/{s}) -> id', async () => {
    const { id } = await fresh().register(v1, { subject })
    assert.ok(Number.isInteger(id) && id > 0, `register returned id ${id}`)
    state.id1 = id
    const res = await fetch(`${url}/config/${subject}`)
    assert.equal(res.status, 200, 'the client did not set the subject config after the first registration')
    assert.equal((await res.json()).compatibilityLevel, 'BACKWARD')
  }],
  ['getSchema(id) gives a JSON schema that validates', async () => {
    const schema = await fresh().getSchema(need('id1'))
    assert.equal(typeof schema.isValid, 'function', 'getSchema did not return a JSON schema object')
    // isValid reports false only when given an errorHook (without one it returns true for anything).
    const paths = []
    const hook = { errorHook: p => paths.push(p) }
    assert.ok(schema.isValid({ id: 'x', age: 1 }, hook), 'valid payload rejected')
    assert.ok(!schema.isValid({ id: 'x', age: 'one' }, hook), 'invalid payload accepted')
    assert.deepEqual(paths, [['/age']])
  }],
  ['getLatestSchemaId(subject) == v1 id', async () => {
    assert.equal(await fresh().getLatestSchemaId(subject), need('id1'))
  }],
  ['getRegistryId(subject, 1) == v1 id', async () => {
    assert.equal(await fresh().getRegistryId(subject, 1), need('id1'))
  }],
  ['getRegistryIdBySchema(subject, v1) == v1 id', async () => {
    assert.equal(await fresh().getRegistryIdBySchema(subject, v1), need('id1'))
  }],
  ['register v2 (subject config now BACKWARD, matches the default option) -> new id, latest', async () => {
    const { id } = await fresh().register(v2, { subject })
    assert.notEqual(id, need('id1'), 'v2 got v1 id')
    state.id2 = id
    assert.equal(await fresh().getLatestSchemaId(subject), id)
    assert.equal(await fresh().getRegistryId(subject, 2), id)
  }],
  ['register incompatible -> HTTP 409', async () => {
    await assert.rejects(fresh().register(bad, { subject }), e => {
      assert.equal(e.status, 409, `status ${e.status}: ${e.message}`)
      return true
    })
  }],
  ['register with a mismatched compatibility option is refused by the client', async () => {
    await assert.rejects(
      fresh().register(v2, { subject, compatibility: COMPATIBILITY.FULL }),
      e => e instanceof errors.ConfluentSchemaRegistryCompatibilityError && /FULL != BACKWARD/.test(e.message),
    )
  }],
  ['encode(id, payload) -> 0x00 + big-endian id + JSON', async () => {
    const buf = await fresh().encode(need('id2'), payload)
    assert.equal(buf[0], 0, 'magic byte')
    assert.equal(buf.readInt32BE(1), need('id2'), 'framed schema id')
    assert.deepEqual(JSON.parse(buf.subarray(5).toString()), payload)
    state.buf = buf
  }],
  ['decode(buffer) deep-equals the payload', async () => {
    assert.deepEqual(await fresh().decode(need('buf')), payload)
  }],
  ['encode of an invalid payload throws a validation error', async () => {
    await assert.rejects(fresh().encode(need('id2'), { id: 'u-1', age: 'old' }), errors.ConfluentSchemaRegistryValidationError)
    await assert.rejects(fresh().encode(need('id2'), { age: 1 }), errors.ConfluentSchemaRegistryValidationError)
  }],
]

;(async () => {
  let failed = 0
  for (const [name, fn] of checks) {
    try {
      await fn()
      console.log(`ok   ${name}`)
    } catch (e) {
      failed++
      console.log(`FAIL ${name}: ${e && e.name}: ${e && e.message}`)
    }
  }
  console.log(`node: ${checks.length - failed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
})()
