/**
 * `@aws-appsync/utils` for APPSYNC_JS code offline: evaluated inside the code's node:vm context
 * after ./runner.js, from JavaScript's built-ins only (see runner.js for why). The subset the
 * Gen 2 docs and AppSync's JavaScript samples use:
 * - `util.autoId`, `util.autoUlid`, `util.time.nowISO8601 / nowEpochSeconds / nowEpochMilliSeconds /
 *   parseISO8601ToEpochMilliSeconds / epochMilliSecondsToSeconds / epochMilliSecondsToISO8601`;
 * - `util.error(message, type, data, errorInfo)`, `util.appendError`, `util.unauthorized()`,
 *   `util.authType()`;
 * - `util.isNull / isNullOrEmpty / isNullOrBlank / defaultIfNull / defaultIfNullOrEmpty /
 *   defaultIfNullOrBlank / isString / isNumber / isBoolean / isList / isMap / typeOf / matches`;
 * - `util.dynamodb.toDynamoDB / toMapValues / toString / toNumber / toBoolean / toNull / toList /
 *   toMap / toStringSet / toNumberSet / toBinary / toBinarySet / toS3Object`, and the JSON forms
 *   `toDynamoDBJson` and `toMapValuesJson`; numbers stay numbers (`{ N: 5 }`), as AppSync's do;
 * - `util.str.toUpper / toLower / toReplace / normalize`, `util.urlEncode / urlDecode /
 *   base64Encode / base64Decode`, `util.math.roundNum / minVal / maxVal / randomDouble /
 *   randomWithinRange`;
 * - `util.transform.toDynamoDBFilterExpression / toDynamoDBConditionExpression` (JSON text);
 * - `runtime.earlyReturn(value, { skipTo })`.
 * Anything else of the real module (`util.time.nowFormatted`, `util.http`, `util.xml`,
 * `extensions.*`, `util.rds`, ...) fails its handler with a `Code` error that says so.
 */
'use strict'
;(() => {
  const sandbox = globalThis.__appsync
  const { state, SentError, Unauthorized, EarlyReturn } = sandbox
  const { stringify } = JSON

  const notOffline = name => () => {
    throw new TypeError(`${name} is not supported by the offline sandbox`)
  }
  const stubs = (prefix, names) => Object.fromEntries(names.map(name => [name, notOffline(`${prefix}.${name}`)]))

  // Random ids ---------------------------------------------------------------------------------
  // xoshiro128** seeded per call from the sandbox's crypto (state.seed): unique ids, no host object.

  function nextUint32() {
    const s = state.seed
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }
  const rotl = (x, k) => (x << k) | (x >>> (32 - k))
  const randomBytes = (count) => {
    const bytes = []
    while (bytes.length < count) {
      const word = nextUint32()
      bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24)
    }
    return bytes.slice(0, count)
  }
  const hex = byte => (byte + 0x100).toString(16).slice(1)

  function autoId() {
    const b = randomBytes(16)
    b[6] = (b[6] & 0x0f) | 0x40
    b[8] = (b[8] & 0x3f) | 0x80
    const h = b.map(hex).join('')
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }

  const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  function autoUlid() {
    let time = Date.now()
    let out = ''
    for (let i = 0; i < 10; i++) {
      out = CROCKFORD[time % 32] + out
      time = Math.floor(time / 32)
    }
    for (let i = 0; i < 16; i++) out += CROCKFORD[nextUint32() % 32]
    return out
  }

  // DynamoDB typed values ----------------------------------------------------------------------

  const isPlainObject = value => value !== null && typeof value === 'object' && !Array.isArray(value)

  function toDynamoDB(value) {
    if (value === null || value === undefined) return { NULL: null }
    if (typeof value === 'string') return { S: value }
    if (typeof value === 'number') return { N: value }
    if (typeof value === 'boolean') return { BOOL: value }
    if (Array.isArray(value)) return { L: value.map(toDynamoDB) }
    if (typeof value === 'object') return { M: toMapValues(value) }
    throw new TypeError(`util.dynamodb.toDynamoDB cannot convert a ${typeof value}`)
  }
  function toMapValues(object) {
    const out = {}
    for (const key of Object.keys(object ?? {})) {
      if (object[key] !== undefined) out[key] = toDynamoDB(object[key])
    }
    return out
  }

  const dynamodb = {
    toDynamoDB,
    toDynamoDBJson: value => stringify(toDynamoDB(value)),
    toMapValues,
    toMapValuesJson: object => stringify(toMapValues(object)),
    toString: value => ({ S: String(value) }),
    toNumber: value => ({ N: Number(value) }),
    toBoolean: value => ({ BOOL: Boolean(value) }),
    toNull: () => ({ NULL: null }),
    toList: list => ({ L: [...list].map(toDynamoDB) }),
    toMap: object => ({ M: toMapValues(object) }),
    toStringSet: list => ({ SS: [...list].map(String) }),
    toNumberSet: list => ({ NS: [...list].map(Number) }),
    toBinary: value => ({ B: value }),
    toBinarySet: list => ({ BS: [...list] }),
    toS3Object: (key, bucket, region, version) => ({ S: stringify({ s3: { key, bucket, region, ...(version === undefined ? {} : { version }) } }) }),
    fromS3ObjectJson: notOffline('util.dynamodb.fromS3ObjectJson'),
  }

  // Condition and filter expressions -----------------------------------------------------------
  // AppSync's filter objects ({ field: { eq: 1 }, or: [...], not: {...} }) as DynamoDB
  // expressions; shared with ./dynamodb.js through __appsync.internal.

  /** Placeholders for one request; `used` is shared by its sections (the data source merges their values). */
  function expressionBuilder(used = new Set()) {
    const names = {}
    const values = {}
    const nameFor = new Map()
    const fresh = (prefix, base) => {
      const clean = String(base).replace(/[^A-Za-z0-9_]/g, '_') || 'v'
      let candidate = `${prefix}${clean}`
      for (let i = 1; used.has(candidate); i++) candidate = `${prefix}${clean}_${i}`
      used.add(candidate)
      return candidate
    }
    return {
      used,
      name(attribute) {
        if (!nameFor.has(attribute)) {
          const placeholder = fresh('#', attribute)
          names[placeholder] = attribute
          nameFor.set(attribute, placeholder)
        }
        return nameFor.get(attribute)
      },
      value(value, hint) {
        const placeholder = fresh(':', hint)
        values[placeholder] = toDynamoDB(value)
        return placeholder
      },
      section(expression) {
        return {
          expression,
          ...(Object.keys(names).length ? { expressionNames: names } : {}),
          ...(Object.keys(values).length ? { expressionValues: values } : {}),
        }
      },
    }
  }

  const COMPARISONS = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' }

  /** One field's operators, e.g. `{ gt: 1, lt: 5 }`, joined with AND. */
  function fieldCondition(builder, field, operators, subject = builder.name(field)) {
    if (!isPlainObject(operators)) throw new TypeError(`The condition on ${field} needs an operator object, such as { eq: value }`)
    const parts = []
    for (const op of Object.keys(operators)) {
      const operand = operators[op]
      if (operand === undefined) continue
      const hint = `${field}_${op}`
      if (COMPARISONS[op]) parts.push(`${subject} ${COMPARISONS[op]} ${builder.value(operand, hint)}`)
      else if (op === 'between') parts.push(`${subject} BETWEEN ${builder.value(operand[0], hint)} AND ${builder.value(operand[1], hint)}`)
      else if (op === 'beginsWith') parts.push(`begins_with(${subject}, ${builder.value(operand, hint)})`)
      else if (op === 'contains') parts.push(`contains(${subject}, ${builder.value(operand, hint)})`)
      else if (op === 'notContains') parts.push(`NOT contains(${subject}, ${builder.value(operand, hint)})`)
      else if (op === 'attributeExists') parts.push(`${operand ? 'attribute_exists' : 'attribute_not_exists'}(${subject})`)
      else if (op === 'attributeType') parts.push(`attribute_type(${subject}, ${builder.value(operand, hint)})`)
      else if (op === 'in') parts.push(`${subject} IN (${[...operand].map(item => builder.value(item, hint)).join(', ')})`)
      else if (op === 'size') parts.push(fieldCondition(builder, `${field}_size`, operand, `size(${subject})`))
      else throw new TypeError(`Unknown condition operator ${op} on ${field}`)
    }
    return joinAll(parts, 'AND')
  }

  const joinAll = (parts, joiner) => (parts.length > 1 ? parts.map(part => `(${part})`).join(` ${joiner} `) : (parts[0] ?? ''))

  /** A filter object as one expression string; '' when it asks nothing. */
  function conditionExpression(builder, filter) {
    const parts = []
    for (const key of Object.keys(filter ?? {})) {
      const value = filter[key]
      if (value === undefined || value === null) continue
      if (key === 'and' || key === 'or') {
        const inner = [].concat(value).map(sub => conditionExpression(builder, sub)).filter(Boolean)
        if (inner.length) parts.push(joinAll(inner, key.toUpperCase()))
      }
      else if (key === 'not') {
        const inner = joinAll([].concat(value).map(sub => conditionExpression(builder, sub)).filter(Boolean), 'AND')
        if (inner) parts.push(`NOT (${inner})`)
      }
      else {
        parts.push(fieldCondition(builder, key, value))
      }
    }
    return joinAll(parts.filter(Boolean), 'AND')
  }

  /** `{ expression, expressionNames?, expressionValues? }` for a filter or condition object; undefined when it asks nothing. */
  function toConditionSection(filter, used) {
    if (filter === undefined || filter === null) return undefined
    const builder = expressionBuilder(used)
    const expression = conditionExpression(builder, filter)
    return expression ? builder.section(expression) : undefined
  }
  sandbox.internal.expressionBuilder = expressionBuilder
  sandbox.internal.toConditionSection = toConditionSection

  // Text and numbers ---------------------------------------------------------------------------

  const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  function base64Encode(text) {
    // UTF-8 bytes as a binary string (unescape/encodeURIComponent are the built-ins this realm has).
    const bytes = unescape(encodeURIComponent(String(text)))
    let out = ''
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes.charCodeAt(i) << 16) | ((bytes.charCodeAt(i + 1) || 0) << 8) | (bytes.charCodeAt(i + 2) || 0)
      out += BASE64[n >>> 18] + BASE64[(n >>> 12) & 63]
      out += i + 1 < bytes.length ? BASE64[(n >>> 6) & 63] : '='
      out += i + 2 < bytes.length ? BASE64[n & 63] : '='
    }
    return out
  }
  function base64Decode(text) {
    const clean = String(text).replace(/[^A-Za-z0-9+/]/g, '')
    let bytes = ''
    for (let i = 0; i < clean.length; i += 4) {
      const n = [0, 1, 2, 3].reduce((sum, k) => (sum << 6) | Math.max(BASE64.indexOf(clean[i + k] ?? 'A'), 0), 0)
      bytes += String.fromCharCode(n >>> 16)
      if (i + 2 < clean.length) bytes += String.fromCharCode((n >>> 8) & 255)
      if (i + 3 < clean.length) bytes += String.fromCharCode(n & 255)
    }
    return decodeURIComponent(escape(bytes))
  }

  const isNullOrEmpty = (value) => {
    if (value === null || value === undefined) return true
    if (typeof value === 'string' || Array.isArray(value)) return value.length === 0
    if (typeof value === 'object') return Object.keys(value).length === 0
    return false
  }
  const isNullOrBlank = value => value === null || value === undefined || (typeof value === 'string' ? value.trim() === '' : isNullOrEmpty(value))

  const sentError = (message, type, data, errorInfo) => new SentError(String(message), type ?? null, data ?? null, errorInfo ?? null)

  const util = {
    autoId,
    autoUlid,
    autoKsuid: notOffline('util.autoKsuid'),
    error(message, type, data, errorInfo) {
      throw sentError(message, type, data, errorInfo)
    },
    appendError(message, type, data, errorInfo) {
      const error = sentError(message, type, data, errorInfo)
      state.errors.push({ message: error.message, type: error.type, data: error.data, errorInfo: error.errorInfo })
    },
    unauthorized() {
      throw new Unauthorized()
    },
    authType: () => state.authType,
    isNull: value => value === null || value === undefined,
    isNullOrEmpty,
    isNullOrBlank,
    defaultIfNull: (value, fallback) => (value === null || value === undefined ? fallback : value),
    defaultIfNullOrEmpty: (value, fallback) => (isNullOrEmpty(value) ? fallback : value),
    defaultIfNullOrBlank: (value, fallback) => (isNullOrBlank(value) ? fallback : value),
    isString: value => typeof value === 'string',
    isNumber: value => typeof value === 'number',
    isBoolean: value => typeof value === 'boolean',
    isList: value => Array.isArray(value),
    isMap: value => isPlainObject(value),
    typeOf(value) {
      if (value === null || value === undefined) return 'Null'
      if (Array.isArray(value)) return 'List'
      if (typeof value === 'object') return 'Map'
      return { number: 'Number', string: 'String', boolean: 'Boolean' }[typeof value] ?? 'Object'
    },
    matches: (pattern, value) => new RegExp(pattern).test(String(value)),
    urlEncode: value => encodeURIComponent(String(value)).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    urlDecode: value => decodeURIComponent(String(value).replace(/\+/g, ' ')),
    base64Encode,
    base64Decode,
    escapeJavaScript: value => stringify(String(value)).slice(1, -1),
    time: {
      nowISO8601: () => new Date().toISOString(),
      nowEpochSeconds: () => Math.floor(Date.now() / 1000),
      nowEpochMilliSeconds: () => Date.now(),
      parseISO8601ToEpochMilliSeconds: value => Date.parse(value),
      epochMilliSecondsToSeconds: value => Math.floor(value / 1000),
      epochMilliSecondsToISO8601: value => new Date(value).toISOString(),
      nowFormatted: notOffline('util.time.nowFormatted'),
      parseFormattedToEpochMilliSeconds: notOffline('util.time.parseFormattedToEpochMilliSeconds'),
      epochMilliSecondsToFormatted: notOffline('util.time.epochMilliSecondsToFormatted'),
    },
    str: {
      toUpper: value => String(value).toUpperCase(),
      toLower: value => String(value).toLowerCase(),
      toReplace: (value, find, replacement) => String(value).split(find).join(replacement),
      normalize: (value, form) => String(value).normalize(form),
    },
    math: {
      roundNum: value => Math.round(value),
      minVal: (a, b) => Math.min(a, b),
      maxVal: (a, b) => Math.max(a, b),
      randomDouble: () => nextUint32() / 0x100000000,
      randomWithinRange: (min, max) => min + (nextUint32() % (max - min + 1)),
    },
    dynamodb,
    transform: {
      toDynamoDBFilterExpression: filter => stringify(toConditionSection(filter) ?? null),
      toDynamoDBConditionExpression: condition => stringify(toConditionSection(condition) ?? null),
      toSubscriptionFilter: notOffline('util.transform.toSubscriptionFilter'),
      toElasticsearchQueryDSL: notOffline('util.transform.toElasticsearchQueryDSL'),
    },
    http: stubs('util.http', ['copyHeaders', 'addResponseHeader', 'addResponseHeaders']),
    xml: stubs('util.xml', ['toMap', 'toJsonString']),
  }

  const runtime = {
    earlyReturn(value, options) {
      throw new EarlyReturn(value === undefined ? null : value, options?.skipTo === 'END' ? 'END' : 'NEXT')
    },
  }

  const extensions = stubs('extensions', ['setSubscriptionFilter', 'setSubscriptionInvalidationFilter', 'invalidateSubscriptions', 'evictFromApiCache'])

  sandbox.modules['@aws-appsync/utils'] = Object.freeze({ util, runtime, extensions })
})()
