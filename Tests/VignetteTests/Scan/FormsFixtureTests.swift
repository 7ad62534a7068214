import Foundation
import Testing

@testable import Vignette

/// A site written in every form Hugo accepts (`Tests/VignetteTests/Fixtures/forms`): every
/// reference is found where it is, rewritten, and nothing else is touched.
/// `VIGNETTE_UPDATE_GOLDEN=1 swift test --filter FormsFixtureTests` rewrites the golden files.
@Suite(.serialized) struct FormsFixtureTests {
  static let fixture = TestSite.repositoryRoot + "/Tests/VignetteTests/Fixtures/forms"
  static let posts = ["every-form.md", "yaml-front.md", "json-front.md", "bundle/index.md"]

  static func build() async throws -> (TestSite, BuildReport) {
    let site = try TestSite()
    for post in posts {
      try site.write("assets/posts/" + post, FileManager.default.contents(atPath: fixture + "/posts/" + post)!)
    }
    try site.config(
      #"{"images": {"widths": [160, 320], "formats": ["webp", "auto"]}, "frontMatterImageKeys": ["hero"]}"#)
    try site.image("assets/images/one.jpg", width: 400, height: 300)
    try site.image("assets/images/two.png", width: 500, height: 250)
    try site.image("assets/images/cover art.jpg", width: 360, height: 200)
    try site.image("assets/images/café.png", width: 330, height: 330)
    try site.image("assets/posts/bundle/cover.jpg", width: 340, height: 170)
    try site.image("assets/posts/bundle/photos/nested photo.png", width: 350, height: 350)
    let report = try await site.build()
    return (site, report)
  }

  /// Variant file names carry a content hash; golden files show `HASH`.
  static func normalized(_ text: String) -> String {
    text.replacing(/\.(\d+)w\.[0-9a-f]{8}\./) { ".\($0.1)w.HASH." }
  }

  @Test("rewritten posts match the golden files")
  func golden() async throws {
    let (site, report) = try await Self.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    for post in Self.posts {
      let output = Self.normalized(try #require(site.read("output/content/" + post)))
      let goldenPath = Self.fixture + "/expected/" + post
      if ProcessInfo.processInfo.environment["VIGNETTE_UPDATE_GOLDEN"] != nil {
        try FileManager.default.createDirectory(
          atPath: (goldenPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try output.write(toFile: goldenPath, atomically: true, encoding: .utf8)
      }
      let golden = try String(contentsOfFile: goldenPath, encoding: .utf8)
      #expect(output == golden, "\(post) differs from its golden file")
    }
  }

  @Test("every byte outside the rewritten references is unchanged, and every local reference is rewritten")
  func onlyReferencesChange() async throws {
    let (site, _) = try await Self.build()
    let manifest = try site.manifest()
    let urls = Set(manifest.images.flatMap { $0.variants.map { PictureMarkup.encode($0.url) } })
    let scanner = PostScanner(extraImageKeys: ["hero"])
    for post in Self.posts {
      let source = try scanner.scan(path: site.path("assets/posts/" + post), relativePath: post)
      let statuses = try #require(manifest.posts.first { $0.output == "content/" + post }).references
      #expect(statuses.count == source.references.count)
      var ranges: [Range<Int>] = []
      for (reference, status) in zip(source.references, statuses) where reference.kind != .youtube {
        #expect(
          status.status == .ok || status.status == .remote,
          "\(post):\(reference.line): \(reference.target) is \(status.status)")
        guard status.status == .ok else { continue }
        let range = try #require(
          reference.targetRange, "\(post):\(reference.line):\(reference.column) \(reference.target) has no range")
        if !ranges.contains(range) { ranges.append(range) }
      }
      ranges.sort { $0.lowerBound < $1.lowerBound }
      let output = Array(try #require(FileManager.default.contents(atPath: site.path("output/content/" + post))))
      // The output is: unchanged bytes, a variant URL, unchanged bytes, … in the source's order.
      var cursor = 0
      var outCursor = 0
      for range in ranges {
        let kept = source.source.bytes[cursor..<range.lowerBound]
        #expect(output[outCursor...].starts(with: kept), "\(post): bytes before offset \(range.lowerBound) changed")
        outCursor += kept.count
        var end = outCursor
        while end < output.count, !" \t\n\"'`<>()".utf8.contains(output[end]) { end += 1 }
        let url = String(decoding: output[outCursor..<end], as: UTF8.self)
        #expect(urls.contains(url), "\(post): \(source.source[range]) became \(url), not a variant URL")
        outCursor = end
        cursor = range.upperBound
      }
      #expect(Array(output[outCursor...]) == Array(source.source.bytes[cursor...]), "\(post): the tail changed")
    }
  }

  @Test("each source image is processed once, however many posts and forms use it")
  func processedOnce() async throws {
    let (site, report) = try await Self.build()
    #expect(report.images == 6)
    #expect(report.rendered == 6)
    let manifest = try site.manifest()
    #expect(
      manifest.images.map(\.source).sorted()
        == [
          "assets/images/cafe\u{301}.png", "assets/images/cover art.jpg", "assets/images/one.jpg",
          "assets/images/two.png",
          "assets/posts/bundle/cover.jpg", "assets/posts/bundle/photos/nested photo.png",
        ].map { $0.precomposedStringWithCanonicalMapping }.sorted())
  }

  @Test("the scanner finds every reference of every form at its line and column")
  func referencesAndPositions() throws {
    let scanner = PostScanner(extraImageKeys: ["hero"])
    let scanned = try scanner.scan(path: Self.fixture + "/posts/every-form.md", relativePath: "every-form.md")
    let found = scanned.references.map { "\($0.line):\($0.column) \($0.kind.rawValue) \($0.target)" }
    #expect(
      found == [
        "3:12 frontmatter /images/one.jpg",
        "3:31 frontmatter /images/two.png",
        "4:19 frontmatter /images/one.jpg",
        "8:10 frontmatter /images/cover art.jpg",
        "12:22 markdown /images/one.jpg",
        "12:80 html /images/two.png",
        "14:17 markdown /images/one.jpg",
        "14:46 markdown /images/two.png",
        "14:74 markdown /images/two.png",
        "16:2 markdown /images/one.jpg",
        "19:1 html /images/two.png",
        "23:17 markdown /images/cover%20art.jpg",
        "23:67 markdown /images/cover art.jpg",
        "23:110 markdown /images/café.png",
        "25:1 figure /images/one.jpg",
        "27:1 figure /images/two.png",
        "33:1 figure /images/one.jpg",
        "42:1 figure /images/two.png",
        "47:15 markdown https://example.com/remote.png",
        "47:61 html //cdn.example.com/x.png",
      ])
    let diagnostics = scanned.diagnostics.map(\.description)
    #expect(
      diagnostics == [
        "\(Self.fixture)/posts/every-form.md:33:1: warning: Hugo renders {{% figure %}} output as markdown, and by default (markup.goldmark.renderer.unsafe = false) drops its HTML; write {{< figure … >}}: {{% figure src=/images/one.jpg alt=unquoted %}}",
        "\(Self.fixture)/posts/every-form.md:42:1: warning: Hugo runs this shortcode even inside code; write {{</* … */>}} to show the call literally: {{< figure src=\"/images/two.png\" alt=\"Hugo runs this one\" >}}",
      ])
  }
}
