import HTML
import Testing

@Suite struct HTMLDocumentTests {
  func parse(_ text: String) -> (HTMLDocument, [UInt8]) {
    let bytes = Array(text.utf8)
    return (HTMLDocument.parse(bytes), bytes)
  }

  func text(_ bytes: [UInt8], _ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

  @Test func attributesInEveryQuotingWithTheirBytes() {
    let (document, bytes) = parse(
      "<p>x</p>\n  <IMG SRC=a.png alt='it&amp;s' title=\"t\" hidden data-x = \"1\">")
    let img = document.elements.first { $0.tag == "img" }!
    #expect(text(bytes, img.startTag) == "<IMG SRC=a.png alt='it&amp;s' title=\"t\" hidden data-x = \"1\">")
    #expect((img.line, img.column) == (2, 3))
    #expect(img.attributes.map(\.name) == ["src", "alt", "title", "hidden", "data-x"])
    #expect(img["alt"] == "it&s")
    #expect(text(bytes, img.attribute("src")!.range) == "SRC=a.png")
    #expect(text(bytes, img.attribute("alt")!.valueRange!) == "'it&amp;s'")
    #expect(text(bytes, img.attribute("title")!.range) == "title=\"t\"")
    #expect(img.attribute("hidden")!.valueRange == nil)
    #expect(text(bytes, img.attribute("hidden")!.range) == "hidden")
    #expect(text(bytes, img.attribute("data-x")!.range) == "data-x = \"1\"")
  }

  @Test func textIsNeverAnElement() {
    let (document, _) = parse(
      """
      <pre>&lt;img src="a.png"&gt;</pre><!-- <img src="b.png"> --><textarea><img src="c.png"></textarea>
      <title><img src="d.png"></title><script>var s = '<img src="e.png">';</script>
      <style>/* <img src="f.png"> */</style><iframe><img src="g.png"></iframe>
      """)
    #expect(document.elements.filter { $0.tag == "img" }.isEmpty)
  }

  @Test func templateNoscriptSVGAndAncestors() {
    let (document, bytes) = parse(
      """
      <!doctype html><html><head><title>t</title></head><body>
      <template><img src="t.png"></template>
      <noscript><img src="n.png"></noscript>
      <svg><image href="s.png"/><img src="after-svg.png"></svg>
      <a href="big.png"><picture><source srcset="a.webp" type="image/webp"><img src="a.png"></picture></a>
      </body></html>
      """)
    let images = document.elements.indices.filter { document.elements[$0].tag == "img" }
    let sources = images.map { document.elements[$0]["src"]! }
    #expect(sources.contains("t.png") && sources.contains("n.png") && sources.contains("a.png"))
    let template = images.first { document.elements[$0]["src"] == "t.png" }!
    #expect(document.elements[template].inTemplate)
    let noscript = images.first { document.elements[$0]["src"] == "n.png" }!
    #expect(document.enclosing(noscript, "noscript") != nil)
    #expect(!document.elements[noscript].inTemplate)
    let picture = images.first { document.elements[$0]["src"] == "a.png" }!
    let pictureIndex = document.enclosing(picture, "picture")!
    #expect(document.enclosing(picture, "a") != nil)
    #expect(document.children(of: pictureIndex).map { document.elements[$0].tag } == ["source", "img"])
    #expect(text(bytes, document.elements[pictureIndex].range).hasSuffix("</picture>"))
    #expect(text(bytes, document.headEndTag!) == "</head>")
    #expect(text(bytes, document.bodyEndTag!) == "</body>")
  }

  @Test func elementsInsideForeignContentAreNotRecorded() {
    let (document, _) = parse("<svg><a href=x><image href=s.png /></a></svg>")
    #expect(document.elements.filter { $0.tag == "a" || $0.tag == "img" }.isEmpty)
  }

  @Test func emptyAndBrokenInput() {
    #expect(HTMLDocument.parse([]).elements.isEmpty)
    let (document, _) = parse("<img src=\"unterminated")
    #expect(document.elements.allSatisfy { $0.tag != "img" || $0.startTag.upperBound <= 22 })
  }
}
