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

/// Shown while the real image loads, so pages neither jump nor flash.
public struct Placeholder: Sendable, Codable, Hashable {
  /// Average colour, `#rrggbb`.
  public var color: String
  /// A tiny blurred preview as a `data:` URL.
  public var preview: String?
}
