/**
 * Additional checksums an upload may carry (`x-amz-checksum-<algorithm>` as a header, or named by
 * `x-amz-trailer` and sent after an `aws-chunked` body: the AWS SDK's default since 2025, aws-amplify's
 * with `checksumAlgorithm: 'crc-32'`). CRC32, SHA-1 and SHA-256 are computed while the body streams
 * and compared (BadDigest on a mismatch); CRC32C and CRC64NVME are accepted unchecked (Node has
 * neither built in). Pure apart from the hashing.
 */
import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import type { StreamDigest } from './store'

/** The checksum the request declares: the algorithm, and its value when it came as a header. */
export function declaredChecksum(headers: Record<string, string | string[] | undefined>): { algorithm: string, value?: string } | undefined {
  const trailer = headers['x-amz-trailer']
  if (typeof trailer === 'string' && trailer.toLowerCase().startsWith('x-amz-checksum-')) return { algorithm: trailer.toLowerCase().slice('x-amz-checksum-'.length) }
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type' && name !== 'x-amz-checksum-algorithm' && typeof value === 'string') {
      return { algorithm: name.slice('x-amz-checksum-'.length), value }
    }
  }
  return undefined
}

/** A digest of the body in the algorithm's base64 form, or undefined for one not checked here. */
export function checksumDigest(algorithm: string): StreamDigest | undefined {
  if (algorithm === 'crc32') {
    let value = 0
    return {
      name: algorithm,
      update: (chunk) => {
        value = crc32(chunk, value)
      },
      digest: () => {
        const bytes = Buffer.alloc(4)
        bytes.writeUInt32BE(value >>> 0)
        return bytes.toString('base64')
      },
    }
  }
  if (algorithm === 'sha1' || algorithm === 'sha256') {
    const hash = createHash(algorithm)
    return { name: algorithm, update: chunk => hash.update(chunk), digest: () => hash.digest('base64') }
  }
  return undefined
}
