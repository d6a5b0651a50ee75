import { mountSuspended } from '@nuxt/test-utils/runtime'
import { describe, expect, it } from 'vitest'
import Item from '../../components/todo/Item.vue'

const todo = { id: 't-1', content: 'Water the plants', done: false, createdAt: '2026-11-22T10:00:00.000Z', updatedAt: '2026-11-22T10:00:00.000Z' }

describe('<TodoItem>', () => {
  it('asks to toggle when its checkbox changes, and to be removed by its named delete button', async () => {
    const item = await mountSuspended(Item, { props: { todo, busy: false } })
    await item.get('input[type=checkbox]').trigger('change')
    await item.get('button[aria-label="Delete “Water the plants”"]').trigger('click')
    expect(item.emitted('toggle')).toHaveLength(1)
    expect(item.emitted('remove')).toHaveLength(1)
  })

  it('shows a done todo as done', async () => {
    const item = await mountSuspended(Item, { props: { todo: { ...todo, done: true }, busy: false } })
    expect((item.get('input[type=checkbox]').element as HTMLInputElement).checked).toBe(true)
    expect(item.classes()).toContain('done')
  })

  it('cannot be changed while a change is in flight', async () => {
    const item = await mountSuspended(Item, { props: { todo, busy: true } })
    expect(item.get('input[type=checkbox]').attributes('disabled')).toBeDefined()
    expect(item.get('button').attributes('disabled')).toBeDefined()
  })
})
