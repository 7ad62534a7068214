import Foundation
import Testing
import Vips

@testable import Vignette

/// Issue 11 item 2: small screenshots and flat graphics, whose every variant can be heavier
/// than the source. The set published is never heavier than the source at the same width:
/// the source itself (stripped of metadata) fills in, and the manifest says so.
@Suite("Never heavier than the source")
struct SourceBudgetTests {
  /// A screenshot-like PNG: white, with rows of dark "glyphs" of hard edges, which PNG
  /// compresses far better than AVIF, WebP or JPEG.
  static func screenshot(width: Int = 700, height: Int = 440) throws -> VipsImage {
    try TestSources.image(width: width, height: height) { x, y in
      let row = y / 14
      let cell = x / 7
      let inGlyph = (3..<11).contains(y % 14) && (1..<6).contains(x % 7) && (cell * 31 + row * 17) % 5 != 0
      if y < 28 { return (36, 41, 47, 255) }
      return inGlyph ? (24, 28, 36, 255) : (255, 255, 255, 255)
    }
  }

  @Test("A flat PNG whose AVIF, WebP and JPEG are heavier is served itself at its width, content-hashed")
  func flatPNGServedItself() async throws {
    let site = try TestSite()
    let source = try Self.screenshot()
    let plain = try source.saved(as: ".png[compression=9]")
    // The same pixels carrying XMP: served as a lossless re-save without it.
    let tagged = try source.setting(blobs: ["xmp-data": TestSources.xmp]).saved(as: ".png[compression=9]")
    #expect(try VipsImage.decode(tagged).fields.contains("xmp-data"))
    try site.write("assets/images/plain.png", Data(plain))
    try site.write("assets/images/tagged.png", Data(tagged))
    try site.post(images: ["plain.png", "tagged.png"])
    try site.imageConfig(widths: [480, 960], formats: ["avif", "webp", "auto"])
    #expect(try await site.build().errors == 0)

    for (file, bytes) in [("plain.png", plain), ("tagged.png", tagged)] {
      let image = try #require(try site.manifestImage(file))
      #expect(image.servedSource == true, "\(file): \(image.variants.map { "\($0.path) \($0.bytes)" })")
      #expect(image.note?.contains("heavier than the source") == true, "\(image.note ?? "no note")")
      // Nothing published is heavier than the source file.
      for variant in image.variants {
        #expect(variant.bytes <= bytes.count, "\(variant.path): \(variant.bytes) bytes, source \(bytes.count)")
      }
      // AVIF keeps its own width (lighter than the source), not its heavier 480w; WebP and
      // JPEG are heavier at every width and leave; the source is the fallback.
      #expect(image.variants.map { "\($0.width) \($0.format)" } == ["700 avif", "700 png"])
      let served = try #require(image.variants.first { $0.format == .png })
      #expect(served.path.hasPrefix("static/images/" + file.dropLast(4) + ".700w."), "\(served.path)")
      let data = try Data(contentsOf: URL(fileURLWithPath: site.path("output/" + served.path)))
      let decoded = try site.decode(served)
      #expect(try decoded.pixels() == (try source.pixels()), "\(served.path): not the source's pixels")
      #expect(!(try VipsImage.decode(Array(data)).fields.contains("xmp-data")), "\(served.path) keeps XMP")
      if file == "plain.png" { #expect(data == Data(plain), "nothing to strip: the file's own bytes") }
      // The page's <img> shows the source at its width, and no <source> offers a heavier file.
      let html = try #require(site.read("output/html/post.html"))
      #expect(html.contains("src=\"../static/images/\(served.path.dropFirst("static/images/".count))\""), "\(html)")
    }
    // A rebuild from the cache publishes the same, and check agrees.
    let digest = try site.outputDigest()
    let again = try await site.build()
    #expect(again.errors == 0 && again.rendered == 0 && again.reused == 2, "\(again)")
    #expect(try site.outputDigest() == digest)
    #expect(try await site.build(check: true).differences.isEmpty)
  }

  @Test(
    "The shared decision: heavier modern formats leave, the fallback keeps its lighter widths and the source fills in")
  func decision() {
    func variant(_ width: Int, _ format: VariantFormat, _ bytes: Int) -> RenderedVariant {
      RenderedVariant(
        key: "\(width)\(format)", fileName: "a.\(width)w.\(format.fileExtension)", urlPath: "/a.\(width)w",
        width: width, height: width / 2, format: format, bytes: bytes)
    }
    let image = RenderedImage(
      width: 700, height: 350,
      variants: [
        variant(480, .avif, 3000), variant(700, .avif, 5000), variant(480, .webp, 6000), variant(700, .webp, 9000),
        variant(480, .jpeg, 6500), variant(700, .jpeg, 12000),
      ])
    let source = variant(700, .png, 7000)
    let budgeted = try? #require(image.withinBudget(7000, source: source))
    #expect(budgeted?.formats == [.avif, .jpeg])
    #expect(budgeted?.candidates(.avif).map(\.width) == [480, 700])
    #expect(budgeted?.candidates(.webp) == [])
    #expect(budgeted?.fallback.map(\.key) == ["480jpeg", "700png"])
    #expect(budgeted?.fallback.last?.servedSource == true)
    #expect(budgeted?.servedSourceJoins == .jpeg)
    // Nothing heavier: published as rendered.
    #expect(image.withinBudget(20000, source: source) == nil)
  }
}
