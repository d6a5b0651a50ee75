import { mountSuspended } from '@nuxt/test-utils/runtime'
import { describe, expect, it, vi } from 'vitest'
import TodosPage from '../../pages/todos.vue'

describe('/todos without a usable session', () => {
  it('says the session has ended and offers to try again, instead of an empty list', async () => {
    // No session in this browser: the real data client refuses before any request is made.
    const page = await mountSuspended(TodosPage)
    await vi.waitFor(() => expect(page.find('[role=alert]').exists()).toBe(true), { timeout: 10_000 })

    // The only message: the list's own failure (no second one about live updates).
    expect(page.findAll('[role=alert]').map(alert => alert.text())).toEqual([
      expect.stringMatching(/^Your todos could not be loaded: your session has ended, sign in again/),
    ])
    expect(page.get('[role=alert] button').text()).toBe('Try again')
    expect(page.text()).not.toContain('Nothing to do yet')
  })
})
