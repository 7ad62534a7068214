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
    let fallback = image.fallback
    guard let largest = fallback.last else { return "" }
    var attributes = [
      "src=\"\(url(largest.urlPath))\""
    ]
    if image.fallbackHasSrcset {
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
      attributes.append("style=\"\(HTMLText.escape(placeholder.style))\"")
      attributes.append("onload=\"this.style.background='none'\"")
    }
    var html = "<picture>"
    for format in image.formats.dropLast() {
      html +=
        "<source type=\"\(format.mimeType)\" srcset=\"\(srcset(image.candidates(format)))\" sizes=\"\(HTMLText.escape(sizes))\">"
    }
    html += "<img \(attributes.joined(separator: " "))></picture>"
    return html
  }

  func srcset(_ variants: [RenderedVariant]) -> String { RenderedImage.srcset(variants, url: url) }
}
