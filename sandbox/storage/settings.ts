/**
 * What the local S3 takes from the synthesized backend, through the assembly reader only: every
 * bucket of the definition (each `defineStorage`, and buckets the developer's own CDK adds) with
 * its local name, CORS rules and bucket policy, and every `BucketDeployment` that fills one. The
 * data API's own buckets (codegen assets) are Amplify's deploy-time business and are left out.
 */
import type { CloudAssembly, FoundResource, Stack } from '../assembly'
import type { PolicyDocument } from '../iam'

/** One rule of a bucket's `CorsConfiguration`. */
export interface CorsRule {
  allowedOrigins: string[]
  allowedMethods: string[]
  allowedHeaders: string[]
  exposedHeaders: string[]
  maxAgeSeconds?: number
}

export interface BucketSettings {
  /** The bucket's name in this sandbox: what the outputs, ARNs and request paths say. */
  name: string
  /** `defineStorage({ name })` (`amplify:friendly-name`), else the logical id. */
  friendlyName: string
  arn: string
  /** Empty when the bucket has no CORS configuration (browsers are then refused). */
  cors: CorsRule[]
  /** The bucket's policies (`AWS::S3::BucketPolicy`): Gen 2's denies every request not over TLS. */
  policies: PolicyDocument[]
  /** One of the data API's own (model introspection, codegen assets), not the app's. */
  internal: boolean
  /** Object ACLs are accepted (ignored offline); false for BucketOwnerEnforced, S3's default since 2023. */
  aclsEnabled: boolean
}

/** A `Custom::CDKBucketDeployment`: files of the assembly copied into a bucket when it changes. */
export interface BucketDeploymentSettings {
  /** `<stack>/<logical id>`: what remembers whether it ran. */
  id: string
  bucket: string
  /** `DestinationBucketKeyPrefix`, with its trailing slash as given ('' for the bucket's root). */
  prefix: string
  sources: Array<{
    /** The asset in the assembly: a folder, or a zip file. */
    path: string
    /** `Source.data`'s deploy-time values: marker → its replacement (encoded as the source asks), in every file. */
    markers: Record<string, string>
  }>
  /** Delete what is under the prefix and not in the sources (CDK's default). */
  prune: boolean
  /** False: the sources are put as they are (zip files), not unpacked. */
  extract: boolean
  /** `aws s3 sync` filters, applied in order: excludes, then includes. */
  exclude: string[]
  include: string[]
  /** `x-amz-meta-*` for every file. */
  userMetadata: Record<string, string>
  /** `content-type`, `cache-control`, `content-disposition`... for every file. */
  systemMetadata: Record<string, string>
  /** A digest of all of the above: the deployment runs again when it changes, as CloudFormation updates it. */
  fingerprint: string
}

export interface StorageSettings {
  region: string
  buckets: BucketSettings[]
  deployments: BucketDeploymentSettings[]
  /** What could not be read or is not served, one line each. */
  problems: string[]
}

export function storageSettings(assembly: CloudAssembly): StorageSettings {
  const problems: string[] = []

  // Every bucket, the data API's own included: a function with data access reads the model
  // introspection schema from one (`getAmplifyDataClientConfig`), as it does in the cloud.
  const dataStacks = new Set(assembly.resourcesOfType('AWS::AppSync::GraphQLApi').map(api => api.stack))
  const inData = (stack: Stack): boolean => dataStacks.has(stack) || (stack.parent !== undefined && inData(stack.parent.stack))
  const buckets: BucketSettings[] = []
  for (const found of assembly.resourcesOfType('AWS::S3::Bucket')) {
    const { stack, logicalId } = found
    const name = String(assembly.ref(stack, logicalId))
    buckets.push({
      name,
      friendlyName: friendlyName(found) ?? logicalId,
      arn: String(assembly.getAttribute(stack, logicalId, 'Arn')),
      cors: corsRules(assembly.property(stack, logicalId, 'CorsConfiguration')),
      policies: [],
      internal: inData(stack),
      aclsEnabled: aclsEnabled(assembly.property(stack, logicalId, 'OwnershipControls')),
    })
  }
  const byName = new Map(buckets.map(bucket => [bucket.name, bucket]))
  for (const found of assembly.resourcesOfType('AWS::S3::BucketPolicy')) {
    try {
      const bucket = byName.get(String(assembly.property(found.stack, found.logicalId, 'Bucket')))
      const document = assembly.property(found.stack, found.logicalId, 'PolicyDocument') as PolicyDocument | undefined
      if (bucket && document && typeof document === 'object' && 'Statement' in document) bucket.policies.push(document)
    }
    catch (error) {
      problems.push(`Storage: the bucket policy ${found.logicalId} could not be read (${(error as Error).message}): it is not applied offline.`)
    }
  }

  const deployments: BucketDeploymentSettings[] = []
  for (const found of assembly.resourcesOfType('Custom::CDKBucketDeployment')) {
    try {
      const deployment = readDeployment(assembly, found)
      // Deployments into buckets nothing serves (the data API's codegen assets) have nothing to fill.
      if (!byName.has(deployment.bucket)) continue
      deployments.push(deployment)
    }
    catch (error) {
      problems.push(`Storage: the BucketDeployment ${found.logicalId} could not be read (${(error as Error).message}): its files are not copied offline.`)
    }
  }
  return { region: assembly.ids.region, buckets, deployments, problems }
}

function readDeployment(assembly: CloudAssembly, found: FoundResource): BucketDeploymentSettings {
  const property = (name: string) => assembly.property(found.stack, found.logicalId, name)
  const keys = asArray(property('SourceObjectKeys')).map(String)
  const markers = asArray(property('SourceMarkers'))
  const markersConfig = asArray(property('SourceMarkersConfig'))
  const sources = keys.map((key, i) => {
    const config = (markersConfig[i] ?? {}) as { jsonEscape?: unknown, markerEncodings?: Record<string, unknown> }
    const encoding = (marker: string) => String(config.markerEncodings?.[marker] ?? (String(config.jsonEscape) === 'true' ? 'UNQUOTED_JSON_VALUE' : 'LITERAL'))
    return {
      path: assembly.assetPath(key),
      markers: Object.fromEntries(Object.entries((markers[i] ?? {}) as Record<string, unknown>).map(([marker, value]) => [marker, encodeMarker(value, encoding(marker))])),
    }
  })
  const prefix = String(property('DestinationBucketKeyPrefix') ?? '')
  const settings: Omit<BucketDeploymentSettings, 'fingerprint'> = {
    id: `${found.stack.name}/${found.logicalId}`,
    bucket: String(property('DestinationBucketName')),
    prefix: prefix === '/' ? '' : prefix,
    sources,
    prune: String(property('Prune') ?? 'true').toLowerCase() === 'true',
    extract: String(property('Extract') ?? 'true') === 'true',
    exclude: asArray(property('Exclude')).map(String),
    include: asArray(property('Include')).map(String),
    userMetadata: lowerKeys(property('UserMetadata')),
    systemMetadata: lowerKeys(property('SystemMetadata')),
  }
  // Asset paths carry their content hash: a changed file is a changed fingerprint.
  return { ...settings, fingerprint: JSON.stringify({ ...settings, sources: keys.map((key, i) => ({ key, ...sources[i], path: undefined })) }) }
}

/** A marker's value as CDK's deployment handler writes it (`encode_marker_value`). */
export function encodeMarker(value: unknown, encoding: string): string {
  switch (encoding) {
    case 'UNQUOTED_JSON_VALUE': {
      const json = JSON.stringify(value)
      return json.startsWith('"') && json.endsWith('"') ? json.slice(1, -1) : json
    }
    case 'JSON_VALUE':
      return JSON.stringify(value)
    case 'YAML_STRING': {
      const text = String(value)
      return /^[A-Za-z][\w.-]*$/.test(text) && !['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null'].includes(text.toLowerCase()) ? text : JSON.stringify(text)
    }
    default:
      return String(value)
  }
}

function corsRules(configuration: unknown): CorsRule[] {
  const rules = asArray((configuration as { CorsRules?: unknown } | undefined)?.CorsRules)
  return rules.map((rule) => {
    const r = rule as Record<string, unknown>
    const maxAge = Number(r.MaxAge)
    return {
      allowedOrigins: asArray(r.AllowedOrigins).map(String),
      allowedMethods: asArray(r.AllowedMethods).map(String),
      allowedHeaders: asArray(r.AllowedHeaders).map(String),
      exposedHeaders: asArray(r.ExposedHeaders).map(String),
      ...(Number.isFinite(maxAge) ? { maxAgeSeconds: maxAge } : {}),
    }
  })
}

/** ACLs stay enabled only where `OwnershipControls` chooses ObjectWriter or BucketOwnerPreferred. */
function aclsEnabled(controls: unknown): boolean {
  const rules = asArray((controls as { Rules?: unknown } | undefined)?.Rules)
  return rules.some(rule => ['ObjectWriter', 'BucketOwnerPreferred'].includes(String((rule as { ObjectOwnership?: unknown }).ObjectOwnership)))
}

function friendlyName(found: FoundResource): string | undefined {
  const tags = found.resource.Properties?.Tags
  const tag = Array.isArray(tags) ? (tags as Array<{ Key?: unknown, Value?: unknown }>).find(t => t.Key === 'amplify:friendly-name')?.Value : undefined
  return typeof tag === 'string' ? tag : undefined
}

function lowerKeys(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([key, v]) => [key.toLowerCase(), String(v)]))
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
