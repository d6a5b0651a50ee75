/**
 * Sign-out, on the server's side: drops what the server keeps for the session the request's cookies
 * name (its identity-pool credentials, and the Storage URLs they signed). The browser's `signOut`
 * (plugins/01.amplify-apis.client.ts) calls it first, while its cookies still name the session.
 * Only a verified session is forgotten; anything else has nothing kept. A cross-site page cannot
 * send it: a DELETE needs a CORS preflight, which this server never grants.
 */
export default defineEventHandler(async (event) => {
  await forgetSession(event)
  setResponseStatus(event, 204)
  return null
})
