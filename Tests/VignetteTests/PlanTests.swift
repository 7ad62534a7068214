import Foundation
import Testing
import Vips

@testable import Vignette

@Suite("planning variants")
struct PlanTests {
  let configured = [480, 960, 1440, 1920]

  @Test(
    "widths are never upscaled; a smaller source adds its own width",
    arguments: [
      (1920, [480, 960, 1440, 1920]),
      (5000, [480, 960, 1440, 1920]),
      (1200, [480, 960, 1200]),
      (1001, [480, 960, 1001]),
      (960, [480, 960]),
      (300, [300]),
      (1, [1]),
    ])
  func widths(source: Int, expected: [Int]) {
    #expect(VariantPlanner.widths(sourceWidth: source, configured: configured) == expected)
  }

  @Test("auto is JPEG for opaque sources and PNG with alpha; the last format is the fallback")
  func formats() {
    #expect(VariantPlanner.formats([.avif, .webp, .auto], hasAlpha: false) == [.avif, .webp, .jpeg])
    #expect(VariantPlanner.formats([.avif, .webp, .auto], hasAlpha: true) == [.avif, .webp, .png])
    #expect(VariantPlanner.formats([.jpeg, .auto], hasAlpha: false) == [.jpeg])
  }

  func source(width: Int, height: Int, alpha: Bool = false) -> SourceImage {
    SourceImage(
      file: "/x/p.png", urlPath: "/images/p.png", hash: String(repeating: "a", count: 64), width: width, height: height,
      hasAlpha: alpha, pages: 1, loader: "pngload", bytes: 1)
  }

  @Test("file names carry the width and a content hash, under the source's URL folder")
  func names() throws {
    let plan = VariantPlanner.plan(source(width: 1000, height: 500), settings: ImageSettings())
    #expect(plan.variants.count == 3 * 3)
    let names = plan.variants.map(\.fileName)
    #expect(
      names.allSatisfy {
        $0.range(of: #"^p\.(480|960|1000)w\.[0-9a-f]{8}\.(avif|webp|jpg)$"#, options: .regularExpression) != nil
      })
    #expect(plan.variants.allSatisfy { $0.urlPath == "/images/" + $0.fileName })
    #expect(Set(names).count == names.count)
  }

  @Test("a changed setting or source changes every key; the same input gives the same keys")
  func keys() {
    let a = VariantPlanner.plan(source(width: 1000, height: 500), settings: ImageSettings())
    let b = VariantPlanner.plan(source(width: 1000, height: 500), settings: ImageSettings())
    var settings = ImageSettings()
    settings.quality.webp = 70
    let c = VariantPlanner.plan(source(width: 1000, height: 500), settings: settings)
    var other = source(width: 1000, height: 500)
    other.hash = String(repeating: "b", count: 64)
    let d = VariantPlanner.plan(other, settings: ImageSettings())
    #expect(a == b)
    #expect(a.key != c.key)
    #expect(zip(a.variants, c.variants).filter { $0.0.key != $0.1.key }.allSatisfy { $0.0.format == .webp })
    #expect(Set(a.variants.map(\.key)).isDisjoint(with: d.variants.map(\.key)))
  }

  @Test(
    "odd sizes and portraits keep their aspect ratio in every variant",
    arguments: [
      (1001, 667), (1080, 1920), (333, 999), (2049, 1),
    ])
  func aspect(width: Int, height: Int) async throws {
    let site = try TestSite("aspect\(width)x\(height)")
    try site.image("assets/images/p.png", width: width, height: height)
    try site.write("assets/posts/p.md", "![p](/images/p.png)\n")
    try site.config(#"{"assetRoots": ["assets"], "images": {"formats": ["webp", "auto"]}}"#)
    let report = try await site.build()
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    let image = try #require(try site.manifest().images.first)
    #expect(image.width == width && image.height == height)
    let expectedWidths = VariantPlanner.widths(sourceWidth: width, configured: [480, 960, 1440, 1920])
    #expect(Set(image.variants.map(\.width)) == Set(expectedWidths))
    for variant in image.variants {
      let expectedHeight = Double(height) * Double(variant.width) / Double(width)
      #expect(abs(Double(variant.height) - expectedHeight) <= 1, "\(variant.path)")
      #expect(variant.height >= 1)
    }
  }
}
