/**
 * Every local service, in start order: a service may use those before it (the identity pool
 * verifies the user pool's tokens; functions are pointed at every endpoint). A new service is a
 * folder exporting one `Service` (./core/service.ts) and a line here.
 */
import { dataApiService } from './appsync/service'
import { consoleService } from './console/service'
import { userPoolService } from './cognito/service'
import { functionsService } from './functions/service'
import { identityPoolService } from './identity/service'
import { restService } from './rest/service'
import { parameterService } from './ssm/service'
import { storageService } from './storage/service'

export const SERVICES = [userPoolService, identityPoolService, parameterService, dataApiService, storageService, restService, functionsService, consoleService] as const

type AnyService = (typeof SERVICES)[number]

/** The started services, by name. */
export type Services = { [S in AnyService as S['name']]: Awaited<ReturnType<S['start']>> }
