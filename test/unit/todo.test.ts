import { describe, expect, it } from 'vitest'
import { TODO_MAX_LENGTH, checkTodoContent } from '../../shared/todo'

describe('checkTodoContent', () => {
  it('accepts content and trims the spaces around it', () => {
    expect(checkTodoContent('  Buy milk ')).toEqual({ content: 'Buy milk' })
  })

  it('refuses empty and whitespace-only content with a message', () => {
    expect(checkTodoContent('').error).toMatch(/cannot be empty/)
    expect(checkTodoContent(' \n\t ').error).toMatch(/cannot be empty/)
  })

  it('accepts the longest allowed todo and refuses one character more, saying how long it is', () => {
    expect(checkTodoContent('x'.repeat(TODO_MAX_LENGTH))).toEqual({ content: 'x'.repeat(TODO_MAX_LENGTH) })
    expect(checkTodoContent('x'.repeat(TODO_MAX_LENGTH + 1)).error).toBe(`Keep it under ${TODO_MAX_LENGTH} characters: this one has ${TODO_MAX_LENGTH + 1}.`)
  })
})
