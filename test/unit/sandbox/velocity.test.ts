import { VelocityTemplate } from '@aws-amplify/amplify-appsync-simulator'
import { beforeAll, describe, expect, it } from 'vitest'
import { LocalSimulator, type LocalExecutionContext } from '../../../sandbox/appsync/simulator'

/** The response template Gen 2 synthesizes for an owner field (`SharedDoc.editors`), as synthesized. */
const OWNER_FIELD = `## [Start] Parse owner field auth for Get. **
#if( $util.isList($ctx.source.editors) )
  #set( $ownerEntitiesList = [] )
  #set( $editors = $ctx.source.editors )
  #foreach( $entities in $editors )
    #set( $ownerEntities = $entities.split("::") )
    #set( $ownerEntitiesLastIdx = $ownerEntities.size() - 1 )
    #set( $ownerEntitiesLast = $ownerEntities[$ownerEntitiesLastIdx] )
    $util.qr($ownerEntitiesList.add($ownerEntitiesLast))
  #end
  $util.qr($ctx.source.editors.put($ownerEntitiesList))
  $util.toJson($ownerEntitiesList)
#else
  #set( $ownerEntities = $ctx.source.editors.split("::") )
  #set( $ownerEntitiesLastIdx = $ownerEntities.size() - 1 )
  #set( $ownerEntitiesLast = $ownerEntities[$ownerEntitiesLastIdx] )
  $util.qr($ctx.source.put("editors", $ownerEntitiesLast))
  $util.toJson($ctx.source.editors)
#end
## [End] Parse owner field auth for Get. **`

const request: LocalExecutionContext = { requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS', jwt: {}, headers: {}, appsyncErrors: [] }
const info = { fieldName: 'editors', parentType: { name: 'SharedDoc' }, fieldNodes: [], path: { key: 'editors', prev: { key: 'getSharedDoc' } } }

/** What a template reads of the simulator: the API's default mode. */
const api = { appSyncConfig: { defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS' } } }

describe('the simulator\'s Velocity, adjusted', () => {
  beforeAll(() => {
    // Constructing one applies the process-wide adjustments.
    void new LocalSimulator()
  })

  const render = (content: string, source: Record<string, unknown>) =>
    new VelocityTemplate({ content, path: 'test.vtl' }, api as never).render({ source, arguments: {}, stash: {} } as never, request as never, info as never)

  it('reads a list owner field back as AppSync does (aws-amplify/amplify-js#14537)', () => {
    expect(render(OWNER_FIELD, { editors: ['a1::alice', 'bob', 'c3::c3'] })).toMatchObject({ result: ['alice', 'bob', 'c3'], errors: [], hadException: false })
    expect(render(OWNER_FIELD, { editors: 'a1::alice' })).toMatchObject({ result: 'alice', errors: [], hadException: false })
  })

  it('fails a template that cannot be evaluated with a MappingTemplate error instead of a silent null', () => {
    // The engine throws a TypeError where Java's would have thrown a NullPointerException.
    const { result, errors } = render('$util.toJson($util.str.toUpper($ctx.source.missing))', {})
    expect(result).toBeNull()
    expect(errors).toEqual([expect.objectContaining({ errorType: 'MappingTemplate', message: expect.stringMatching(/^The offline sandbox could not evaluate the template of SharedDoc\.editors: /) })])
  })

  it('leaves the errors templates raise themselves as they are', () => {
    const { errors } = render('$util.error("Nope", "Custom")', {})
    expect(errors).toEqual([expect.objectContaining({ errorType: 'Custom', extensions: expect.objectContaining({ message: 'Nope' }) })])
  })
})
