/**
 * The real AWS SDK's S3 client on the offline sandbox's Storage, with the sandbox's admin
 * credentials: how a test looks past the app at what the buckets really hold.
 */
import { Agent } from 'node:https'
import { join } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { fromIni } from '@aws-sdk/credential-provider-ini'

export interface Credentials { accessKeyId: string, secretAccessKey: string, sessionToken?: string }

/** The sandbox's admin credentials, from its shared credentials file (as a developer's script reads them). */
export async function adminCredentials(dataDir: string): Promise<Credentials> {
  // Read afresh: a reset sandbox has new ones.
  return fromIni({ filepath: join(dataDir, 'admin-credentials'), profile: 'amplify-sandbox', ignoreCache: true })()
}

/** The real AWS SDK's S3 client on the local endpoint (path-style, trusting the sandbox's certificate, no retries). */
export function s3Client(endpoint: string, ca: string, credentials: Credentials, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: `https://${endpoint}`, forcePathStyle: true, credentials, maxAttempts: 1, requestHandler: { httpsAgent: new Agent({ ca }) }, ...extra })
}
