/**
 * The simulator's conversions between JSON and its Java-like template values, and its `$util`, made
 * cheaper at runtime (node_modules stay untouched). Each template of a resolver's pipeline converts
 * the whole result it sees, so a list of 50 todos went through these in every one of them:
 * - `map` (value-mapper/mapper.js) rebuilt each object once per key (`reduce` with a spread), and so
 *   does `JavaMap#toJSON`: both are now one pass;
 * - every list got a prototype object of its own (`JavaArray`'s constructor), which made every
 *   access to every list megamorphic: lists made here share `JavaArray.prototype`;
 * - `$util` was made by spreading some 30 functions into a new object for every template render,
 *   about 50 µs each; `Object.assign` makes the same object in about 2.
 *
 * The values and objects are the same as before (own data properties, the same keys in the same
 * order, the same classes); only the work is less. `$util` is replaced only if this version of the
 * simulator builds it from the same parts, checked once at start.
 */
import { createRequire } from 'node:module'

type Mapper = (value: unknown, hint?: string) => unknown
type JavaArrayClass = (new (values: unknown[], mapper: Mapper) => unknown[]) & { prototype: object }
type JavaMapClass = (new (values: Record<string, unknown>, mapper: Mapper) => { map: Map<string, unknown> }) & { prototype: { toJSON(): unknown } }

const PATCHED = Symbol.for('offline-sandbox.appsync-simulator.value-mapping')

/** The simulator's own modules, not copies a bundler might resolve from here. */
export const fromSimulator = createRequire(createRequire(import.meta.url).resolve('@aws-amplify/amplify-appsync-simulator'))

/** Applies the adjustments once per process; says whether `$util` is made the cheap way. */
export function patchValueMapping(): { util: boolean } {
  const mapperModule = fromSimulator('./velocity/value-mapper/mapper') as { map: Mapper, [PATCHED]?: { util: boolean } }
  if (mapperModule[PATCHED]) return mapperModule[PATCHED]

  const { JavaArray } = fromSimulator('./velocity/value-mapper/array') as { JavaArray: JavaArrayClass }
  const { JavaMap, createMapProxy } = fromSimulator('./velocity/value-mapper/map') as { JavaMap: JavaMapClass, createMapProxy: (map: unknown) => unknown }
  const { JavaString } = fromSimulator('./velocity/value-mapper/string') as { JavaString: new (value: string) => unknown }
  const { JavaInteger } = fromSimulator('./velocity/value-mapper/integer') as { JavaInteger: new (value: number) => unknown }
  const { JavaDecimal } = fromSimulator('./velocity/value-mapper/decimal') as { JavaDecimal: new (value: number) => unknown }
  const { toJSON } = fromSimulator('./velocity/value-mapper/to-json') as { toJSON: (value: unknown) => unknown }
  const { isPlainObject } = fromSimulator('lodash') as { isPlainObject: (value: unknown) => boolean }

  // The simulator's `map`, case for case.
  const map: Mapper = (value, hint) => {
    if (value instanceof JavaMap || value instanceof JavaArray) return value
    if (Array.isArray(value)) {
      const list = value.map(item => map(item))
      Object.setPrototypeOf(list, JavaArray.prototype)
      ;(list as unknown as { mapper: Mapper }).mapper = map
      return list
    }
    if (isPlainObject(value)) {
      // `Object.fromEntries` defines own data properties, as the spread did, `__proto__` included.
      const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, map(item)])
      return createMapProxy(new JavaMap(Object.fromEntries(entries), map))
    }
    if (typeof value === 'string') return new JavaString(value)
    if (typeof value === 'number') {
      return hint === 'integer' || (hint !== 'decimal' && Math.trunc(value) === value) ? new JavaInteger(value) : new JavaDecimal(value)
    }
    return value
  }
  // Every module of the simulator reads `mapper_1.map` at call time.
  mapperModule.map = map

  JavaMap.prototype.toJSON = function (this: InstanceType<JavaMapClass>) {
    return Object.fromEntries(Array.from(this.map, ([key, value]) => [key, toJSON(value)]))
  }

  mapperModule[PATCHED] = { util: patchUtilCreation() }
  return mapperModule[PATCHED]
}

type Create = (errors?: unknown[], now?: Date, info?: unknown, context?: unknown) => Record<string, unknown>

function patchUtilCreation(): boolean {
  const utilModule = fromSimulator('./velocity/util') as { create: Create }
  const { authUtils } = fromSimulator('./velocity/util/auth-utils') as { authUtils: (context: unknown) => object }
  const { generalUtils } = fromSimulator('./velocity/util/general-utils') as { generalUtils: object }
  const { dynamodbUtils: dynamodb } = fromSimulator('./velocity/util/dynamodb-utils') as { dynamodbUtils: object }
  const { listUtils: list } = fromSimulator('./velocity/util/list-utils') as { listUtils: object }
  const { mapUtils: map } = fromSimulator('./velocity/util/map-utils') as { mapUtils: object }
  const { transformUtils: transform } = fromSimulator('./velocity/util/transform') as { transformUtils: object }
  const { time } = fromSimulator('./velocity/util/time') as { time: () => object }
  const { str } = fromSimulator('./velocity/util/str') as { str: object }
  const { math } = fromSimulator('./velocity/util/math') as { math: object }
  const { rds } = fromSimulator('./velocity/util/rds') as { rds: object }

  const create: Create = (errors = [], now = new Date(), info, context) =>
    Object.assign({}, authUtils(context), generalUtils, { dynamodb, list, map, transform, now, errors, info, time: time(), str, math, rds })

  // The same keys, in the same order, holding the same shared parts: else this simulator builds
  // `$util` some other way, and its own `create` stays.
  const context = { requestAuthorizationMode: 'API_KEY', headers: {} }
  const theirs = utilModule.create([], new Date(0), undefined, context)
  const ours = create([], new Date(0), undefined, context)
  const same = JSON.stringify(Object.keys(theirs)) === JSON.stringify(Object.keys(ours))
    && Object.keys(ours).every(key => key === 'time' || key === 'errors' || key === 'now' || typeof ours[key] === 'function' || ours[key] === theirs[key])
  if (same) utilModule.create = create
  return same
}
