import Foundation
import Testing

@testable import Vignette

@Suite("scanning the example post")
struct ExampleScanTests {
  let post: ScannedPost

  init() throws {
    let path = TestSite.repositoryRoot + "/assets/posts/look-back.md"
    post = try PostScanner().scan(path: path, relativePath: "look-back.md")
  }

  @Test("finds both figures and both videos, where they are written")
  func references() {
    let found = post.references.map { "\($0.kind.rawValue) \($0.line):\($0.column) \($0.target)" }
    #expect(
      found == [
        "figure 6:1 /images/lookBack.png",
        "figure 10:1 /images/lookBackAlbum.png",
        "youtube 16:1 qnY9NL0E5ZM",
        "youtube 25:1 GBl2DSOL7bw",
      ])
    #expect(post.diagnostics.isEmpty)
  }

  @Test("the TOML front matter is parsed and the body starts after it")
  func frontMatter() {
    #expect(post.frontMatter?.format == .toml)
    #expect(post.frontMatter?.title == "Look Back")
    #expect(post.source[post.bodyStart..<(post.bodyStart + 1)] == "\n")
  }

  @Test("figure parameters and target bytes are exact")
  func figureParameters() throws {
    let figure = try #require(post.references.first)
    #expect(figure.shortcode?.value("alt") == "alt text")
    #expect(post.source[try #require(figure.targetRange)] == "/images/lookBack.png")
    let video = post.references[2]
    #expect(post.source[try #require(video.targetRange)] == "qnY9NL0E5ZM")
    #expect(video.shortcode?.value("loading") == "lazy")
  }
}

@Suite("scanning other forms")
struct ScanFormsTests {
  func scan(_ text: String) -> ScannedPost {
    PostScanner().scan(source: SourceText(text), path: "/site/posts/p.md", relativePath: "p.md")
  }

  @Test("markdown inline images with titles, and raw HTML img tags")
  func markdownAndHTML() throws {
    let post = scan(
      """
      Intro ![A *cat*](/images/cat.png "The cat") and more.

      <img alt="raw" src='/images/raw.png'>

      `![not](code.png)` and

          ![indented](code2.png)
      """)
    let found = post.references.map { "\($0.kind.rawValue) \($0.line):\($0.column) \($0.target)" }
    #expect(found == ["markdown 1:7 /images/cat.png", "html 3:1 /images/raw.png"])
    #expect(post.references.map(\.offset) == [6, 55])
    #expect(post.source[try #require(post.references[0].targetRange)] == "/images/cat.png")
    #expect(post.source[try #require(post.references[1].targetRange)] == "/images/raw.png")
  }

  @Test("a self-closed figure is an error Hugo would also fail on")
  func selfClosed() {
    let post = scan("Text.\n{{< figure src=\"/a.png\" />}}\n")
    #expect(post.references.isEmpty)
    #expect(
      post.diagnostics.map(\.description) == [
        "/site/posts/p.md:2:5: error: shortcode \"figure\" must not be self-closed (Hugo fails the build): {{< figure src=\"/a.png\" />}}"
      ])
  }

  @Test("a youtube id that is not 11 id characters is an error at the id")
  func badVideoID() {
    let post = scan("{{< youtube abc >}}\n")
    #expect(post.diagnostics.first?.line == 1)
    #expect(post.diagnostics.first?.column == 13)
    #expect(post.diagnostics.first?.message.contains("is not a YouTube video id") == true)
  }
}
