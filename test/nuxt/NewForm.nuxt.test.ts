import { mountSuspended } from '@nuxt/test-utils/runtime'
import { describe, expect, it, vi } from 'vitest'
import NewForm from '../../components/todo/NewForm.vue'

describe('<TodoNewForm>', () => {
  it('shows why a todo was refused and keeps what was typed', async () => {
    const add = vi.fn(async () => 'Write something first: a todo cannot be empty.')
    const form = await mountSuspended(NewForm, { props: { add } })
    await form.get('input').setValue('   ')
    await form.get('form').trigger('submit')
    await vi.waitFor(() => expect(form.find('[role=alert]').exists()).toBe(true))

    expect(add).toHaveBeenCalledWith('   ')
    expect(form.get('[role=alert]').text()).toBe('Write something first: a todo cannot be empty.')
    expect((form.get('input').element as HTMLInputElement).value).toBe('   ')
    expect(form.get('input').attributes('aria-invalid')).toBe('true')
  })

  it('clears the field once the todo is saved', async () => {
    const add = vi.fn(async () => null)
    const form = await mountSuspended(NewForm, { props: { add } })
    await form.get('input').setValue('Buy milk')
    await form.get('form').trigger('submit')
    await vi.waitFor(() => expect((form.get('input').element as HTMLInputElement).value).toBe(''))

    expect(add).toHaveBeenCalledWith('Buy milk')
    expect(form.find('[role=alert]').exists()).toBe(false)
  })

  it('shows the add button as busy while saving', async () => {
    let finish!: (problem: string | null) => void
    const form = await mountSuspended(NewForm, { props: { add: () => new Promise(resolve => (finish = resolve)) } })
    await form.get('input').setValue('Slow one')
    await form.get('form').trigger('submit')

    await vi.waitFor(() => expect(form.get('button').text()).toBe('Adding…'))
    expect(form.get('button').attributes('disabled')).toBeDefined()
    finish(null)
    await vi.waitFor(() => expect(form.get('button').text()).toBe('Add'))
  })
})
