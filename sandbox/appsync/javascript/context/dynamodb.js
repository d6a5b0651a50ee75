/**
 * `@aws-appsync/utils/dynamodb` for APPSYNC_JS code offline, evaluated inside the code's node:vm
 * context after ./utils.js (whose typed values and filter expressions it uses): `get`, `put`,
 * `remove`, `update` (with `operations`), `query` and `scan` build the request objects of AppSync's
 * DynamoDB data source (GetItem, PutItem, DeleteItem, UpdateItem, Query, Scan). Placeholder names
 * differ from AppSync's (`#field`, `:field_op`), the expressions mean the same.
 *
 * `update` takes AppSync's update object: a plain value sets its attribute, a nested plain object
 * updates only the keys it names, and the `operations` helpers do the rest: `add` and `replace`
 * set, `remove` removes, `increment`/`decrement` add a number (creating it from 0), `append` and
 * `prepend` extend a list (creating it empty), `updateListItem` sets one list element.
 */
'use strict'
;(() => {
  const sandbox = globalThis.__appsync
  const { expressionBuilder, toConditionSection } = sandbox.internal
  const { util } = sandbox.modules['@aws-appsync/utils']
  const { toMapValues } = util.dynamodb

  const isOperation = value => value !== null && typeof value === 'object' && typeof value._type === 'string'
  const isPlainObject = value => value !== null && typeof value === 'object' && !Array.isArray(value)
  /** The request fields that are set, without the undefined ones. */
  const defined = fields => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null))

  const operations = {
    add: value => ({ _type: 'add', value }),
    remove: () => ({ _type: 'remove' }),
    replace: value => ({ _type: 'replace', value }),
    increment: (by = 1) => ({ _type: 'increment', by }),
    decrement: (by = 1) => ({ _type: 'decrement', by }),
    append: items => ({ _type: 'append', items }),
    prepend: items => ({ _type: 'prepend', items }),
    updateListItem: (value, index) => ({ _type: 'updateListItem', value, index }),
  }

  function updateSection(update, used) {
    const builder = expressionBuilder(used)
    const clauses = { SET: [], REMOVE: [], ADD: [] }
    const walk = (object, path) => {
      for (const key of Object.keys(object)) {
        const value = object[key]
        if (value === undefined) continue
        const target = [...path, builder.name(key)].join('.')
        const hint = key
        if (isOperation(value)) {
          operation(target, hint, value)
        }
        else if (Array.isArray(value) && value.length && value.every(item => isOperation(item) && item._type === 'updateListItem')) {
          for (const item of value) operation(target, hint, item)
        }
        else if (isPlainObject(value)) {
          walk(value, [...path, builder.name(key)])
        }
        else {
          clauses.SET.push(`${target} = ${builder.value(value, hint)}`)
        }
      }
    }
    const operation = (target, hint, op) => {
      switch (op._type) {
        case 'add':
        case 'replace':
          return clauses.SET.push(`${target} = ${builder.value(op.value, hint)}`)
        case 'remove':
          return clauses.REMOVE.push(target)
        case 'increment':
          return clauses.ADD.push(`${target} ${builder.value(op.by, hint)}`)
        case 'decrement':
          return clauses.ADD.push(`${target} ${builder.value(-op.by, hint)}`)
        case 'append':
          return clauses.SET.push(`${target} = list_append(if_not_exists(${target}, ${builder.value([], `${hint}_empty`)}), ${builder.value(op.items, hint)})`)
        case 'prepend':
          return clauses.SET.push(`${target} = list_append(${builder.value(op.items, hint)}, if_not_exists(${target}, ${builder.value([], `${hint}_empty`)}))`)
        case 'updateListItem':
          return clauses.SET.push(`${target}[${Number(op.index)}] = ${builder.value(op.value, hint)}`)
        default:
          throw new TypeError(`Unknown update operation ${op._type}`)
      }
    }
    walk(update ?? {}, [])
    const expression = Object.keys(clauses).filter(kind => clauses[kind].length).map(kind => `${kind} ${clauses[kind].join(', ')}`).join(' ')
    if (!expression) throw new TypeError('update() needs at least one attribute to change')
    return builder.section(expression)
  }

  const KEY_OPERATORS = new Set(['eq', 'lt', 'le', 'gt', 'ge', 'between', 'beginsWith'])

  function keyConditionSection(query, used) {
    const builder = expressionBuilder(used)
    const parts = []
    for (const field of Object.keys(query ?? {})) {
      const operators = query[field]
      if (!isPlainObject(operators)) throw new TypeError(`The key condition on ${field} needs an operator object, such as { eq: value }`)
      for (const op of Object.keys(operators)) {
        if (!KEY_OPERATORS.has(op)) throw new TypeError(`${op} cannot be used in a key condition (on ${field})`)
        const operand = operators[op]
        const name = builder.name(field)
        const hint = `${field}_${op}`
        if (op === 'between') parts.push(`${name} BETWEEN ${builder.value(operand[0], hint)} AND ${builder.value(operand[1], hint)}`)
        else if (op === 'beginsWith') parts.push(`begins_with(${name}, ${builder.value(operand, hint)})`)
        else parts.push(`${name} ${{ eq: '=', lt: '<', le: '<=', gt: '>', ge: '>=' }[op]} ${builder.value(operand, hint)}`)
      }
    }
    if (!parts.length) throw new TypeError('query() needs a key condition, such as { id: { eq: value } }')
    return builder.section(parts.join(' AND '))
  }

  function get({ key, consistentRead } = {}) {
    return defined({ operation: 'GetItem', key: toMapValues(key), consistentRead })
  }

  function put({ key, item, condition, customPartitionKey, populateIndexFields, _version } = {}) {
    return defined({
      operation: 'PutItem',
      key: toMapValues(key),
      attributeValues: toMapValues(item),
      condition: toConditionSection(condition),
      customPartitionKey,
      populateIndexFields,
      _version,
    })
  }

  function remove({ key, condition, customPartitionKey, populateIndexFields, _version } = {}) {
    return defined({ operation: 'DeleteItem', key: toMapValues(key), condition: toConditionSection(condition), customPartitionKey, populateIndexFields, _version })
  }

  function update({ key, update, condition, customPartitionKey, populateIndexFields, _version } = {}) {
    const used = new Set()
    return defined({
      operation: 'UpdateItem',
      key: toMapValues(key),
      update: updateSection(update, used),
      condition: toConditionSection(condition, used),
      customPartitionKey,
      populateIndexFields,
      _version,
    })
  }

  function query({ query, filter, index, nextToken, limit, scanIndexForward, consistentRead, select } = {}) {
    const used = new Set()
    return defined({
      operation: 'Query',
      query: keyConditionSection(query, used),
      filter: toConditionSection(filter, used),
      index,
      nextToken,
      limit,
      scanIndexForward,
      consistentRead,
      select,
    })
  }

  function scan({ filter, index, nextToken, limit, consistentRead, segment, totalSegments, select } = {}) {
    return defined({ operation: 'Scan', filter: toConditionSection(filter), index, nextToken, limit, consistentRead, segment, totalSegments, select })
  }

  const sync = () => {
    throw new TypeError('sync() (Delta Sync) is not supported by the offline sandbox')
  }

  sandbox.modules['@aws-appsync/utils/dynamodb'] = Object.freeze({ get, put, remove, update, query, scan, sync, operations })
})()
