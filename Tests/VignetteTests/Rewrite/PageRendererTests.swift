import Foundation
import Testing

@testable import Vignette

/// The standalone HTML page finds each reference by its source position, so what Hugo shows
/// as code (a `highlight` shortcode's content) never takes the place of a real image.
@Suite("HTML pages: references by position")
struct PageRendererTests {
  @Test("an image after a highlight block gets the <picture>; the one shown inside stays code")
  func afterHighlight() async throws {
    let site = try TestSite()
    try site.config()
    try site.image("assets/images/a.png", width: 64, height: 48)
    try site.image("assets/images/b.png", width: 80, height: 40)
    try site.write(
      "assets/posts/p.md",
      """
      ---
      title: P
      ---

      {{< highlight markdown >}}
      ![shown as code](/images/a.png)
      <img src="/images/b.png" alt="also code">
      {{< /highlight >}}

      ![the real one](/images/a.png)

      <img src="/images/b.png" alt="real html">

      """)
    let report = try await site.build()
    #expect(!report.diagnostics.hasErrors, "\(report.diagnostics)")
    let html = try #require(site.read("output/html/p.html"))
    #expect(html.components(separatedBy: "<picture>").count - 1 == 2, "\(html)")
    // What the highlight shows is left exactly as cmark-gfm renders it.
    #expect(html.contains("<img src=\"/images/a.png\" alt=\"shown as code\" />"), "\(html)")
    #expect(html.contains("<img src=\"/images/b.png\" alt=\"also code\">"), "\(html)")
    // The real images are each the <img> of a <picture>.
    for alt in ["the real one", "real html"] {
      let found = try #require(html.range(of: "alt=\"\(alt)\""))
      let before = html[..<found.lowerBound]
      let open = try #require(before.range(of: "<picture>", options: .backwards), "\(alt): \(html)")
      #expect(!before[open.upperBound...].contains("</picture>"), "\(alt): \(html)")
    }
  }
}
