/** Exported by amazon-cognito-identity-js but missing from its types; the part srp.test.ts uses (see its src/). */
declare module 'amazon-cognito-identity-js' {
  interface BigInteger {
    toString(radix: number): string
  }

  export class AuthenticationHelper {
    constructor(poolName: string)
    readonly N: BigInteger
    getLargeAValue(callback: (error: Error | null, A: BigInteger) => void): void
    /** A random device password, salt and verifier, derived as a user's are. */
    generateHashDevice(deviceGroupKey: string, username: string, callback: (error: Error | null) => void): void
    getRandomPassword(): string
    getSaltDevices(): string
    getVerifierDevices(): string
  }

  export class DateHelper {
    /** Now as `ddd MMM D HH:mm:ss UTC YYYY`, the TIMESTAMP of a PASSWORD_VERIFIER answer. */
    getNowString(): string
  }
}
