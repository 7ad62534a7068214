import Foundation
import Testing

@testable import Vignette

/// Front-matter image fields, parsed by the real parsers and rewritten in place: each value
/// is found under its own key, never in another key's text.
@Suite struct FrontMatterLocatorTests {
  /// `line:text` of every front-matter reference's bytes.
  static func located(_ text: String, extraKeys: [String] = []) -> [String] {
    let source = SourceText(text)
    let post = PostScanner(extraImageKeys: extraKeys).scan(source: source, path: "p.md", relativePath: "p.md")
    #expect(post.diagnostics.isEmpty, "\(post.diagnostics)")
    return post.references.filter { $0.kind == .frontmatter }.map { reference in
      guard let range = reference.targetRange else { return "\(reference.key ?? ""): not located" }
      return "\(source.position(of: range.lowerBound).line) \(reference.key ?? "") \(source[range])"
    }
  }

  @Test("TOML: top-level keys, tables, dotted keys, inline tables and multi-line arrays")
  func toml() {
    #expect(
      Self.located(
        """
        +++
        title = "image = '/a.png' is only a title"
        image = '/a.png'
        images = [
          "/b.png",  # first
          "/a.png",
        ]
        thumbnail.src = "/x.png"
        featured_image = "/c.png"
        [cover]
        alt = "/d.png"
        image = "/d.png"
        +++
        Body
        """) == [
          "3 image /a.png", "5 images /b.png", "6 images /a.png", "9 featured_image /c.png", "12 cover.image /d.png",
        ])
    #expect(
      Self.located("+++\ncover = { alt = \"/e.png\", image = \"/e.png\" }\ndraft = true\n+++\n") == [
        "2 cover.image /e.png"
      ])
    #expect(Self.located("+++\ncover.image = \"/f.png\"\n+++\n") == ["2 cover.image /f.png"])
  }

  @Test("YAML: nesting by indentation, block and flow sequences, quoting, keys in any case")
  func yaml() {
    #expect(
      Self.located(
        """
        ---
        title: "thumbnail: /a.png"
        Thumbnail: /a.png
        images: [/b.png, "/c.png"]
        cover:
          alt: /d.png
          image: '/d.png'
        featuredImage: >-
          /e.png
        hero:
          - /f.png
          - /g.png
        ---
        Body
        """, extraKeys: ["hero"]) == [
          "3 thumbnail /a.png", "4 images /b.png", "4 images /c.png", "7 cover.image /d.png", "9 featuredImage /e.png",
          "11 hero /f.png", "12 hero /g.png",
        ])
  }

  @Test("JSON: members at their own depth")
  func json() {
    #expect(
      Self.located(
        """
        {
          "title": "\\"image\\": /a.png",
          "params": {"image": "/z.png"},
          "image": "/a.png",
          "cover": {"alt": "/b.png", "image": "/b.png"},
          "images": ["/c.png", "/a.png"]
        }
        Body
        """) == ["4 image /a.png", "5 cover.image /b.png", "6 images /c.png", "6 images /a.png"])
  }

  @Test("a value written with escapes is reported, not guessed")
  func escapedValue() {
    #expect(Self.located("+++\nimage = \"/caf\\u00e9.png\"\n+++\n") == ["image: not located"])
  }
}
