import Foundation
import Testing
import Vips

@testable import Vignette

/// What a reader sees of each rendered picture: upright, right colours, no metadata, alpha
/// kept, animations and SVGs untouched. Every source is generated here with libvips.
@Suite("Image engine: correctness")
struct ImageEngineCorrectnessTests {
  /// An upright 96×64 picture: a red block in the top-left corner on blue.
  static func upright() throws -> VipsImage {
    try TestSources.image(width: 96, height: 64) { x, y in x < 32 && y < 24 ? (220, 30, 30, 255) : (40, 60, 200, 255) }
  }

  /// What a camera stores for `orientation` so that a viewer applying it shows `image`.
  static func stored(_ image: VipsImage, orientation: Int) throws -> VipsImage {
    switch orientation {
    case 2: try image.flipped(horizontally: true)
    case 3: try image.rotated(180)
    case 4: try image.flipped(horizontally: false)
    case 5: try image.rotated(90).flipped(horizontally: true)  // transpose
    case 6: try image.rotated(270)
    case 7: try image.rotated(270).flipped(horizontally: true)  // transverse
    case 8: try image.rotated(90)
    default: image
    }
  }

  @Test("EXIF orientation is applied: every variant is upright at the displayed size", arguments: 1...8)
  func orientation(_ orientation: Int) async throws {
    let site = try TestSite("orientation\(orientation)")
    let stored = try Self.stored(Self.upright(), orientation: orientation).setting(["orientation": orientation])
    #expect((stored.width, stored.height) == (orientation >= 5 ? (64, 96) : (96, 64)))
    try site.write("assets/images/camera.jpg", Data(stored.saved(as: ".jpg[Q=95]")))
    #expect(try ImageHeader(path: site.path("assets/images/camera.jpg")).orientation == orientation)
    try site.post(images: ["camera.jpg"])
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    let report = try await site.build()
    #expect(report.errors == 0)
    let image = try #require(try site.manifestImage("camera.jpg"))
    #expect((image.width, image.height) == (96, 64))
    #expect(image.variants.count >= 1)
    for variant in image.variants {
      let output = try site.decode(variant)
      #expect((output.width, output.height) == (96, 64))
      let pixels = try output.pixels()
      let corner = output.pixel(10, 8, in: pixels)
      #expect(corner[0] > 170 && corner[2] < 90, "top-left of \(variant.path) is \(corner), not red")
      for (x, y) in [(85, 8), (10, 55), (85, 55)] {
        let p = output.pixel(x, y, in: pixels)
        #expect(p[2] > 150 && p[0] < 90, "(\(x), \(y)) of \(variant.path) is \(p), not blue")
      }
      #expect(!output.fields.contains("orientation"))
    }
  }

  struct ColourCase: CustomTestStringConvertible, Sendable {
    var file: String
    var expected: [Double]
    var make: @Sendable () throws -> [UInt8]
    var testDescription: String { file }
  }

  static let colourCases: [ColourCase] = [
    ColourCase(file: "cmyk.jpg", expected: [200, 120, 40]) {
      let cmyk = try TestSources.solid(200, 120, 40).iccTransformed(to: "cmyk")
      #expect(cmyk.bands == 4 && cmyk.interpretation == .cmyk)
      return try cmyk.saved(as: ".jpg[Q=95]")
    },
    ColourCase(file: "grey.jpg", expected: [128, 128, 128]) {
      let grey = try TestSources.solid(128, 128, 128).converted(to: .grey)
      #expect(grey.bands == 1)
      return try grey.saved(as: ".jpg[Q=95]")
    },
    ColourCase(file: "deep.png", expected: [200, 120, 40]) {
      var bytes: [UInt8] = []
      for _ in 0..<(64 * 48) {
        for value: UInt16 in [200 * 257, 120 * 257, 40 * 257] { withUnsafeBytes(of: value) { bytes += $0 } }
      }
      let deep = try VipsImage.fromPixels(
        bytes, width: 64, height: 48, bands: 3, format: .ushort, interpretation: .rgb16)
      let png = try deep.saved(as: ".png")
      #expect(try VipsImage.decode(png).bandFormat == .ushort)
      return png
    },
    // 32-bit samples over their whole range, tagged RGB, as in Pillow's hopper_unknown_pixel_mode.tif
    // (libvips keeps such a TIFF as uint sRGB): clipped at 255 before, so every band was white.
    ColourCase(file: "deep32.tif", expected: [200, 120, 40]) {
      var bytes: [UInt8] = []
      for _ in 0..<(64 * 48) {
        for value: UInt32 in [200 << 24 | 1 << 23, 120 << 24 | 1 << 23, 40 << 24 | 1 << 23] {
          withUnsafeBytes(of: value) { bytes += $0 }
        }
      }
      let deep = try VipsImage.fromPixels(bytes, width: 64, height: 48, bands: 3, format: .uint)
      let tiff = try deep.saved(as: ".tif")
      #expect(try VipsImage.decode(tiff).bandFormat == .uint)
      return tiff
    },
    ColourCase(file: "palette.png", expected: [200, 120, 40]) {
      try TestSources.solid(200, 120, 40).saved(as: ".png[palette]")
    },
    ColourCase(file: "photo.webp", expected: [200, 120, 40]) {
      try TestSources.solid(200, 120, 40).saved(as: ".webp[Q=95]")
    },
    ColourCase(file: "photo.avif", expected: [200, 120, 40]) {
      try TestSources.solid(200, 120, 40).saved(as: ".avif[Q=95,compression=av1]")
    },
    ColourCase(file: "photo.heic", expected: [200, 120, 40]) {
      try TestSources.solid(200, 120, 40).saved(as: ".heic[Q=95,compression=hevc]")
    },
  ]

  @Test(
    "CMYK, grey, 16-bit, 32-bit, palette, WebP, AVIF and HEIF sources become 8-bit sRGB with their colours",
    arguments: colourCases)
  func colours(_ source: ColourCase) async throws {
    let site = try TestSite("colours-" + source.file)
    try site.write("assets/images/" + source.file, Data(source.make()))
    try site.post(images: [source.file])
    try site.imageConfig(widths: [480], formats: ["avif", "webp", "jpeg"])
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    let image = try #require(try site.manifestImage(source.file))
    // A palette PNG of one colour is lighter than its JPEG: then it is served itself.
    #expect(Set(image.variants.map(\.format)).contains(.jpeg) || image.servedSource == true)
    for variant in image.variants {
      let output = try site.decode(variant)
      #expect(output.bandFormat == .uchar)
      #expect(output.interpretation == .srgb)
      #expect(output.bands == 3 || output.bands == 4)
      let means = try output.bandMeans()
      for band in 0..<3 {
        #expect(
          abs(means[band] - source.expected[band]) < 10,
          "\(variant.path) band \(band): \(means[band]) vs \(source.expected[band])")
      }
    }
  }

  @Test("An embedded Display P3 profile is honoured, then converted to sRGB and dropped")
  func iccProfile() async throws {
    let site = try TestSite()
    let p3 = try TestSources.solid(200, 40, 30).iccTransformed(to: "p3")
    let stored = try p3.bandMeans()
    // The file's numbers are P3 numbers: read as sRGB they would be visibly wrong.
    #expect(abs(stored[0] - 200) + abs(stored[1] - 40) + abs(stored[2] - 30) > 20)
    let jpeg = try p3.saved(as: ".jpg[Q=95]")
    #expect(try VipsImage.decode(jpeg).fields.contains("icc-profile-data"))
    try site.write("assets/images/p3.jpg", Data(jpeg))
    try site.post(images: ["p3.jpg"])
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    #expect(try await site.build().errors == 0)
    for variant in try #require(try site.manifestImage("p3.jpg")).variants {
      let output = try site.decode(variant)
      let means = try output.bandMeans()
      #expect(abs(means[0] - 200) < 6 && abs(means[1] - 40) < 6 && abs(means[2] - 30) < 6, "\(variant.path): \(means)")
      #expect(!output.fields.contains("icc-profile-data"))
    }
  }

  @Test("No EXIF, GPS, XMP, IPTC or ICC data survives into any output format")
  func metadataStripped() async throws {
    let site = try TestSite()
    let blobs = ["exif-data": TestSources.exifWithGPS(), "xmp-data": TestSources.xmp, "iptc-data": TestSources.iptc]
    let photo = try TestSources.photo(width: 300, height: 200).iccTransformed(to: "srgb").setting(blobs: blobs)
    let jpeg = try photo.saved(as: ".jpg[Q=90]")
    let fields = try VipsImage.decode(jpeg).fields
    // The source really carries each kind of metadata.
    #expect(fields.contains { $0.hasPrefix("exif-ifd3-GPS") }, "\(fields)")
    #expect(fields.contains("xmp-data") && fields.contains("iptc-data") && fields.contains("icc-profile-data"))
    try site.write("assets/images/gps.jpg", Data(jpeg))
    let clear = try TestSources.photo(width: 300, height: 200, alpha: true) { x, _ in x > 150 }.setting(blobs: [
      "exif-data": TestSources.exifWithGPS(), "xmp-data": TestSources.xmp,
    ])
    try site.write("assets/images/gps.png", Data(try clear.saved(as: ".png")))
    try site.post(images: ["gps.jpg", "gps.png"])
    try site.imageConfig(widths: [480], formats: ["avif", "webp", "auto"])
    #expect(try await site.build().errors == 0)
    var formats = Set<VariantFormat>()
    for file in ["gps.jpg", "gps.png"] {
      for variant in try #require(try site.manifestImage(file)).variants {
        formats.insert(variant.format)
        let left = try site.decode(variant).fields.filter {
          $0.hasPrefix("exif") || $0.hasPrefix("xmp") || $0.hasPrefix("iptc") || $0.hasPrefix("icc")
            || $0 == "orientation" || $0.hasPrefix("photoshop")
        }
        #expect(left.isEmpty, "\(variant.path) keeps \(left)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: site.path("output/" + variant.path)))
        #expect(bytes.range(of: Data("GPSLatitude".utf8)) == nil && bytes.range(of: Data("Someone".utf8)) == nil)
      }
    }
    #expect(formats == [.avif, .webp, .jpeg, .png])
  }

  @Test("Alpha is kept in AVIF, WebP and PNG; a JPEG of a transparent source is on white, never black")
  func alpha() async throws {
    let site = try TestSite()
    // Left half opaque; right half fully transparent (its colour underneath is irrelevant).
    let source = try TestSources.photo(width: 300, height: 200, alpha: true) { x, _ in x >= 150 }
    try site.write("assets/images/cutout.png", Data(try source.saved(as: ".png")))
    try site.write("assets/images/cutout-copy.png", Data(try source.saved(as: ".png[compression=9]")))
    try site.post(images: ["cutout.png", "cutout-copy.png"])
    try site.imageConfig(widths: [480], formats: ["avif", "webp", "auto"])
    #expect(try await site.build().errors == 0)
    let image = try #require(try site.manifestImage("cutout.png"))
    #expect(Set(image.variants.map(\.format)).isSuperset(of: [.avif, .png]))
    for variant in image.variants {
      let output = try site.decode(variant)
      #expect(output.bands == 4, "\(variant.path) lost its alpha")
      let pixels = try output.pixels()
      #expect(output.pixel(270, 100, in: pixels)[3] < 10)
      let opaque = output.pixel(40, 100, in: pixels)
      #expect(opaque[3] > 245 && opaque[1] > 90 && opaque[2] > 90, "\(opaque)")
    }
    // Forcing JPEG for the same source: transparent areas come out white.
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    #expect(try await site.build().errors == 0)
    let jpeg = try #require(try site.manifestImage("cutout.png")?.variants.first { $0.format == .jpeg })
    let output = try site.decode(jpeg)
    let pixels = try output.pixels()
    #expect(output.pixel(270, 100, in: pixels).allSatisfy { $0 > 240 }, "\(output.pixel(270, 100, in: pixels))")
    #expect(output.pixel(40, 100, in: pixels)[2] > 90 && output.pixel(40, 100, in: pixels)[2] < 160)
  }

  @Test("An animated GIF passes through unchanged, every frame kept, with its size in the markup")
  func animatedGIF() async throws {
    let site = try TestSite()
    let frames = try [(220, 30, 30), (30, 220, 30), (30, 30, 220)].map {
      try TestSources.solid(width: 32, height: 24, UInt8($0.0), UInt8($0.1), UInt8($0.2))
    }
    let gif = try VipsImage.animation(frames).saved(as: ".gif")
    try site.write("assets/images/spinner.gif", Data(gif))
    #expect(try ImageHeader(path: site.path("assets/images/spinner.gif")).pages == 3)
    try site.post(images: ["spinner.gif"])
    try site.imageConfig()
    #expect(try await site.build().errors == 0)
    let image = try #require(try site.manifestImage("spinner.gif"))
    #expect((image.width, image.height) == (32, 24))
    let variant = try #require(image.variants.first)
    #expect(image.variants.count == 1 && variant.format == .gif)
    #expect(try Data(contentsOf: URL(fileURLWithPath: site.path("output/" + variant.path))) == Data(gif))
    #expect(try ImageHeader(path: site.path("output/" + variant.path)).pages == 3)
    // libvips reads every GIF with an alpha band: no placeholder, which could show through.
    #expect(image.placeholder == nil)
    let html = try #require(site.read("output/html/post.html"))
    #expect(html.contains(variant.url) && html.contains("width=\"32\" height=\"24\""))
  }

  @Test("An SVG is copied byte for byte, and its intrinsic size goes into the markup")
  func svg() async throws {
    let site = try TestSite()
    let svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" viewBox="0 0 120 80">\
      <rect width="120" height="80" fill="#3060c0"/><circle cx="60" cy="40" r="30" fill="#fff"/></svg>

      """
    try site.write("assets/images/logo.svg", svg)
    try site.post(images: ["logo.svg"])
    try site.imageConfig()
    #expect(try await site.build().errors == 0)
    let image = try #require(try site.manifestImage("logo.svg"))
    #expect((image.width, image.height) == (120, 80))
    let variant = try #require(image.variants.first)
    #expect(image.variants.count == 1 && variant.format == .svg)
    #expect(site.read("output/" + variant.path) == svg)
    let html = try #require(site.read("output/html/post.html"))
    #expect(html.contains("width=\"120\" height=\"80\""))
  }

  @Test("A variant larger than the fallback of the same width is dropped, and never linked")
  func dropping() async throws {
    let site = try TestSite()
    // Noise: PNG cannot compress it, JPEG can.
    var seed: UInt32 = 12345
    let noise = try TestSources.image(width: 200, height: 150) { _, _ in
      seed = seed &* 1_664_525 &+ 1_013_904_223
      return (UInt8(seed >> 24), UInt8(seed >> 16 & 0xff), UInt8(seed >> 8 & 0xff), 255)
    }
    try site.write("assets/images/noise.jpg", Data(try noise.saved(as: ".jpg[Q=95]")))
    try site.post(images: ["noise.jpg"])
    try site.imageConfig(widths: [100, 480], formats: ["png", "jpeg"])
    #expect(try await site.build().errors == 0)
    let image = try #require(try site.manifestImage("noise.jpg"))
    #expect(image.variants.map(\.format) == [.jpeg, .jpeg])
    #expect(FileSystem.files(under: site.path("output/static")).allSatisfy { !$0.hasSuffix(".png") })
    #expect(!(site.read("output/html/post.html") ?? "").contains(".png"))
  }

  @Test("Each image gets a placeholder (average colour and a tiny WebP preview) in the manifest and the page")
  func placeholder() async throws {
    let site = try TestSite()
    try site.write("assets/images/orange.jpg", Data(try TestSources.solid(200, 120, 40).saved(as: ".jpg[Q=95]")))
    try site.post(images: ["orange.jpg"])
    try site.imageConfig(formats: ["webp", "jpeg"])
    #expect(try await site.build().errors == 0)
    let placeholder = try #require(try site.manifestImage("orange.jpg")?.placeholder)
    let rgb = stride(from: 1, to: 7, by: 2).map { Int(placeholder.color.dropFirst($0).prefix(2), radix: 16) ?? -1 }
    #expect(zip(rgb, [200, 120, 40]).allSatisfy { abs($0 - $1) < 8 }, "\(placeholder.color)")
    let preview = try #require(placeholder.preview)
    #expect(preview.hasPrefix("data:image/webp;base64,"))
    let bytes = try #require(Data(base64Encoded: String(preview.dropFirst("data:image/webp;base64,".count))))
    #expect(try VipsImage.decode(Array(bytes)).width <= 16)
    #expect(site.read("output/html/post.html")?.contains("background-color:\(placeholder.color)") == true)
  }
}
