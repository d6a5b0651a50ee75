/**
 * A function imports its environment from `$amplify/env/<name>`, a module Amplify writes when it
 * synthesizes the backend (`.amplify/generated/env/`, found through `amplify/tsconfig.json`, which
 * types each variable). The app's own typecheck runs without a synth, so it sees the variables
 * every function has (Lambda's and the data API's) and any other as a string.
 */
declare module '$amplify/env/*' {
  export const env: {
    AWS_REGION: string
    AWS_ACCESS_KEY_ID: string
    AWS_SECRET_ACCESS_KEY: string
    AWS_SESSION_TOKEN: string
    AMPLIFY_DATA_DEFAULT_NAME: string
    [name: string]: string
  }
}
