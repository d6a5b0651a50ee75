// `amplify_outputs.json` is generated (by the offline sandbox or `ampx`) and never committed, so
// its type is declared here: code type-checks the same on a fresh clone as with the file present.
declare module '~~/amplify_outputs.json' {
  const outputs: import('~~/utils/amplify-config').AmplifyOutputs
  export default outputs
}
