import Foundation
import Testing

@testable import Vignette

/// The persisted digest of each post's outputs (`EmitIndex`, `EmitDigest`): an unchanged
/// post is neither rendered nor compared again, and each kind of change makes again exactly
/// the posts it touches. Each test fails when the digest ignores the input it changes: the
/// post would then be kept with stale outputs.
@Suite struct EmitIndexTests {
  static let video = "GBl2DSOL7bw"

  /// Four posts: two with an image each, one with a video (from the lockfile, offline), one
  /// with neither. Built once.
  static func site(_ name: String = #function) async throws -> TestSite {
    let site = try TestSite(name)
    try site.config(#"{"images": {"widths": [32, 64], "formats": ["webp", "jpeg"]}, "youtube": {"offline": true}}"#)
    try site.image("assets/images/one.png", width: 80, height: 60)
    try site.image("assets/images/two.png", width: 80, height: 60)
    try site.write("assets/posts/a.md", "# A\n\n{{< figure src=\"/images/one.png\" alt=\"one\" >}}\n")
    try site.write("assets/posts/b.md", "# B\n\n![two](/images/two.png)\n")
    try site.write("assets/posts/c.md", "# C\n\n{{< youtube \(video) >}}\n")
    try site.write("assets/posts/d.md", "# D\n\nWords only.\n")
    try writeLock(site, title: "First title")
    let first = try await site.build()
    #expect(first.errors == 0, "\(first.diagnostics)")
    #expect(first.documentsWritten == 4)
    return site
  }

  static func writeLock(_ site: TestSite, title: String) throws {
    var lock = VideoLockfile()
    lock.videos[video] = .init(title: title, origin: .hand)
    try site.write("vignette.lock.json", lock.encoded())
  }

  @Test func aNoOpRebuildMakesNoPostAgain() async throws {
    let site = try await Self.site()
    let pages = site.read("output/html/a.html")
    let report = try await site.build()
    #expect(report.documentsWritten == 0)
    #expect(report.written == 0)
    #expect(site.read("output/html/a.html") == pages)
    #expect(FileSystem.isFile(site.path(".vignette-cache/emits.bin")))
  }

  @Test func anEditedPostIsTheOnlyOneMadeAgain() async throws {
    let site = try await Self.site()
    try site.write("assets/posts/d.md", "# D\n\nOther words.\n")
    let report = try await site.build()
    #expect(report.documentsWritten == 1)
    #expect(site.read("output/content/d.md")?.contains("Other words.") == true)
    #expect(site.read("output/html/d.html")?.contains("Other words.") == true)
  }

  @Test func aReplacedImageMakesAgainThePostsThatShowIt() async throws {
    let site = try await Self.site()
    let before = try #require(site.read("output/html/a.html"))
    try site.image("assets/images/one.png", width: 120, height: 40)
    let report = try await site.build()
    #expect(report.rendered == 1)
    #expect(report.documentsWritten == 1)
    let after = try #require(site.read("output/html/a.html"))
    #expect(after != before)
    let image = try #require(try site.manifest().images.first { $0.source.hasSuffix("one.png") })
    for variant in image.variants {
      #expect(after.contains((variant.path as NSString).lastPathComponent), "\(variant.path)")
    }
  }

  @Test func aChangedConfigMakesEveryPostAgain() async throws {
    let site = try await Self.site()
    try site.config(
      #"{"images": {"widths": [32, 64], "formats": ["webp", "jpeg"], "sizes": "50vw"}, "youtube": {"offline": true}}"#)
    let report = try await site.build()
    #expect(report.documentsWritten == 4)
    #expect(site.read("output/html/a.html")?.contains(#"sizes="50vw""#) == true)
  }

  @Test func aChangedBaseURLMakesEveryPostAgain() async throws {
    let site = try await Self.site()
    try site.config(
      #"{"baseURL": "/blog/", "images": {"widths": [32, 64], "formats": ["webp", "jpeg"]}, "youtube": {"offline": true}}"#
    )
    let report = try await site.build()
    #expect(report.documentsWritten == 4)
    #expect(site.read("output/content/b.md")?.contains("](/blog/images/two.") == true)
  }

  @Test func aChangedVideoRecordMakesAgainThePostThatEmbedsIt() async throws {
    let site = try await Self.site()
    try Self.writeLock(site, title: "Second title")
    let report = try await site.build()
    #expect(report.documentsWritten == 1)
    #expect(site.read("output/html/c.html")?.contains("Second title") == true)
    #expect(site.read("output/data/vignette/videos.json")?.contains("Second title") == true)
    #expect(try site.manifest().videos.map(\.title) == ["Second title"])
  }

  /// The manifest and Hugo's files are kept like a post's outputs: made again when what they
  /// are made from changes, or when one was edited or deleted by hand.
  @Test func theSiteFilesAreKeptOrWrittenAgain() async throws {
    let site = try await Self.site()
    let manifest = try #require(site.read("output/manifest.json"))
    let images = try #require(site.read("output/data/vignette/images.json"))
    try site.write("output/manifest.json", manifest + " ")
    try FileManager.default.removeItem(atPath: site.path("output/data/vignette/images.json"))
    let report = try await site.build()
    #expect(report.documentsWritten == 0)
    #expect(report.written == 2)
    #expect(site.read("output/manifest.json") == manifest)
    #expect(site.read("output/data/vignette/images.json") == images)

    try site.write("assets/posts/d.md", "# D\n\n![one](/images/one.png)\n")
    _ = try await site.build()
    #expect(
      try site.manifest().posts.first { $0.source.hasSuffix("d.md") }?.references.map(\.target) == ["/images/one.png"])
    #expect(site.read("output/data/vignette/first.json")?.contains("\"d.md\"") == true)
  }

  @Test func anOutputEditedOrDeletedByHandIsWrittenAgain() async throws {
    let site = try await Self.site()
    let page = site.read("output/html/b.html")
    try site.write("output/html/b.html", "edited by hand")
    try FileManager.default.removeItem(atPath: site.path("output/content/d.md"))
    let report = try await site.build()
    #expect(report.documentsWritten == 2)
    #expect(site.read("output/html/b.html") == page)
    #expect(site.read("output/content/d.md")?.contains("Words only.") == true)
  }

  @Test func aDeletedPostIsForgottenAndItsOutputsRemoved() async throws {
    let site = try await Self.site()
    try FileManager.default.removeItem(atPath: site.path("assets/posts/d.md"))
    let report = try await site.build()
    #expect(report.documentsWritten == 0)
    #expect(!FileSystem.isFile(site.path("output/html/d.html")))
    let index = try #require(site.read(".vignette-cache/emits.bin"))
    #expect(!index.contains("d.md"))
    #expect(index.contains("c.md"))
  }
}
