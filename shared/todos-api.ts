/** The todos REST API, as `amplify/backend.ts` names it in `custom.API`, and what it exports. */
export const TODOS_API = 'todosApi'

export const EXPORT_FORMATS = ['csv', 'json'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const isExportFormat = (value: unknown): value is ExportFormat => (EXPORT_FORMATS as readonly unknown[]).includes(value)
