import Foundation
import Testing

@testable import Vignette

/// The data Hugo's templates read, keyed by the URL the rewritten posts contain.
@Suite struct HugoSupportTests {
  static func variant(_ name: String, _ width: Int, _ format: VariantFormat) -> RenderedVariant {
    RenderedVariant(
      key: name, fileName: name, urlPath: "/images/\(name).\(width)w.0123abcd.\(format.rawValue)", width: width,
      height: width / 2, format: format, bytes: 10)
  }

  static let image = RenderedImage(
    width: 640, height: 320,
    variants: [
      variant("a b", 320, .webp), variant("a b", 640, .webp), variant("a b", 320, .jpeg), variant("a b", 640, .jpeg),
    ],
    placeholder: Placeholder(color: "#102030", preview: nil))

  static func json(_ files: [(String, Data)], _ path: String) throws -> [String: Any] {
    let data = try #require(files.first { $0.0 == path }?.1)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  @Test("images.json is keyed by the fallback URL MarkdownRewriter writes, with srcsets, sizes and dimensions")
  func imageData() throws {
    let files = try HugoSupport.files(images: [Self.image], videos: [], sizes: "100vw")
    let url = try #require(MarkdownRewriter.fallbackURL(Self.image))
    #expect(url == "/images/a%20b.640w.0123abcd.jpeg")
    let entry = try #require(try Self.json(files, "data/vignette/images.json")[url] as? [String: Any])
    #expect(entry["src"] as? String == url)
    #expect(entry["width"] as? Int == 640)
    #expect(entry["height"] as? Int == 320)
    #expect(entry["sizes"] as? String == "100vw")
    #expect(
      entry["srcset"] as? String == "/images/a%20b.320w.0123abcd.jpeg 320w, /images/a%20b.640w.0123abcd.jpeg 640w")
    let sources = try #require(entry["sources"] as? [[String: String]])
    #expect(
      sources == [
        [
          "type": "image/webp",
          "srcset": "/images/a%20b.320w.0123abcd.webp 320w, /images/a%20b.640w.0123abcd.webp 640w",
        ]
      ])
    #expect(entry["style"] as? String == "background-color:#102030")
  }

  @Test("videos.json names each video's poster, whose entry is in images.json")
  func videoData() throws {
    var video = Video(id: "dQw4w9WgXcQ", title: "A song")
    video.poster = Self.image
    let files = try HugoSupport.files(images: [], videos: [video, Video(id: "aaaaaaaaaaa")], sizes: "100vw")
    let videos = try Self.json(files, "data/vignette/videos.json")
    let entry = try #require(videos["dQw4w9WgXcQ"] as? [String: Any])
    #expect(entry["title"] as? String == "A song")
    let poster = try #require(entry["poster"] as? String)
    #expect(try Self.json(files, "data/vignette/images.json")[poster] != nil)
    #expect((videos["aaaaaaaaaaa"] as? [String: Any])?["poster"] == nil)
  }

  @Test("every template and asset is generated, and the same input gives the same bytes")
  func files() throws {
    let first = try HugoSupport.files(images: [Self.image], videos: [Video(id: "dQw4w9WgXcQ")], sizes: "100vw")
    #expect(
      first.map(\.0).sorted() == [
        "data/vignette/first.json", "data/vignette/images.json", "data/vignette/videos.json",
        "layouts/_default/_markup/render-image.html", "layouts/partials/vignette/eager.html",
        "layouts/partials/vignette/image.html", "layouts/partials/vignette/picture.html",
        "layouts/shortcodes/figure.html",
        "layouts/shortcodes/youtube.html", "static/vignette/video.css", "static/vignette/video.js",
      ])
    let second = try HugoSupport.files(images: [Self.image], videos: [Video(id: "dQw4w9WgXcQ")], sizes: "100vw")
    #expect(first.map(\.1) == second.map(\.1))
    // Without videos, nothing is added to static/.
    #expect(
      try HugoSupport.files(images: [Self.image], videos: [], sizes: "100vw").allSatisfy { !$0.0.hasPrefix("static/") })
  }

  @Test("shortcode ordinals count top-level shortcodes only, as Hugo's .Ordinal does")
  func ordinals() {
    let text =
      "{{< note >}}{{< figure src=\"/n.png\" >}}{{< /note >}}{{< youtube dQw4w9WgXcQ >}}{{< x />}}{{< figure src=\"/a.png\" >}}"
    let tokens = ShortcodeLexer(bytes: Array(text.utf8)).tokens()
    let ordinals = HugoSupport.shortcodeOrdinals(tokens)
    let starts = tokens.compactMap { token -> Int? in
      if case .tag(let tag) = token, !tag.isClosing { return tag.range.lowerBound }
      return nil
    }
    #expect(starts.map { ordinals[$0] } == [0, nil, 1, 2, 3])
  }

  @Test("a URL replacing a single-quoted value cannot close the quote")
  func singleQuotes() {
    let source = SourceText("<img src='/a.png'>")
    let rewritten = MarkdownRewriter.apply([.init(range: 10..<16, text: "/it's.320w.png")], to: source)
    #expect(String(decoding: rewritten, as: UTF8.self) == "<img src='/it%27s.320w.png'>")
  }

  @Test("the templates are the files of Resources/hugo, found through the package's resource bundle")
  func templatesAreResources() throws {
    let files = try HugoSupport.files(images: [], videos: [], sizes: "100vw")
    let resources = TestSite.repositoryRoot + "/Sources/Vignette/Resources/hugo/"
    #expect(FileSystem.files(under: resources) == HugoSupport.templates.sorted())
    for path in HugoSupport.templates {
      let written = try #require(files.first { $0.0 == path }?.1, "\(path)")
      #expect(written == FileManager.default.contents(atPath: resources + path), "\(path)")
      #expect(String(decoding: written, as: UTF8.self).hasPrefix("{{- /* Generated by Vignette"), "\(path)")
    }
  }
}
