import Foundation
import Testing
import Vips

@testable import Vignette

/// Sources with reduced-size copies inside them (issue 11 items 15 and 18): libvips 8.14's
/// shrink-on-load picks the wrong one for JPEG 2000 resolution levels and TIFF pyramids
/// (`vips thumbnail x.jp2 … 640 --size down` of a 1000-px file gives 125 px), and a TIFF
/// whose overview pages are damaged fails outright although its main image decodes. Every
/// source is made here with libvips, on a thread of its own (off the cooperative pool). The
/// renderer falls back to decoding the main image in full; without that fall-back both tests
/// fail (a 640w JPEG 2000 variant came out 125 pixels wide, and the damaged TIFF was refused).
@Suite("Reduced-size copies inside a source")
struct ReducedCopyTests {
  /// The widths a variant's name, the manifest and the file itself give, all equal to the plan.
  func expectPlannedWidths(_ image: Manifest.Image, _ site: TestSite, planned: Set<Int>) throws {
    #expect(Set(image.variants.map(\.width)) == planned, "\(image.variants.map(\.path))")
    for variant in image.variants {
      let decoded = try site.decode(variant)
      #expect(decoded.width == variant.width, "\(variant.path) is \(decoded.width) pixels wide")
      #expect(variant.path.contains(".\(variant.width)w."), "\(variant.path)")
      #expect(decoded.height == Int((Double(variant.width) * 700 / 1000).rounded()), "\(variant.path)")
    }
  }

  /// A 1000×700 photo with reduced-size copies inside: libvips' jp2ksave writes resolution
  /// levels down to 125 px, and a TIFF pyramid has pages of 500, 250 and 125 px.
  static let layered = [
    ("scan.jp2", ".jp2"), ("scan.tif", ".tif[pyramid,tile,tile-width=128,tile-height=128,compression=deflate]"),
  ]

  @Test(
    "A JPEG 2000 or TIFF pyramid source gives variants exactly as wide as planned, never a smaller copy",
    arguments: layered)
  func plannedWidths(file: String, suffix: String) async throws {
    let site = try TestSite("plannedWidths-" + file)
    let data = try await onOwnThread { try TestSources.photo(width: 1000, height: 700).saved(as: suffix) }
    try site.write("assets/images/" + file, Data(data))
    try site.post(images: [file])
    try site.config(
      """
      {"version": 1, "assetRoots": ["assets"], "youtube": {"offline": true},
       "images": {"widths": [300, 640], "formats": ["webp", "jpeg"], "loaders": ["jp2k"]}}
      """)
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    try expectPlannedWidths(try #require(try site.manifestImage(file)), site, planned: [300, 640])
  }

  /// `tiff` with the tile data of every reduced-resolution page (IFD after the first)
  /// overwritten, so only the main image can be decoded. libvips writes little-endian TIFF.
  static func damagingOverviews(_ tiff: [UInt8]) throws -> [UInt8] {
    var bytes = tiff
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    try #require(Array(bytes.prefix(4)) == [0x49, 0x49, 0x2A, 0x00], "not a little-endian TIFF")
    var ifd = u32(4)
    var page = 0
    while ifd != 0 {
      let count = u16(ifd)
      var tags: [Int: (count: Int, value: Int)] = [:]
      for entry in 0..<count {
        let at = ifd + 2 + 12 * entry
        tags[u16(at)] = (u32(at + 4), u32(at + 8))
      }
      func values(_ tag: Int) throws -> [Int] {
        let (n, value) = try #require(tags[tag], "page \(page) has no tag \(tag)")
        return n == 1 ? [value] : (0..<n).map { u32(value + 4 * $0) }
      }
      if page > 0 {
        // TileOffsets (324) and TileByteCounts (325).
        for (offset, length) in zip(try values(324), try values(325)) {
          for index in offset..<offset + length { bytes[index] = 0x55 }
        }
      }
      ifd = u32(ifd + 2 + 12 * count)
      page += 1
    }
    try #require(page > 2, "no overview pages")
    return bytes
  }

  /// A multi-page TIFF of equal pages (libvips saves an image with `page-height` as one page
  /// per IFD): page 0 green, page 1 red. libvips 8.14's thumbnail took two 10×10 pages for a
  /// pyramid and shrank from the last one, so every variant of Pillow's
  /// `multipage_multiple_frame_loop.tiff` was red.
  @Test("A multi-page TIFF whose pages are not reduced copies renders its first page", arguments: [10, 64])
  func multiPageTIFFRendersItsFirstPage(side: Int) async throws {
    let site = try TestSite("multiPageTIFF-\(side)")
    let data = try await onOwnThread {
      try VipsImage.animation([
        try TestSources.solid(width: side, height: side, 0, 128, 0),
        try TestSources.solid(width: side, height: side, 255, 0, 0),
      ]).saved(as: ".tif")
    }
    try site.write("assets/images/pages.tif", Data(data))
    try #require(try ImageHeader(path: site.path("assets/images/pages.tif")).pages == 2)
    try site.post(images: ["pages.tif"])
    try site.imageConfig(formats: ["webp", "auto"])
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    let image = try #require(try site.manifestImage("pages.tif"))
    #expect(!image.variants.isEmpty)
    for variant in image.variants {
      let means = try site.decode(variant).bandMeans()
      #expect(means[0] < 8 && abs(means[1] - 128) < 8 && means[2] < 8, "\(variant.path): \(means)")
    }
  }

  /// Widths a damaged pyramid is rendered at, and whether its overviews are read for them: the
  /// largest variant is resized from the smallest page still as wide (pages of 1000, 500, 250
  /// and 125 px), so 640 reads the main image, and 200 the 250-px overview.
  static let damagedCases: [(widths: [Int], readsOverview: Bool)] = [([300, 640], false), ([100, 200], true)]

  @Test(
    "A TIFF page pyramid is resized from its smallest page that is wide enough; one whose overview cannot be read renders from its main image, with a located warning",
    arguments: damagedCases)
  func tiffDamagedOverviews(widths: [Int], readsOverview: Bool) async throws {
    let site = try TestSite("tiffDamagedOverviews-\(widths[1])")
    let (pyramid, expected) = try await onOwnThread {
      let source = try TestSources.photo(width: 1000, height: 700)
      return (
        try source.saved(as: ".tif[pyramid,tile,tile-width=128,tile-height=128,compression=deflate]"),
        try source.bandMeans()
      )
    }
    try site.write("assets/images/scan.tif", Data(try Self.damagingOverviews(pyramid)))
    try site.post(images: ["scan.tif"])
    try site.config(
      """
      {"version": 1, "assetRoots": ["assets"], "youtube": {"offline": true},
       "images": {"widths": [\(widths[0]), \(widths[1])], "formats": ["webp", "jpeg"]}}
      """)
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    let warnings = report.diagnostics.filter { $0.severity == .warning }
    // A damaged page that is read is reported; one that is never read is no concern of the build's.
    #expect(
      warnings.contains {
        $0.file == "assets/posts/post.md" && $0.line == 1 && $0.message.contains("reduced-size copy cannot be read")
      } == readsOverview, "\(report.diagnostics)")
    let image = try #require(try site.manifestImage("scan.tif"))
    try expectPlannedWidths(image, site, planned: Set(widths))
    // The picture is the source's: the mean colour of the largest JPEG is the source's.
    let jpeg = try #require(image.variants.first { $0.format == .jpeg && $0.width == widths[1] })
    let means = try site.decode(jpeg).bandMeans()
    for band in 0..<3 { #expect(abs(means[band] - expected[band]) < 4, "band \(band): \(means) vs \(expected)") }
  }
}
