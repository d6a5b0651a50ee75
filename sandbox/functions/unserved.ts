/**
 * What of the backend's functions the sandbox does not run (../core/unserved.ts gathers every
 * service's lines). Every function runs offline when something invokes it (a trigger, the data API,
 * a schedule, the Lambda API): nothing to say about a function by itself; event sources are not.
 */
import type { AssemblyReader } from '../core/unserved'

/** The resource types the functions service serves or judges below. */
export const FUNCTION_RESOURCE_TYPES = [
  'AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::Lambda::LayerVersion', 'AWS::Lambda::EventSourceMapping',
  'AWS::Scheduler::ScheduleGroup', 'AWS::Scheduler::Schedule', 'AWS::Events::Rule',
]

export function functionsUnserved(reader: AssemblyReader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  // Schedules fire offline (./schedules.ts says at start which expressions it cannot); other rules are not.
  for (const found of [...assembly.resourcesOfType('AWS::Scheduler::Schedule'), ...assembly.resourcesOfType('AWS::Events::Rule')]) {
    if (typeof reader.value(found, 'ScheduleExpression') !== 'string') reader.other(found.resource.Type)
  }
  for (const found of assembly.resourcesOfType('AWS::Lambda::EventSourceMapping')) {
    lines.push(`Function ${reader.functionOf(reader.value(found, 'FunctionName')) || found.logicalId} is not triggered offline by its event source (${String(reader.value(found, 'EventSourceArn') ?? 'stream or queue')}).`)
  }
  return lines
}
