/**
 * What of an API Gateway API the local one does not serve (../core/unserved.ts gathers every
 * service's lines): a REST API's unserved settings (./settings.ts), and HTTP and WebSocket APIs.
 */
import type { AssemblyReader } from '../core/unserved'
import { restApiSettingsOf } from './settings'

/** The resource types the REST host serves or judges below. */
export const REST_RESOURCE_TYPES = [
  'AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Account', 'AWS::ApiGateway::Deployment', 'AWS::ApiGateway::Stage', 'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::Model', 'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::GatewayResponse',
  // A method that requires a key has its line (./settings.ts); keys and plans alone change nothing for a caller.
  'AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Deployment',
]

export function restUnserved(reader: AssemblyReader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  for (const found of assembly.resourcesOfType('AWS::ApiGateway::RestApi')) {
    try {
      lines.push(...restApiSettingsOf(assembly, found).unserved)
    }
    catch (error) {
      lines.push(`REST API ${String(reader.value(found, 'Name') ?? found.logicalId)} (API Gateway) is not served offline (${(error as Error).message}): calls to it fail.`)
    }
  }
  for (const found of assembly.resourcesOfType('AWS::ApiGatewayV2::Api')) {
    lines.push(`${String(reader.value(found, 'ProtocolType') ?? 'HTTP')} API ${String(reader.value(found, 'Name') ?? found.logicalId)} (API Gateway) is not served offline: calls to it go to API Gateway and fail there.`)
  }
  return lines
}
