import Foundation
import Testing

@testable import Vignette

/// What came out wrong on real blogs (references, markup, videos and `check`), built end to
/// end on small generated sites.
@Suite("real content")
struct RealContentTests {
  /// A site with one small opaque JPEG at `assets/images/a.jpg`, widths 48 and 96, JPEG only.
  static func site(_ name: String = #function, config: String = "") throws -> TestSite {
    let site = try TestSite(name)
    try site.image("assets/images/a.jpg", width: 120, height: 80)
    try site.config(
      """
      {"assetRoots": ["assets"], "youtube": {"offline": true},
       "images": {"widths": [48, 96], "formats": ["auto"]}\(config)}
      """)
    return site
  }

  @Test("an image on the line after a list item is rewritten, at its own column, and the manifest agrees")
  func imageAfterListItem() async throws {
    let site = try Self.site()
    try site.write("assets/posts/p.md", "List:\n\n- one\n- two\n![](/images/a.jpg)\n")
    let report = try await site.build()
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    let output = try #require(site.read("output/content/p.md"))
    #expect(output.hasPrefix("List:\n\n- one\n- two\n![](/images/a.96w."), "\(output)")
    let reference = try #require(try site.manifest().posts.first?.references.first)
    #expect(reference.line == 5 && reference.column == 1 && reference.status == .ok)
    #expect(site.read("output/html/p.html")?.contains("<picture>") == true)
  }

  @Test("a reference that cannot be located in the source is reported as skipped in the manifest")
  func unlocatedIsSkipped() async throws {
    let site = try Self.site()
    // A YAML escape: the value is "/images/a.jpg", but those bytes are not in the file.
    try site.write("assets/posts/p.md", "---\nimage: \"/images/\\u0061.jpg\"\n---\nText.\n")
    let report = try await site.build()
    #expect(report.diagnostics.map(\.message).contains { $0.hasPrefix("cannot locate") }, "\(report.diagnostics)")
    let reference = try #require(try site.manifest().posts.first?.references.first)
    #expect(reference.status == .skipped)
    #expect(reference.message?.hasPrefix("cannot locate") == true)
  }
}
