import Foundation
import Vips

/// A format a variant can be written in.
public enum VariantFormat: String, Sendable, Codable, Hashable, CaseIterable {
  case avif, webp, jpeg, png, gif, svg

  public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
  public var mimeType: String { self == .svg ? "image/svg+xml" : "image/\(rawValue)" }
  var encoded: EncodedFormat? { EncodedFormat(rawValue: rawValue) }
}

/// A source image after its header was read: what planning needs, and nothing decoded.
public struct SourceImage: Sendable, Hashable, Codable {
  /// Absolute path.
  public var file: String
  /// URL path it would be served from (`/images/lookBack.png`).
  public var urlPath: String
  /// SHA-256 of the file's bytes.
  public var hash: String
  /// Displayed size (EXIF orientation applied).
  public var width: Int
  public var height: Int
  public var hasAlpha: Bool
  public var pages: Int
  /// libvips loader nickname.
  public var loader: String
  public var bytes: Int64
  /// An SVG stored gzip-compressed (`.svgz`), published decompressed.
  public var compressed: Bool? = nil
  /// What libvips warned about while reading the header.
  public var warnings: [String]? = nil
  /// How the file itself can stand in for its variants at its own width; nil when it cannot.
  public var copy: SourceCopy? = nil
}

/// How a source file is served as its own candidate when every variant at its width is
/// heavier (a small flat PNG): only files a browser shows exactly as the variants show them
/// (a web format, one frame, 8-bit sRGB, no colour profile, no EXIF rotation, no damage), so
/// what is published is still 8-bit sRGB.
public enum SourceCopy: String, Sendable, Codable, Hashable {
  /// The file's own bytes: it carries no metadata to strip.
  case original
  /// A PNG saved again losslessly without its metadata (EXIF, XMP, text chunks).
  case strippedPNG

  /// The copy a source with `header` (and `warnings` from reading it) allows. JPEG and WebP
  /// carrying metadata have no lossless way to lose it in libvips, so they allow none.
  static func allowed(by header: ImageHeader, warnings: [String]) -> SourceCopy? {
    guard warnings.isEmpty, header.pages == 1, header.orientation == 1, !header.hasICCProfile,
      header.isSRGB8, !header.compressed
    else { return nil }
    if header.loader.hasPrefix("pngload") { return header.hasMetadata ? .strippedPNG : .original }
    let web = ["jpegload", "webpload", "gifload"].contains { header.loader.hasPrefix($0) }
    return web && !header.hasMetadata ? .original : nil
  }

  /// The format the copy is served in.
  static func format(loader: String) -> VariantFormat? {
    for (prefix, format) in [
      ("pngload", VariantFormat.png), ("jpegload", .jpeg), ("webpload", .webp), ("gifload", .gif),
    ]
    where loader.hasPrefix(prefix) {
      return format
    }
    return nil
  }
}

/// One output file to make from a source.
public struct VariantPlan: Sendable, Hashable, Codable {
  public var width: Int
  public var format: VariantFormat
  /// Content address: hash of source bytes, settings and the libvips version.
  public var key: String
  public var fileName: String
  /// URL path it is served from.
  public var urlPath: String
}

/// How a source is handled.
public enum RenderMode: String, Sendable, Codable, Hashable {
  /// Decoded and encoded into every width and format.
  case raster
  /// Copied unchanged (SVG, animated GIF, PNG and WebP).
  case passthrough
}

/// Everything a render job needs for one source: inert, `Sendable`, no libvips state.
public struct RenderPlan: Sendable, Hashable {
  public var source: SourceImage
  public var mode: RenderMode
  /// Variants in `<source>` order (formats as configured), each format by ascending width.
  public var variants: [VariantPlan]
  /// Identifies the whole result (variants, dimensions, placeholder) in the cache.
  public var key: String
  public var quality: ImageSettings.Quality
  public var effort: ImageSettings.Effort

  /// Whether any variant is an AVIF encode (whose encoder peaks high: see `AVIFGate`).
  var encodesAVIF: Bool { variants.contains { $0.format == .avif } }

  /// The source file itself (see `SourceCopy`) as a candidate at its own width, published
  /// only when every variant there is heavier than it.
  public var original: VariantPlan? = nil

  /// Every file the render may publish: the variants, then the source's copy.
  public var outputs: [VariantPlan] { variants + (original.map { [$0] } ?? []) }
}

/// Decides which variants a source gets.
public enum VariantPlanner {
  /// Bumped whenever rendering changes in a way that changes output bytes (5: liborc off;
  /// 6: a multi-page TIFF renders its first page, a TIFF pyramid resizes from an overview;
  /// 7: integer samples wider than a byte are shifted to 8 bits, not clipped).
  public static let engineVersion = "7"
  /// Bumped whenever placeholders change (3: none for images with transparency), so cached
  /// renders are not reused with the old ones; variant names do not depend on it.
  static let placeholderVersion = "placeholder-3"

  /// Configured widths not above the source width, plus the source width when it is smaller
  /// than the largest configured width. Ascending, never empty.
  public static func widths(sourceWidth: Int, configured: [Int]) -> [Int] {
    var widths = Set(configured.filter { $0 <= sourceWidth })
    if let largest = configured.max(), sourceWidth < largest { widths.insert(sourceWidth) }
    if widths.isEmpty { widths.insert(sourceWidth) }
    return widths.sorted()
  }

  /// The concrete formats for a source: `auto` becomes PNG when the source has alpha, JPEG
  /// otherwise; repeats are removed (the last one stays the fallback).
  public static func formats(_ configured: [OutputFormat], hasAlpha: Bool) -> [VariantFormat] {
    var result: [VariantFormat] = []
    for format in configured {
      let concrete: VariantFormat =
        switch format {
        case .auto: hasAlpha ? .png : .jpeg
        case .avif: .avif
        case .webp: .webp
        case .jpeg: .jpeg
        case .png: .png
        }
      result.removeAll { $0 == concrete }
      result.append(concrete)
    }
    return result
  }

  /// The format a source is copied in unchanged: SVG, and every animation (GIF, PNG, WebP),
  /// which libvips 8.14 would flatten to its first frame. Nil for sources that are rendered.
  static func passthroughFormat(_ source: SourceImage) -> VariantFormat? {
    if source.loader.hasPrefix("svgload") { return .svg }
    guard source.pages > 1 else { return nil }
    if source.loader.hasPrefix("gifload") { return .gif }
    if source.loader.hasPrefix("pngload") { return .png }
    if source.loader.hasPrefix("webpload") { return .webp }
    return nil
  }

  public static func plan(_ source: SourceImage, settings: ImageSettings) -> RenderPlan {
    let url = source.urlPath as NSString
    let folder = url.deletingLastPathComponent
    let stem = (url.lastPathComponent as NSString).deletingPathExtension
    let prefix = folder.hasSuffix("/") ? folder : folder + "/"
    func quality(_ format: VariantFormat) -> Int {
      switch format {
      case .avif: settings.quality.avif
      case .webp: settings.quality.webp
      case .jpeg: settings.quality.jpeg
      default: 0
      }
    }
    func effort(_ format: VariantFormat) -> Int {
      switch format {
      case .avif: settings.effort.avif
      case .webp: settings.effort.webp
      default: 0
      }
    }
    let common = "vignette-\(engineVersion)|vips-\(VipsLibrary.version)|\(source.hash)"
    if let format = passthroughFormat(source) {
      let key = Checksum.sha256("\(common)|passthrough")
      let name = "\(stem).\(key.prefix(8)).\(format.fileExtension)"
      let variant = VariantPlan(width: source.width, format: format, key: key, fileName: name, urlPath: prefix + name)
      // The file keeps its name; the render (with its placeholder) is keyed apart from it.
      return RenderPlan(
        source: source, mode: .passthrough, variants: [variant], key: Checksum.sha256("\(key)|\(placeholderVersion)"),
        quality: settings.quality, effort: settings.effort)
    }
    let widths = widths(sourceWidth: source.width, configured: settings.widths)
    var variants: [VariantPlan] = []
    for format in formats(settings.formats, hasAlpha: source.hasAlpha) {
      for width in widths {
        let key = Checksum.sha256("\(common)|\(width)|\(format.rawValue)|q\(quality(format))|e\(effort(format))")
        let name = "\(stem).\(width)w.\(key.prefix(8)).\(format.fileExtension)"
        variants.append(VariantPlan(width: width, format: format, key: key, fileName: name, urlPath: prefix + name))
      }
    }
    var original: VariantPlan?
    if let copy = source.copy, let format = SourceCopy.format(loader: source.loader) {
      let key = Checksum.sha256("\(common)|source|\(copy.rawValue)")
      let name = "\(stem).\(source.width)w.\(key.prefix(8)).\(format.fileExtension)"
      original = VariantPlan(width: source.width, format: format, key: key, fileName: name, urlPath: prefix + name)
    }
    let key = Checksum.sha256(
      ([common, placeholderVersion] + variants.map(\.key) + (original.map { [$0.key] } ?? [])).joined(separator: "|"))
    return RenderPlan(
      source: source, mode: .raster, variants: variants, key: key, quality: settings.quality, effort: settings.effort,
      original: original)
  }
}
