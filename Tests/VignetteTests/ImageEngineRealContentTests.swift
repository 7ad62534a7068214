import Foundation
import Testing
import Vips

@testable import Vignette

/// What real sites and real image collections (issue 11) showed to be wrong in the image
/// engine: colours of untagged images, hostile files, animated sources, damaged profiles and
/// overviews, libvips' messages. Every source is generated here with libvips or by hand.
@Suite("Image engine: real content")
struct ImageEngineRealContentTests {
  /// A flat UI screenshot with no colour profile: white, a dark UI colour and a mid tone.
  static func screenshot(width: Int = 120, height: Int = 80) throws -> VipsImage {
    try TestSources.image(width: width, height: height) { x, _ in
      x < width / 3 ? (255, 255, 255, 255) : x < 2 * width / 3 ? (9, 12, 16, 255) : (200, 120, 40, 255)
    }
  }

  @Test("An untagged sRGB image keeps its pixel values: the lossless variant at its size is identical")
  func untaggedColours() async throws {
    let site = try TestSite()
    let source = try Self.screenshot()
    let png = try source.saved(as: ".png")
    #expect(!(try VipsImage.decode(png).fields.contains("icc-profile-data")))
    try site.write("assets/images/ui.png", Data(png))
    try site.write("assets/images/ui.jpg", Data(try source.saved(as: ".jpg[Q=95]")))
    try site.post(images: ["ui.png", "ui.jpg"])
    try site.imageConfig(widths: [480], formats: ["webp", "png"])
    #expect(try await site.build().errors == 0)
    let variant = try #require(try site.manifestImage("ui.png")?.variants.first { $0.format == .png })
    let output = try site.decode(variant)
    #expect((output.width, output.height, output.bands) == (120, 80, 3))
    #expect(try output.pixels() == (try source.pixels()), "PNG variant of an untagged PNG differs from the source")
    // The lossy formats stay within their own error of the source's values.
    for file in ["ui.png", "ui.jpg"] {
      for variant in try #require(try site.manifestImage(file)).variants {
        let output = try site.decode(variant)
        let pixels = try output.pixels()
        let white = output.pixel(10, 40, in: pixels)
        let dark = output.pixel(60, 40, in: pixels)
        #expect(white.prefix(3).allSatisfy { $0 >= 253 }, "\(variant.path): white is \(white)")
        #expect(zip(dark.prefix(3), [9, 12, 16]).allSatisfy { abs($0 - $1) <= 3 }, "\(variant.path): dark is \(dark)")
      }
    }
  }
}
