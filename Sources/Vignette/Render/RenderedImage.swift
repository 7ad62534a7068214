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
  /// Set when the source file itself is a candidate (a variant with `servedSource`), because
  /// every variant at its width was heavier: the format whose `srcset` it joins.
  public var servedSourceJoins: VariantFormat? = nil
}

public struct RenderedVariant: Sendable, Codable, Hashable {
  public var key: String
  public var fileName: String
  public var urlPath: String
  public var width: Int
  public var height: Int
  public var format: VariantFormat
  public var bytes: Int
  /// The source file itself (stripped of metadata), not a rendering of it.
  public var servedSource: Bool? = nil
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
  /// Formats in `<source>` order, each once; the last is the `<img>` fallback (the one the
  /// source file joins when it is served itself).
  public var formats: [VariantFormat] {
    var formats = variants.filter { $0.servedSource != true }.map(\.format).reduce(into: [VariantFormat]()) {
      if !$0.contains($1) { $0.append($1) }
    }
    if let joins = servedSourceJoins, !formats.contains(joins) { formats.append(joins) }
    return formats
  }

  /// The rendered variants of one format, narrowest first.
  public func candidates(_ format: VariantFormat) -> [RenderedVariant] {
    variants.filter { $0.format == format && $0.servedSource != true }.sorted { $0.width < $1.width }
  }

  /// The fallback format's variants, with the source file when it is served itself,
  /// narrowest first (empty when nothing was kept).
  public var fallback: [RenderedVariant] {
    guard let format = formats.last else { return [] }
    let served = format == servedSourceJoins ? variants.filter { $0.servedSource == true } : []
    return (candidates(format) + served).sorted { $0.width < $1.width }
  }

  /// Never a candidate heavier than the source file (`limit` bytes), the one decision
  /// markdown and site mode share. Each format keeps its lighter widths; a modern format (any
  /// but the fallback) whose variant at the image's own width is heavier gets no `<source>`
  /// at all, since a browser picks a format first and then a width, and would be left
  /// without a sharp enough candidate; in the fallback, `source` (the file itself, at its
  /// own width) takes that one's place. Nil when nothing is heavier, so the image is
  /// published as rendered.
  public func withinBudget(_ limit: Int64, source: RenderedVariant) -> RenderedImage? {
    guard let fallbackFormat = formats.last, variants.contains(where: { Int64($0.bytes) > limit }) else { return nil }
    var kept: [RenderedVariant] = []
    for format in formats.dropLast() {
      let own = candidates(format).filter { Int64($0.bytes) <= limit }
      if own.last?.width == width { kept += own }
    }
    let fallback = candidates(fallbackFormat).filter { Int64($0.bytes) <= limit }
    kept += fallback
    var budgeted = self
    if fallback.last?.width != width {
      var source = source
      source.servedSource = true
      kept.append(source)
      budgeted.servedSourceJoins = fallbackFormat
    }
    budgeted.variants = kept
    return budgeted
  }

  /// Why the source file is one of the candidates, for the manifest.
  public var servedSourceNote: String? {
    guard servedSourceJoins != nil, let source = variants.first(where: { $0.servedSource == true }) else { return nil }
    return
      "every variant at \(source.width)w was heavier than the source (\(source.bytes) bytes): the source itself is served there"
  }

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
