import Foundation
import Testing

@testable import Vignette

/// The no-op run's fast paths (pages taken from `pages.bin` by their stamp, pages with nothing
/// to rewrite kept off the render threads, the manifest kept when its digest matches) never
/// hide a change: each test makes one change a wrong fast path would miss.
@Suite struct SiteNoOpTests {
  /// A page whose only image is remote: `url` has the same length as `local`, a URL of the
  /// site's alpha.png, so the page can become one that shows a local image at the same size.
  static let remote = "https://cdn.example.org/abcdefgh.jpg"
  static let local = "/blog/images/alpha.png?v=12345678901"

  static func page(_ url: String) -> String {
    "<!doctype html><html><head><title>C</title></head><body><p><img src=\"\(url)\" alt=\"c\"></p></body></html>\n"
  }

  /// The site of `SiteBuildTests` with every page finished (nothing missing), plus `c/index.html`
  /// showing a remote image, built twice: the second run is a no-op over remembered pages.
  func builtSite(_ name: String = #function) async throws -> TestSite {
    #expect(Self.remote.utf8.count == Self.local.utf8.count)
    let site = try SiteBuildTests().site(name)
    try site.write(
      "public/posts/a/index.html",
      SiteBuildTests.post.replacingOccurrences(of: #"<img src="../../images/missing.jpg" alt="missing">"#, with: ""))
    try site.write("public/c/index.html", Self.page(Self.remote))
    let first = try await site.build()
    #expect(first.diagnostics.isEmpty, "\(first.diagnostics)")
    let second = try await site.build()
    #expect(second.written == 0 && second.removed == 0 && second.documentsWritten == 0)
    return site
  }

  func manifest(_ site: TestSite) throws -> Manifest {
    try JSONDecoder().decode(
      Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: site.path(".vignette-cache/site/manifest.json"))))
  }

  /// Sets the mtime of `path` (nanoseconds since 1970), leaving its bytes alone.
  func setModified(_ path: String, _ nanoseconds: Int64) throws {
    let time = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    let times = [time, time]
    #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
    #expect(FileSystem.stamp(path)?.modified == nanoseconds)
  }

  func showsAlpha(_ site: TestSite) -> Bool {
    site.read("public/c/index.html")?.contains(#"data-vignette="images/alpha.png""#) == true
  }

  /// Remembered pages are met in path order as `pages.bin` is read, beside the listing: pages
  /// whose paths sort between others (`a-b.html` before `a.html` before `a/…`) are still taken
  /// from it, and only a page that changed is parsed again.
  @Test func rememberedPagesAreNotParsedAgain() async throws {
    let site = try await builtSite()
    for name in ["a-b.html", "a.html", "posts/a-z/index.html", "posts/a/z.html", "z.html"] {
      try site.write("public/" + name, Self.page(Self.remote))
    }
    let snapshot = site.path(".vignette-cache/site/snapshot.bin")
    #expect(try await site.build().documentsParsed == 5)
    unlink(snapshot)
    let noOp = try await site.build()
    #expect(noOp.pages == 8 && noOp.documentsParsed == 0 && noOp.upToDate != true)
    // A file changed within a clock tick of a build's start makes it take no snapshot.
    try await Task.sleep(for: .milliseconds(250))
    try site.write("public/a.html", Self.page("/blog/images/alpha.png"))
    unlink(snapshot)
    let one = try await site.build()
    #expect(one.pages == 8 && one.documentsParsed == 1 && one.documentsWritten == 1)
    // The snapshot of that build (its rewritten page stamped from the emit stage's spool)
    // answers the next one.
    #expect(try await site.build().upToDate == true)
  }

  /// The digest of the set of pages the snapshot compares (`PagePaths`): the same pages in
  /// another order are the same set; one page renamed, or one fewer, is not.
  @Test func thePageSetDigestTellsSetsApart() {
    func paths(_ names: [String]) -> PagePaths {
      var paths = PagePaths()
      for name in names { paths.add(name) }
      return paths
    }
    #expect(paths(["a.html", "b/index.html", "c.html"]) == paths(["c.html", "a.html", "b/index.html"]))
    #expect(paths(["a.html", "b/index.html", "c.html"]) != paths(["a.html", "b/index.html", "d.html"]))
    #expect(paths(["a.html", "b/index.html", "c.html"]) != paths(["a.html", "b/index.html"]))
    #expect(paths(["a.html", "a.html"]) != paths(["a.html"]))
  }

  @Test func aPageEditedToTheSameSizeIsReadAgain() async throws {
    let site = try await builtSite()
    let file = site.path("public/c/index.html")
    let before = try #require(FileSystem.stamp(file))
    try site.write("public/c/index.html", Self.page(Self.local))
    try setModified(file, before.modified + 1_000_000_000)
    #expect(FileSystem.stamp(file)?.size == before.size)
    let report = try await site.build()
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    #expect(showsAlpha(site))
    #expect(try manifest(site).posts.first { $0.output == "c/index.html" }?.references.map(\.status) == [.ok])
  }

  @Test func aPageReplacedUnderTheSameMtimeIsReadAgain() async throws {
    let site = try await builtSite()
    let file = site.path("public/c/index.html")
    let before = try #require(FileSystem.stamp(file))
    try site.write("public/c/index.html", Self.page("/blog/images/alpha.png"))
    try setModified(file, before.modified)
    #expect(FileSystem.stamp(file)?.size != before.size)
    try await site.build()
    #expect(showsAlpha(site))
  }

  @Test func aPageAddedAfterANoOpIsRewritten() async throws {
    let site = try await builtSite()
    try site.write("public/d/index.html", "<p><img src=\"../images/wide.jpg\" alt=\"d\"></p>\n")
    let report = try await site.build()
    #expect(report.pages == 4 && report.documentsWritten == 1)
    #expect(site.read("public/d/index.html")?.contains("data-vignette") == true)
    #expect(try manifest(site).posts.map(\.output).contains("d/index.html"))
  }

  /// The manifest is written a page at a time (`Manifest.write`): its bytes are those the
  /// whole-file encoder gives the same manifest, and the index is the binary `pages.bin`
  /// (the JSON one older versions kept is removed).
  @Test func theManifestWrittenInPiecesIsTheWholeFileEncoding() async throws {
    let site = try SiteBuildTests().site()
    try site.write("public/d/index.html", Self.page("/blog/images/alpha.png"))
    try site.write(".vignette-cache/site/pages.json", "{}")
    try await site.build()
    let written = try Data(contentsOf: URL(fileURLWithPath: site.path(".vignette-cache/site/manifest.json")))
    let manifest = try manifest(site)
    #expect(manifest.posts.count >= 3 && !manifest.images.isEmpty)
    #expect(try manifest.encoded() == written)
    #expect(FileSystem.isFile(site.path(".vignette-cache/site/pages.bin")))
    #expect(!FileSystem.isFile(site.path(".vignette-cache/site/pages.json")))
  }

  @Test func aDeletedPageLeavesTheManifestAndIndex() async throws {
    let site = try await builtSite()
    #expect(try manifest(site).posts.map(\.output).contains("posts/a/index.html"))
    try FileManager.default.removeItem(atPath: site.path("public/posts/a/index.html"))
    let report = try await site.build()
    #expect(report.pages == 2)
    #expect(try !manifest(site).posts.map(\.output).contains("posts/a/index.html"))
    let index = SiteIndex.load(from: site.path(".vignette-cache/site/pages.bin"))
    #expect(index.pages.keys.sorted() == ["c/index.html", "index.html"])
  }

  @Test func aChangedConfigRewritesTheManifestAndVariants() async throws {
    let site = try await builtSite()
    let widths = Set(try manifest(site).images.flatMap { $0.variants.map(\.width) })
    #expect(widths.contains(640))
    try site.config(
      #"{"site": "public", "baseURL": "https://example.com/blog/", "youtube": {"offline": true}, "images": {"widths": [320], "formats": ["webp", "auto"]}}"#
    )
    let report = try await site.build()
    let after = try manifest(site)
    #expect(!after.images.isEmpty && !after.images.flatMap { $0.variants.map(\.width) }.contains(640))
    for variant in after.images.flatMap(\.variants) {
      #expect(FileSystem.isFile(site.path("public/" + variant.path)), "\(variant.path)")
    }
    // The page Vignette rewrote is not rewritten again: the 640 px variants it names stay,
    // with a warning, until the generator writes the page afresh; then they go.
    #expect(report.diagnostics.contains { $0.severity == .warning && $0.message.contains("earlier settings") })
    let pages = ["public/index.html", "public/posts/a/index.html", "public/c/index.html"]
    let named = pages.flatMap { variantsNamed(site, $0) }
    #expect(named.contains { $0.contains(".640w.") })
    for path in named { #expect(FileSystem.isFile(site.path(path)), "\(path)") }
    let again = try await site.build()
    #expect(again.removed == 0 && again.written == 0)
    // The generator writes the pages again: they get the new variants, and the old go.
    try site.write("public/index.html", SiteBuildTests.home)
    try site.write(
      "public/posts/a/index.html",
      SiteBuildTests.post.replacingOccurrences(of: #"<img src="../../images/missing.jpg" alt="missing">"#, with: ""))
    let regenerated = try await site.build()
    #expect(regenerated.removed > 0)
    #expect(!regenerated.diagnostics.contains { $0.message.contains("earlier settings") })
    let renamed = pages.flatMap { variantsNamed(site, $0) }
    #expect(!renamed.isEmpty)
    for path in renamed {
      #expect(FileSystem.isFile(site.path(path)), "\(path)")
      #expect(!path.contains(".640w."))
    }
    #expect(!FileSystem.files(under: site.path("public")).contains { $0.contains(".640w.") })
  }

  /// The variant files (`NAME.WIDTHw.HASH.EXT`) a page's `src`/`srcset` attributes name, as
  /// paths under the site folder (the site is `https://example.com/blog/`).
  func variantsNamed(_ site: TestSite, _ page: String) -> [String] {
    guard let html = site.read(page) else { return [] }
    let pageFolder = (page as NSString).deletingLastPathComponent
    let attribute = /(?:src|srcset)="([^"]*)"/
    return html.matches(of: attribute).flatMap { match in
      String(match.1).split(separator: ",").compactMap { candidate -> String? in
        var url = String(candidate.split(separator: " ").first ?? "")
        if url.hasPrefix("https://example.com/") { url = String(url.dropFirst("https://example.com".count)) }
        url = String(url.prefix { $0 != "?" && $0 != "#" })
        guard url.contains(/\.[0-9]+w\.[0-9a-f]{8}\./) else { return nil }
        if url.hasPrefix("/blog/") { return "public/" + url.dropFirst("/blog/".count) }
        return ((pageFolder + "/" + url) as NSString).standardizingPath
      }
    }
  }

  @Test func aChangedBaseURLReadsTheRememberedPagesAgain() async throws {
    let site = try await builtSite()
    // Remote under https://example.com/blog/, local once that is the base URL.
    try site.write("public/e/index.html", "<p><img src=\"https://www.example.net/images/alpha.png\" alt=\"e\"></p>\n")
    try await site.build()
    #expect(site.read("public/e/index.html")?.contains("data-vignette") == false)
    try site.config(
      #"{"site": "public", "baseURL": "https://www.example.net/", "youtube": {"offline": true}, "images": {"widths": [320, 640], "formats": ["webp", "auto"]}}"#
    )
    try await site.build()
    #expect(site.read("public/e/index.html")?.contains(#"data-vignette="images/alpha.png""#) == true)
  }

  @Test func aManifestEditedByHandIsWrittenAgain() async throws {
    let site = try await builtSite()
    let path = site.path(".vignette-cache/site/manifest.json")
    let original = try #require(FileManager.default.contents(atPath: path))
    try Data("{}\n".utf8).write(to: URL(fileURLWithPath: path))
    try await site.build()
    #expect(FileManager.default.contents(atPath: path) == original)
  }

  @Test func theIndexKeepsEveryFieldOfAnEntry() throws {
    var index = SiteIndex()
    let entries = [
      SitePageScan.Entry(
        kind: .html, offset: 10, length: 20, line: 2, column: 3, target: "/a b.jpg", status: .ok, key: "a b.jpg|320,640"
      ),
      SitePageScan.Entry(
        kind: .youtube, offset: 40, length: 5, line: 4, column: 1, target: "GBl2DSOL7bw", status: .ok),
      SitePageScan.Entry(
        kind: .html, offset: 60, length: 7, line: 5, column: 9, target: "https://x/y.jpg", status: .remote,
        message: "remote URL left as written"),
    ]
    index.pages["a/index.html"] = SiteIndex.Page(
      stamp: FileStamp(size: 123, modified: 1_700_000_000_123_456_789), entries: entries, madeFrom: "content/a.md")
    index.pages["b.html"] = SiteIndex.Page(stamp: FileStamp(size: 1, modified: 2), entries: [], madeFrom: nil)
    index.files["img/a.320w.webp"] = FileStamp(size: 5, modified: 6)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vignette-index-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try index.save(to: folder + "/pages.bin")
    #expect(SiteIndex.load(from: folder + "/pages.bin") == index)
  }
}
