import Foundation
import Vips

@testable import Vignette

/// Image-engine helpers on top of `TestSite`: a post that shows a list of images, a config
/// for the images section, and reading variants back with libvips.
extension TestSite {
  /// Writes `assets/posts/<name>.md` with one `![…](/images/<file>)` per image; image `i`
  /// (from 0) sits on line `2 * i + 1`.
  func post(_ name: String = "post", images: [String]) throws {
    try write("assets/posts/\(name).md", images.map { "![\($0)](/images/\($0))\n" }.joined(separator: "\n"))
  }

  /// Writes `pipeline.json` with these image settings and offline YouTube.
  func imageConfig(
    widths: [Int] = [480, 960], formats: [String] = ["avif", "webp", "auto"], quality: String = "",
    maxPixels: Int? = nil
  ) throws {
    var images = [
      "\"widths\": [\(widths.map(String.init).joined(separator: ", "))]",
      "\"formats\": [\(formats.map { "\"\($0)\"" }.joined(separator: ", "))]",
    ]
    if !quality.isEmpty { images.append("\"quality\": {\(quality)}") }
    if let maxPixels { images.append("\"maxPixels\": \(maxPixels)") }
    try config(
      """
      {"version": 1, "assetRoots": ["assets"], "youtube": {"offline": true},
       "images": {\(images.joined(separator: ", "))}}
      """)
  }

  /// The manifest entry for the source `assets/images/<file>`.
  func manifestImage(_ file: String) throws -> Manifest.Image? {
    try manifest().images.first { $0.source.hasSuffix("/" + file) }
  }

  /// A variant of the last build, decoded.
  func decode(_ variant: Manifest.Variant) throws -> VipsImage {
    try VipsImage.open(path: path("output/" + variant.path))
  }

  /// SHA-256 of every file under `output/`, by relative path.
  func outputDigest() throws -> [String: String] {
    var digest: [String: String] = [:]
    for relative in FileSystem.files(under: path("output")) {
      digest[relative] = Checksum.sha256(try Data(contentsOf: URL(fileURLWithPath: path("output/" + relative))))
    }
    return digest
  }
}

/// Sources the engine tests feed in, made with libvips.
enum TestSources {
  typealias RGBA = (r: UInt8, g: UInt8, b: UInt8, a: UInt8)

  /// An image filled by `color(x, y)` (3 bands, or 4 when `alpha`).
  static func image(width: Int, height: Int, alpha: Bool = false, _ color: (Int, Int) -> RGBA) throws -> VipsImage {
    let bands = alpha ? 4 : 3
    var samples = [UInt8](repeating: 0, count: width * height * bands)
    for y in 0..<height {
      for x in 0..<width {
        let c = color(x, y)
        let i = (y * width + x) * bands
        samples[i] = c.r
        samples[i + 1] = c.g
        samples[i + 2] = c.b
        if alpha { samples[i + 3] = c.a }
      }
    }
    return try VipsImage.fromPixels(samples, width: width, height: height, bands: bands)
  }

  /// A smooth gradient with a little deterministic noise, like a photo: lossy formats beat
  /// PNG on it, so no variant is dropped for size.
  static func photo(width: Int, height: Int, alpha: Bool = false, transparent: (Int, Int) -> Bool = { _, _ in false })
    throws -> VipsImage
  {
    var seed: UInt32 = 7
    return try image(width: width, height: height, alpha: alpha) { x, y in
      seed = seed &* 1_664_525 &+ 1_013_904_223
      let n = Int(seed >> 29)
      return (
        UInt8(min(255, 40 + x * 160 / width + n)), UInt8(min(255, 60 + y * 120 / height + n)), UInt8(120 + n),
        transparent(x, y) ? 0 : 255
      )
    }
  }

  static func solid(width: Int = 64, height: Int = 48, _ r: UInt8, _ g: UInt8, _ b: UInt8) throws -> VipsImage {
    try image(width: width, height: height) { _, _ in (r, g, b, 255) }
  }

  /// A PNG whose IHDR claims `width`×`height` and that holds almost no pixel data: a header
  /// and one short compressed chunk (libpng reads the header up to the first IDAT).
  static func headerOnlyPNG(width: UInt32, height: UInt32) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      let body = Array(type.utf8) + data
      return be(UInt32(data.count)) + body + be(crc32(body))
    }
    let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0]  // 8-bit RGB, no interlace
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
      + chunk("IDAT", [120, 156, 99, 96, 160, 12, 0, 0, 0, 64, 0, 1]) + chunk("IEND", [])
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// A little-endian EXIF block whose only content is a GPS IFD (version and latitude ref).
  static func exifWithGPS() -> [UInt8] {
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(v & 0xffff)) + le16(UInt16(v >> 16)) }
    var tiff: [UInt8] = Array("II".utf8) + le16(42) + le32(8)
    tiff += le16(1) + le16(0x8825) + le16(4) + le32(1) + le32(26) + le32(0)  // IFD0: GPSInfo → 26
    tiff += le16(2)
    tiff += le16(0x0000) + le16(1) + le32(4) + [2, 2, 0, 0]  // GPSVersionID
    tiff += le16(0x0001) + le16(2) + le32(2) + Array("N".utf8) + [0, 0, 0]  // GPSLatitudeRef
    tiff += le32(0)
    return Array("Exif".utf8) + [0, 0] + tiff
  }

  static let xmp = Array(
    """
    <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF \
    xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description \
    xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.0N"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>
    """.utf8)

  /// An IPTC-IIM record (Photoshop APP13 payload) with a by-line.
  static let iptc: [UInt8] =
    Array("Photoshop 3.0".utf8) + [0] + Array("8BIM".utf8) + [0x04, 0x04, 0, 0, 0, 0, 0, 12]
    + [0x1C, 0x02, 0x50, 0x00, 0x07] + Array("Someone".utf8) + [0]
}

extension VipsImage {
  /// The pixel at (x, y) as band values.
  func pixel(_ x: Int, _ y: Int, in samples: [UInt8]) -> [Int] {
    let start = (y * width + x) * bands
    return samples[start..<start + bands].map(Int.init)
  }
}
