export default defineEventHandler(async (event) => {
  assertMethod(event, 'GET')
  const { userId, username, signInDetails } = await requireUser(event)
  return { userId, username, signInDetails }
})
