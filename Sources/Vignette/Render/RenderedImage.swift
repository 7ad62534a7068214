import Foundation

/// What rendering one source produced; stored in the cache so a later build can reuse it
/// without decoding anything.
public struct RenderedImage: Sendable, Codable, Hashable {
  public var width: Int
  public var height: Int
  /// Kept variants, in `<source>` order; dropped ones (larger than a later format at the
  /// same width) are not listed.
  public var variants: [RenderedVariant]
  public var placeholder: Placeholder?
  /// How the source was handled when that is not the usual way (an animation copied
  /// unchanged); written to the manifest.
  public var note: String? = nil
  /// What libvips warned about while decoding (damaged data, a profile treated as sRGB…);
  /// reported at every reference to the source, also when the result comes from the cache.
  public var warnings: [String]? = nil
}

public struct RenderedVariant: Sendable, Codable, Hashable {
  public var key: String
  public var fileName: String
  public var urlPath: String
  public var width: Int
  public var height: Int
  public var format: VariantFormat
  public var bytes: Int
}

/// Shown while the real image loads, so pages neither jump nor flash: the `<img>`'s
/// background, which the picture paints over. Made for opaque images only (behind a
/// transparent one it would stay visible), so no script ever has to remove it.
public struct Placeholder: Sendable, Codable, Hashable {
  /// Average colour, `#rrggbb`.
  public var color: String
  /// A tiny blurred preview as a `data:` URL.
  public var preview: String?
}

extension RenderedImage {
  /// Formats in `<source>` order, each once; the last is the `<img>` fallback.
  public var formats: [VariantFormat] {
    variants.map(\.format).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
  }

  /// The variants of one format, narrowest first.
  public func candidates(_ format: VariantFormat) -> [RenderedVariant] {
    variants.filter { $0.format == format }.sorted { $0.width < $1.width }
  }

  /// The fallback format's variants, narrowest first (empty when nothing was kept).
  public var fallback: [RenderedVariant] { formats.last.map(candidates) ?? [] }

  /// Whether the fallback `<img>` gets a `srcset`: more than one width, and not a
  /// pass-through GIF or SVG.
  public var fallbackHasSrcset: Bool {
    guard let format = formats.last else { return false }
    return format != .svg && format != .gif && fallback.count > 1
  }

  /// `srcset` of `variants` with `w` descriptors; `url` turns a variant into what is written.
  public static func srcset(_ variants: [RenderedVariant], url: (RenderedVariant) -> String) -> String {
    variants.map { "\(url($0)) \($0.width)w" }.joined(separator: ", ")
  }
}

extension Placeholder {
  /// CSS shown behind the `<img>` until the picture loads.
  public var style: String {
    var style = "background-color:\(color)"
    if let preview { style += ";background-image:url(\(preview));background-size:cover" }
    return style
  }
}
