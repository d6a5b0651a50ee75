import { describe, expect, it } from 'vitest'
import { toCsv } from '../../amplify/functions/shared/csv'

describe('the todo export\'s CSV', () => {
  it('quotes what needs quoting and defuses formulas, one CRLF line per todo', () => {
    const csv = toCsv(['content', 'done'], [
      { content: 'plain', done: false },
      { content: 'milk, eggs', done: true },
      { content: 'say "hi"\nthen leave', done: false },
      { content: '=HYPERLINK("http://evil")', done: false },
    ])
    expect(csv).toBe([
      'content,done',
      'plain,false',
      '"milk, eggs",true',
      '"say ""hi""\nthen leave",false',
      '"\'=HYPERLINK(""http://evil"")",false',
      '',
    ].join('\r\n'))
  })
})
