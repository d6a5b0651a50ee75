/** Who amplify/seed/seed.ts makes: the README and the tests name them too. */

/** Seeded people sign in with this password (offline and in a cloud sandbox, never in production). */
export const SEED_PASSWORD = 'Seeded-pass-1'
export const SEED_USERS = { ann: 'ann@example.com', bob: 'bob@example.com' } as const
