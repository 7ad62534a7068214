import Foundation
import Testing

@testable import Vignette

/// The scans kept in the cache folder (`ScanCache`): a post whose bytes are unchanged is not
/// parsed again, and every change to the set of posts or to a post's bytes is seen. Each
/// test fails when the cache answers wrongly: keyed by size and mtime, by bytes alone
/// without the path, or walking its own entries instead of the content folder.
@Suite struct ScanCacheTests {
  /// Four posts, two images; built once.
  static func site(_ name: String = #function) async throws -> TestSite {
    let site = try TestSite(name)
    try site.config(#"{"images": {"widths": [32], "formats": ["webp", "jpeg"]}}"#)
    try site.image("assets/images/one.png", width: 80, height: 60)
    try site.image("assets/images/two.png", width: 60, height: 80)
    try site.write("assets/posts/a.md", "+++\ntitle = 'A'\n+++\n\n{{< figure src=\"/images/one.png\" alt=\"x\" >}}\n")
    try site.write("assets/posts/b.md", "# B\n\n{{% figure src=\"/images/two.png\" %}}\n")
    try site.write("assets/posts/c.md", "# C\n\n![two](/images/two.png)\n")
    try site.write("assets/posts/d.md", "# D\n\nWords only.\n")
    let first = try await site.build()
    #expect(first.errors == 0, "\(first.diagnostics)")
    #expect(first.documentsParsed == 4)
    return site
  }

  /// Every reference target of the post `source` in the manifest.
  static func targets(_ site: TestSite, _ source: String) throws -> [String]? {
    try site.manifest().posts.first { $0.source == "assets/posts/" + source }?.references.map(\.target)
  }

  /// The URL of the fallback variant the manifest has for `image`.
  static func fallbackURL(_ site: TestSite, _ image: String) throws -> String? {
    try site.manifest().images.first { $0.source == "assets/images/" + image }?.variants.last?.url
  }

  @Test func aNoOpRebuildParsesNoPost() async throws {
    let site = try await Self.site()
    let manifest = site.read("output/manifest.json")
    let report = try await site.build()
    #expect(report.documentsParsed == 0)
    #expect(report.written == 0)
    #expect(site.read("output/manifest.json") == manifest)
    #expect(report.warnings == 1, "the cached scan keeps its warning: \(report.diagnostics)")
  }

  @Test func anEditedPostIsParsedAgain() async throws {
    let site = try await Self.site()
    try site.write("assets/posts/d.md", "# D\n\nNow with a picture: ![one](/images/one.png)\n")
    let report = try await site.build()
    #expect(report.documentsParsed == 1)
    #expect(try Self.targets(site, "d.md") == ["/images/one.png"])
    let url = try #require(try Self.fallbackURL(site, "one.png"))
    #expect(site.read("output/content/d.md")?.contains("![one](\(url))") == true)
  }

  /// Same length, then the old size and mtime put back: only the bytes tell.
  @Test func anEditThatKeepsSizeAndMtimeIsSeen() async throws {
    let site = try await Self.site()
    let path = site.path("assets/posts/a.md")
    var before = stat()
    #expect(stat(path, &before) == 0)
    let text = try #require(site.read("assets/posts/a.md"))
    try site.write("assets/posts/a.md", text.replacingOccurrences(of: "one.png", with: "two.png"))
    var times = [before.st_atim, before.st_mtim]
    #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    let stampBefore = FileStamp(
      size: Int64(before.st_size),
      modified: Int64(before.st_mtim.tv_sec) * 1_000_000_000 + Int64(before.st_mtim.tv_nsec))
    #expect(FileSystem.stamp(path) == stampBefore)

    let report = try await site.build()
    #expect(report.documentsParsed == 1)
    #expect(try Self.targets(site, "a.md") == ["/images/two.png"])
    let url = try #require(try Self.fallbackURL(site, "two.png"))
    #expect(site.read("output/content/a.md")?.contains("src=\"\(url)\"") == true)
  }

  /// A copy of a post under another name: scanned where it is, its warning naming it.
  @Test func aNewPostIsScannedWhereItIs() async throws {
    let site = try await Self.site()
    try site.write("assets/posts/new/e.md", try #require(site.read("assets/posts/b.md")))
    let report = try await site.build()
    #expect(report.documentsParsed == 1)
    #expect(report.posts == 5)
    #expect(try Self.targets(site, "new/e.md") == ["/images/two.png"])
    let warned = Set(report.diagnostics.filter { $0.severity == .warning }.map(\.file))
    #expect(warned == ["assets/posts/b.md", "assets/posts/new/e.md"])
    #expect(FileSystem.isFile(site.path("output/content/new/e.md")))
  }

  @Test func aDeletedPostIsGone() async throws {
    let site = try await Self.site()
    try FileManager.default.removeItem(atPath: site.path("assets/posts/b.md"))
    let report = try await site.build()
    #expect(report.documentsParsed == 0)
    #expect(report.posts == 3)
    #expect(report.warnings == 0, "\(report.diagnostics)")
    #expect(try Self.targets(site, "b.md") == nil)
    #expect(!FileSystem.isFile(site.path("output/content/b.md")))
    let stored = try #require(site.read(".vignette-cache/scans.bin"))
    #expect(!stored.contains("b.md"))
    #expect(stored.contains("c.md"))
  }

  /// A truncated or garbled file is no cache at all, never a wrong one.
  @Test func aDamagedCacheIsIgnored() async throws {
    let site = try await Self.site()
    let manifest = site.read("output/manifest.json")
    let path = site.path(".vignette-cache/scans.bin")
    let bytes = try #require(FileManager.default.contents(atPath: path))
    for damaged in [bytes.prefix(bytes.count / 2), bytes + Data([7]), Data(bytes.map { $0 == 0x0A ? 0x0B : $0 })] {
      try damaged.write(to: URL(fileURLWithPath: path))
      // Through every stage: the build snapshot would answer it (it stamps no cache file).
      let report = try await site.build { $0.usesSnapshot = false }
      #expect(report.documentsParsed == 4)
      #expect(report.errors == 0, "\(report.diagnostics)")
      #expect(site.read("output/manifest.json") == manifest)
    }
  }

  @Test func otherFrontMatterImageKeysParseEveryPostAgain() async throws {
    let site = try await Self.site()
    try site.config(#"{"images": {"widths": [32], "formats": ["webp", "jpeg"]}, "frontMatterImageKeys": ["hero"]}"#)
    let report = try await site.build()
    #expect(report.documentsParsed == 4)
  }

  @Test func aCheckWritesNoScans() async throws {
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [32], "formats": ["webp"]}}"#)
    try site.write("assets/posts/d.md", "# D\n\nWords only.\n")
    let report = try await site.build(check: true)
    #expect(report.documentsParsed == 1)
    #expect(!FileSystem.isFile(site.path(".vignette-cache/scans.bin")))
  }

  /// A post taken from the cache is the post a scan makes: references, diagnostics, the
  /// body's start, the ordinals, and (parsed again on demand) the front matter and tokens.
  @Test func aCachedScanIsTheScan() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scans-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fixture = TestSite.repositoryRoot + "/Tests/VignetteTests/Fixtures/forms"
    let scanner = PostScanner()
    var compared = 0
    for relative in FileSystem.files(under: fixture) where relative.hasSuffix(".md") {
      let path = fixture + "/" + relative
      let fresh = try scanner.scan(path: path, relativePath: relative)
      let first = try ScanCache(folder: folder, context: "c").scan(path: path, relativePath: relative, with: scanner)
      #expect(first.parsed)
      let writer = ScanCache(folder: folder, context: "c")
      _ = try writer.scan(path: path, relativePath: relative, with: scanner)
      try writer.save()
      let cached = try ScanCache(folder: folder, context: "c").scan(path: path, relativePath: relative, with: scanner)
      #expect(!cached.parsed, "\(relative)")
      let post = cached.post
      #expect(post.references == fresh.references, "\(relative)")
      #expect(post.diagnostics == fresh.diagnostics, "\(relative)")
      #expect(post.bodyStart == fresh.bodyStart)
      #expect(post.shortcodeOrdinals == fresh.shortcodeOrdinals)
      #expect(post.digest == fresh.digest)
      #expect(post.tokens == fresh.tokens, "\(relative)")
      #expect(post.frontMatter?.title == fresh.frontMatter?.title)
      #expect(post.frontMatter?.range == fresh.frontMatter?.range)
      let other = try ScanCache(folder: folder, context: "d").scan(path: path, relativePath: relative, with: scanner)
      #expect(other.parsed, "another context starts empty")
      compared += 1
    }
    #expect(compared > 5)
  }
}
