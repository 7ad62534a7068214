import Foundation
import Testing

@testable import Vignette

/// YAML front matter that sets a key twice in one mapping: Hugo accepts it and takes the last
/// value (PaperMod's example site has such a post); Vignette does the same, with a warning at
/// the repeat that names both lines, and rewrites the value Hugo uses.
@Suite struct FrontMatterDuplicateKeyTests {
  static func scan(_ text: String) -> ScannedPost {
    PostScanner(extraImageKeys: []).scan(source: SourceText(text), path: "p.md", relativePath: "p.md")
  }

  static let post = """
    ---
    title: first
    image: /one.png
    tags: [a]
    title: second
    cover:
      image: /a.png
      alt: A
    cover:
      alt: B
    image: /two.png
    ---
    Body

    """

  @Test("the last value wins, also for a whole mapping; a warning at each repeat names both lines")
  func lastValueWins() throws {
    let post = Self.scan(Self.post)
    let values = try #require(try FrontMatter.find(in: SourceText(Self.post))?.values)
    #expect(values["title"] == .string("second"))
    #expect(values["image"] == .string("/two.png"))
    #expect(values["cover"] == .table(["alt": .string("B")]), "a repeated mapping replaces the first whole")
    #expect(values["tags"] == .array([.string("a")]))
    #expect(
      post.diagnostics.map(\.description) == [
        "p.md:5:1: warning: front matter key \"title\" is set on line 2 and again here, on line 5; Hugo takes the last one and ignores line 2, and so does Vignette",
        "p.md:9:1: warning: front matter key \"cover\" is set on line 6 and again here, on line 9; Hugo takes the last one and ignores line 6, and so does Vignette",
        "p.md:11:1: warning: front matter key \"image\" is set on line 3 and again here, on line 11; Hugo takes the last one and ignores line 3, and so does Vignette",
      ])
    // The reference is the value Hugo uses, located where it is written, so the rewrite
    // changes that one.
    let images = post.references.filter { $0.kind == .frontmatter }
    #expect(images.map(\.target) == ["/two.png"])
    let source = SourceText(Self.post)
    let range = try #require(images.first?.targetRange)
    #expect(source.position(of: range.lowerBound).line == 11 && source[range] == "/two.png")
  }

  @Test("repeats inside a nested mapping and in a sequence item's mapping; quoted keys; lines kept")
  func nestedAndSequenceItems() throws {
    let text = """
      ---
      params:
        author: A
        "author": B
      images:
        - src: /x.png
          src: /y.png
        - src: /z.png
      ---

      """
    let matter = try #require(try FrontMatter.find(in: SourceText(text)))
    #expect(matter.parseError == nil, "\(String(describing: matter.parseError))")
    #expect(matter.values?["params"] == .table(["author": .string("B")]))
    #expect(
      matter.values?["images"]
        == .array([.table(["src": .string("/y.png")]), .table(["src": .string("/z.png")])]))
    let lines = Self.scan(text).diagnostics.map { "\($0.line):\($0.column) \($0.message.prefix(30))" }
    #expect(lines == ["4:3 front matter key \"author\" is s", "7:5 front matter key \"src\" is set "])
  }

  @Test("a repeat in a flow mapping is still an error, located in the block")
  func flowMappingStaysAnError() {
    let post = Self.scan("---\ntitle: t\ncover: {image: /a.png, image: /b.png}\n---\n")
    #expect(post.diagnostics.count == 1)
    #expect(post.diagnostics.first?.severity == .error)
    #expect(post.diagnostics.first?.message.contains("invalid YAML front matter") == true)
  }

  @Test("PaperMod's FAQ post (aliases set twice) is read, with one warning")
  func paperModFAQ() throws {
    let path = TestSite.repositoryRoot + "/Tests/themes/papermod/content/posts/papermod/papermod-faq.md"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let post = Self.scan(text)
    #expect(
      post.diagnostics.map(\.description) == [
        "p.md:9:1: warning: front matter key \"aliases\" is set on line 5 and again here, on line 9; Hugo takes the last one and ignores line 5, and so does Vignette"
      ])
    let matter = try #require(try FrontMatter.find(in: SourceText(text)))
    #expect(matter.values?["aliases"] == .array([.string("/posts/papermod/papermod-how-to")]))
    #expect(matter.title == "FAQs")
  }

  @Test(
    "the real hugo takes the same values",
    .enabled(if: HugoSiteTests.hugo != nil, "hugo is not installed (listed in scripts/apt-packages.txt)"))
  func hugoAgrees() async throws {
    let site = try TestSite()
    try site.write(
      "hugo/hugo.toml",
      "baseURL = \"https://example.org/\"\ndisableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\"]\n")
    try site.write("hugo/content/p.md", Self.post)
    try site.write(
      "hugo/layouts/_default/single.html",
      "{{ .Title }}|{{ .Params.image }}|{{ .Params.cover.image }}|{{ .Params.cover.alt }}\n")
    try site.write("hugo/layouts/_default/list.html", "list\n")
    let hugoSite = site.path("hugo")
    let run = try await HugoSiteTests.run(
      HugoSiteTests.hugo!, ["--quiet", "--source", hugoSite, "--destination", hugoSite + "/public"])
    #expect(run.status == 0, "\(run.output)")
    let values = try #require(try FrontMatter.find(in: SourceText(Self.post))?.values)
    let ours = [
      values["title"]?.string, values["image"]?.string, values["cover"]?["image"]?.string,
      values["cover"]?["alt"]?.string,
    ].map { $0 ?? "" }.joined(separator: "|")
    #expect(site.read("hugo/public/p/index.html") == ours + "\n")
  }
}
