import Foundation
import Testing

@testable import Vignette

/// Site mode as a front end of the shared pipeline: what markdown mode has, it has.
@Suite struct SiteFrontEndTests {
  @Test func checkCountsWhatBuildCounts() async throws {
    let site = try SiteBuildTests().site()
    // Every page finished (no missing image), so a later run takes them all from pages.bin.
    let post = SiteBuildTests.post.replacingOccurrences(
      of: #"<img src="../../images/missing.jpg" alt="missing">"#, with: "")
    try site.write("public/posts/a/index.html", post)
    let build = try await site.build()
    #expect(build.remote == 1 && build.pages == 2 && build.diagnostics.isEmpty)
    // The pages are now remembered in pages.bin: check must still count what they hold.
    let check = try await site.build(check: true)
    #expect(check.differences.isEmpty, "\(check.differences)")
    #expect(check.pages == build.pages && check.remote == build.remote && check.references == build.references)
    #expect(check.images == build.images && check.variants == build.variants && check.videos == build.videos)
    #expect(check.diagnostics == build.diagnostics)
  }

  @Test("variants no page uses any more are removed; a file the generator wrote is never removed")
  func unusedVariantsAreRemoved() async throws {
    let site = try SiteBuildTests().site()
    try await site.build()
    let variants = FileSystem.files(under: site.path("public/images")).filter {
      $0.hasPrefix("alpha.") && $0 != "alpha.png"
    }
    #expect(!variants.isEmpty)
    // The generator rebuilds: alpha.png is no longer on any page, and it wrote a file of its
    // own over one of Vignette's alpha.png variants.
    try site.write("public/index.html", SiteBuildTests.home.replacingOccurrences(of: "alpha.png", with: "wide.jpg"))
    try site.write("public/posts/a/index.html", "<p>nothing</p>")
    try await Task.sleep(for: .milliseconds(20))
    let generators = try #require(variants.first)
    try site.write("public/images/" + generators, "the generator's own file")
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    for name in variants.dropFirst() {
      #expect(!FileSystem.isFile(site.path("public/images/" + name)), "\(name) is still there")
    }
    #expect(FileSystem.isFile(site.path("public/images/alpha.png")))
    #expect(site.read("public/images/" + generators) == "the generator's own file")
    #expect(report.removed == variants.count - 1)
    // And a run after that changes nothing.
    let again = try await site.build()
    #expect(again.written == 0 && again.removed == 0)
    #expect(try await site.build(check: true).differences.isEmpty)
  }

  @Test func aVideoDiagnosticNamesThePostThePageWasMadeFrom() async throws {
    let site = try TestSite()
    try site.config(#"{"site": "public", "youtube": {"offline": true}}"#)
    try site.write("content/posts/v.md", "{{< youtube GBl2DSOL7bw >}}\n")
    try site.write(
      "public/posts/v/index.html", "<p>\n<iframe src=\"https://www.youtube.com/embed/GBl2DSOL7bw\"></iframe></p>")
    let report = try await site.build()
    let video = try #require(report.diagnostics.first { $0.message.contains("GBl2DSOL7bw") })
    #expect(video.file == "public/posts/v/index.html" && (video.line, video.column) == (2, 1))
    #expect(video.message.hasSuffix("(page made from content/posts/v.md)"), "\(video)")
  }

  @Test func aBrokenImageNamesThePostThePageWasMadeFrom() async throws {
    let site = try SiteBuildTests().site()
    try site.write("public/images/broken.jpg", "not a picture")
    try site.write("content/other.md", "# other\n")
    try site.write("public/other.html", "<img src=\"images/broken.jpg\" alt=\"b\">")
    let report = try await site.build()
    let broken = try #require(report.diagnostics.first { $0.file == "public/other.html" && $0.severity == .error })
    #expect(broken.message.hasSuffix("(page made from content/other.md)"), "\(broken)")
  }

  @Test func variantsComeFromTheRemoteCache() async throws {
    let server = try WebDAVServer()
    defer { server.stop() }
    func options(_ options: inout BuildOptions) {
      options.remoteCache = RemoteCacheSettings(url: server.url, readOnly: false)
      // Generous: nginx on loopback answers slowly on a machine at load 30.
      options.remoteLimits.connectTimeout = 30
      options.remoteLimits.totalTimeout = 120
    }
    let publisher = try SiteBuildTests().site()
    let published = try await publisher.build(configure: options)
    #expect(published.rendered == 2 && published.uploaded == 2, "\(published.diagnostics)")
    // Another machine: the same site, an empty local cache.
    let clone = try SiteBuildTests().site("clone")
    let report = try await clone.build(configure: options)
    #expect(report.downloaded == 2 && report.rendered == 0, "\(report.diagnostics)")
    #expect(clone.read("public/index.html") == publisher.read("public/index.html"))
    #expect(try SiteBuildTests().digest(clone) == SiteBuildTests().digest(publisher))
  }
}
