import Foundation

/// `<picture>` markup for a rendered image: one `<source type>` per format, `srcset` with
/// `w` descriptors, `sizes`, and an `<img>` fallback with `width`/`height` so the page
/// reserves the space before anything loads.
public struct PictureMarkup: Sendable {
  /// Prepended to every URL path (`../static` for a page opened from disk, `` for a site).
  public var urlPrefix: String
  public var sizes: String

  public init(urlPrefix: String, sizes: String) {
    self.urlPrefix = urlPrefix
    self.sizes = sizes
  }

  /// A URL path percent-encoded for use in `src` and `srcset` (spaces, commas, non-ASCII).
  public static func encode(_ path: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: ",;")
    return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
  }

  func url(_ path: String) -> String { HTMLText.escape(urlPrefix + Self.encode(path)) }

  /// The `<picture>` element. `eager` marks the first image of a page: it loads at once with
  /// high priority; every other image is lazy.
  public func picture(
    _ image: RenderedImage, alt: String, title: String? = nil, eager: Bool, imgClass: String? = nil
  ) -> String {
    let formats = image.variants.map(\.format).reduce(into: [VariantFormat]()) { if !$0.contains($1) { $0.append($1) } }
    guard let fallbackFormat = formats.last else { return "" }
    let fallback = image.variants.filter { $0.format == fallbackFormat }.sorted { $0.width < $1.width }
    let largest = fallback.last!
    var attributes = [
      "src=\"\(url(largest.urlPath))\"",
    ]
    if fallbackFormat != .svg && fallbackFormat != .gif && fallback.count > 1 {
      attributes.append("srcset=\"\(srcset(fallback))\"")
      attributes.append("sizes=\"\(HTMLText.escape(sizes))\"")
    }
    attributes += [
      "width=\"\(largest.width)\"", "height=\"\(largest.height)\"", "alt=\"\(HTMLText.escape(alt))\"",
    ]
    if let title, !title.isEmpty { attributes.append("title=\"\(HTMLText.escape(title))\"") }
    if let imgClass { attributes.append("class=\"\(HTMLText.escape(imgClass))\"") }
    attributes.append(eager ? "fetchpriority=\"high\"" : "loading=\"lazy\"")
    attributes.append("decoding=\"async\"")
    if let placeholder = image.placeholder {
      var style = "background-color:\(placeholder.color)"
      if let preview = placeholder.preview { style += ";background-image:url(\(preview));background-size:cover" }
      attributes.append("style=\"\(HTMLText.escape(style))\"")
      attributes.append("onload=\"this.style.background='none'\"")
    }
    var html = "<picture>"
    for format in formats.dropLast() {
      let candidates = image.variants.filter { $0.format == format }.sorted { $0.width < $1.width }
      html += "<source type=\"\(format.mimeType)\" srcset=\"\(srcset(candidates))\" sizes=\"\(HTMLText.escape(sizes))\">"
    }
    html += "<img \(attributes.joined(separator: " "))></picture>"
    return html
  }

  func srcset(_ variants: [RenderedVariant]) -> String {
    variants.map { "\(url($0.urlPath)) \($0.width)w" }.joined(separator: ", ")
  }
}
