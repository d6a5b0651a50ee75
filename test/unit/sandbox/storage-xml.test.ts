/**
 * S3's XML both ways (sandbox/storage/xml.ts): documents as S3 writes them, and the request bodies
 * aws-amplify sends (CompleteMultipartUpload, Delete) read back, with what S3 refuses as MalformedXML.
 */
import { describe, expect, it } from 'vitest'
import { childrenNamed, childText, escapeXml, parseXml, renderXml, XmlSyntaxError } from '../../../sandbox/storage/xml'

describe('rendering', () => {
  it('writes S3\'s namespace, repeats list elements, leaves out undefined and escapes text', () => {
    const xml = renderXml('ListBucketResult', { Name: 'files.abc', Prefix: 'a&b <c>', Delimiter: undefined, IsTruncated: false, Contents: [{ Key: '"k"' }, { Key: 'it\'s' }] })
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + '<Name>files.abc</Name><Prefix>a&amp;b &lt;c&gt;</Prefix><IsTruncated>false</IsTruncated>'
      + '<Contents><Key>&quot;k&quot;</Key></Contents><Contents><Key>it&apos;s</Key></Contents></ListBucketResult>')
  })

  it('writes an error document without a namespace, and text roots', () => {
    expect(renderXml('Error', { Code: 'NoSuchKey' }, null)).toContain('<Error><Code>NoSuchKey</Code></Error>')
    expect(renderXml('LocationConstraint', 'eu-west-1')).toContain('>eu-west-1</LocationConstraint>')
    expect(escapeXml('\u0001')).toBe('&#1;')
  })
})

describe('parsing', () => {
  it('reads aws-amplify\'s CompleteMultipartUpload body, quoted ETags and all', () => {
    const body = '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + '<Part><ETag>"a54357aff0632cce46d942af68356b38"</ETag><PartNumber>1</PartNumber></Part>'
      + '<Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>'
    const root = parseXml(body)
    expect(root.name).toBe('CompleteMultipartUpload')
    expect(childrenNamed(root, 'Part').map(part => [childText(part, 'PartNumber'), childText(part, 'ETag')])).toEqual([
      ['1', '"a54357aff0632cce46d942af68356b38"'],
      ['2', '"0c78aef83f66abc1fa1e8477f296d394"'],
    ])
  })

  it('reads a Delete document with comments, CDATA, character references and prefixed names', () => {
    const root = parseXml('<!-- x --><s3:Delete xmlns:s3="x"><Quiet>true</Quiet><Object><Key><![CDATA[a<b]]>&#x263A;&#65;</Key></Object><Object/></s3:Delete>')
    expect(root.name).toBe('Delete')
    expect(childText(root, 'Quiet')).toBe('true')
    expect(childrenNamed(root, 'Object').map(object => childText(object, 'Key'))).toEqual(['a<b☺A', undefined])
  })

  it.each([
    ['unbalanced tags', '<Delete><Object></Delete>'],
    ['text after the root', '<Delete></Delete>trailing'],
    ['a bare ampersand', '<Delete><Key>a&b</Key></Delete>'],
    ['a doctype (entity expansion)', '<!DOCTYPE x [<!ENTITY a "b">]><Delete/>'],
    ['nothing', ''],
  ])('refuses %s', (_what, source) => {
    expect(() => parseXml(source)).toThrow(XmlSyntaxError)
  })
})
