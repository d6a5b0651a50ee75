/**
 * The one call the app makes into `qrcode` (the library the Authenticator draws its TOTP code with),
 * which ships no types of its own.
 */
declare module 'qrcode' {
  export function toDataURL(text: string, options?: { margin?: number, width?: number, errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): Promise<string>
}
