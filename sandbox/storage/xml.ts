/**
 * S3's XML, both ways: documents rendered from plain values (with S3's namespace and escaping), and
 * the two request bodies the sandbox reads (CompleteMultipartUpload, Delete) parsed into elements.
 * The parser knows elements, text, the five named entities and character references, and skips
 * the declaration, comments and attributes; anything else (a DOCTYPE, unbalanced tags, nesting
 * deeper than any S3 document goes) is refused, as S3 refuses it with MalformedXML. Pure.
 *
 * Hand-written rather than fast-xml-parser, which is in the lockfile only as a dependency of
 * @aws-amplify/storage, not of the project: two small documents need no more than this.
 */

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

/** A value to render: text, a number or boolean, a nested element, or a list of repeated elements. */
export type XmlValue = string | number | boolean | undefined | XmlElement | XmlElement[]
export interface XmlElement { [name: string]: XmlValue | XmlValue[] }

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&apos;' })[c]!)
    // Characters XML 1.0 cannot carry at all; S3 refuses keys with them anyway.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, c => `&#${c.charCodeAt(0)};`)
}

/**
 * `<root xmlns="…">…</root>` with the declaration: child elements (`undefined` values left out,
 * arrays repeating the element), or text.
 */
export function renderXml(root: string, content: XmlElement | string, namespace: string | null = S3_NAMESPACE): string {
  const inner = typeof content === 'string' ? escapeXml(content) : renderChildren(content)
  return `${DECLARATION}<${root}${namespace ? ` xmlns="${namespace}"` : ''}>${inner}</${root}>`
}

function renderChildren(content: XmlElement): string {
  let out = ''
  for (const [name, value] of Object.entries(content)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue
      out += typeof item === 'object' ? `<${name}>${renderChildren(item as XmlElement)}</${name}>` : `<${name}>${escapeXml(String(item))}</${name}>`
    }
  }
  return out
}

/** A parsed element: its name, its text (children's text excluded) and its child elements in order. */
export interface ParsedElement {
  name: string
  text: string
  children: ParsedElement[]
}

export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError'
}

/**
 * Elements nest at most this deep. S3's request documents go three levels down; the reader recurses
 * per level, so a body of a few thousand nested tags would otherwise exhaust the stack.
 */
export const MAX_XML_DEPTH = 64

/** The document's root element; throws `XmlSyntaxError` for anything that is not well-formed. */
export function parseXml(source: string): ParsedElement {
  let at = 0
  const fail = (why: string): never => {
    throw new XmlSyntaxError(`${why} at ${at}`)
  }
  const skipMisc = () => {
    for (;;) {
      while (/\s/.test(source[at] ?? '')) at++
      if (source.startsWith('<?', at)) {
        const end = source.indexOf('?>', at)
        if (end < 0) fail('unterminated declaration')
        at = end + 2
      }
      else if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at)
        if (end < 0) fail('unterminated comment')
        at = end + 3
      }
      else return
    }
  }
  const element = (depth: number): ParsedElement => {
    if (depth > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH}`)
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(source.slice(at, at + 4096))
    if (!open) return fail('expected an element')
    at += open[0].length
    const name = open[1]!.replace(/^.*:/, '')
    const node: ParsedElement = { name, text: '', children: [] }
    if (open[3] === '/') return node
    for (;;) {
      const next = source.indexOf('<', at)
      if (next < 0) fail(`unterminated <${name}>`)
      node.text += decodeEntities(source.slice(at, next), fail)
      at = next
      if (source.startsWith('</', at)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(at, at + 512))
        if (!close || close[1]!.replace(/^.*:/, '') !== name) fail(`mismatched </${close?.[1] ?? ''}> for <${name}>`)
        at += close![0].length
        return node
      }
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at)
        if (end < 0) fail('unterminated comment')
        at = end + 3
      }
      else if (source.startsWith('<![CDATA[', at)) {
        const end = source.indexOf(']]>', at)
        if (end < 0) fail('unterminated CDATA')
        node.text += source.slice(at + 9, end)
        at = end + 3
      }
      else if (source.startsWith('<!', at) || source.startsWith('<?', at)) {
        fail('declarations are not allowed inside elements')
      }
      else {
        node.children.push(element(depth + 1))
      }
    }
  }
  skipMisc()
  const root = element(1)
  skipMisc()
  if (at !== source.length) fail('content after the root element')
  return root
}

function decodeEntities(text: string, fail: (why: string) => never): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);|&/g, (match, entity: string | undefined) => {
    if (!entity) return fail('a bare & in text')
    if (entity.startsWith('#')) {
      const code = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1))
      if (!Number.isInteger(code) || code > 0x10FFFF) return fail(`bad character reference ${match}`)
      return String.fromCodePoint(code)
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' } as Record<string, string>)[entity]!
  })
}

/** The children of `element` named `name`. */
export function childrenNamed(element: ParsedElement, name: string): ParsedElement[] {
  return element.children.filter(child => child.name === name)
}

/** The text of the first child named `name`, or undefined. */
export function childText(element: ParsedElement, name: string): string | undefined {
  return element.children.find(child => child.name === name)?.text
}
