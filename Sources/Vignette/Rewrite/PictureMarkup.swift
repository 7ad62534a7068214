import Foundation

/// `<picture>` markup for a rendered image: one `<source type>` per format, `srcset` with
/// `w` descriptors, `sizes`, and an `<img>` fallback with `width`/`height` so the page
/// reserves the space before anything loads.
public struct PictureMarkup: Sendable {
  /// Prepended to every URL path (`../static` for a page opened from disk, `` for a site).
  public var urlPrefix: String
  public var sizes: String
  /// Site mode: the folder of the source's URL exactly as the page wrote it (`../images/`,
  /// `https://example.com/blog/images/`, or empty), character references kept. Variants sit
  /// beside their source, so each URL is this plus the variant's file name, in the page's
  /// own style (relative stays relative). `urlPrefix` is not used then.
  public var folderURL: String?
  /// An attribute written on every `<picture>` (site mode's `data-vignette`), so a later run
  /// recognises the markup as Vignette's and never wraps it again.
  public var marker: String?

  public init(urlPrefix: String, sizes: String, folderURL: String? = nil, marker: String? = nil) {
    self.urlPrefix = urlPrefix
    self.sizes = sizes
    self.folderURL = folderURL
    self.marker = marker
  }

  /// A URL path percent-encoded for use in `src` and `srcset` (spaces, commas, non-ASCII).
  public static func encode(_ path: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: ",;")
    return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
  }

  /// The URL of `variant` as written in an attribute.
  func url(_ variant: RenderedVariant) -> String {
    guard let folderURL else { return HTMLText.escape(urlPrefix + Self.encode(variant.urlPath)) }
    return folderURL.replacingOccurrences(of: "\"", with: "&quot;") + HTMLText.escape(Self.encode(variant.fileName))
  }

  /// `<picture>`'s start tag, with the marker when there is one.
  var pictureStart: String { marker.map { "<picture \($0)>" } ?? "<picture>" }

  /// One `<source>` of `format` with `variants` as its `srcset`.
  func source(_ format: VariantFormat, _ variants: [RenderedVariant], sizes: String?) -> String {
    var html = "<source type=\"\(format.mimeType)\" srcset=\"\(srcset(variants))\""
    if let sizes { html += " sizes=\"\(HTMLText.escape(sizes))\"" }
    return html + ">"
  }

  /// The size an author asked an image to be shown at (a figure's `width` and `height`), in
  /// CSS pixels.
  public struct DisplaySize: Sendable, Hashable {
    public var width: Int
    public var height: Int
  }

  /// The display size that `width` and `height` parameters ask for, as Hugo's `figure`
  /// takes them: whole pixels (`300` or `300px`; anything else, such as `50%`, is not a size
  /// in pixels and is left to the image), the missing one from the image's aspect ratio,
  /// rounded to the nearest pixel. Nil when neither is given in pixels. The Hugo `picture`
  /// partial computes the same.
  public static func displaySize(width: String?, height: String?, intrinsic: (width: Int, height: Int))
    -> DisplaySize?
  {
    func pixels(_ value: String?) -> Int? {
      guard var text = value else { return nil }
      if text.hasSuffix("px") { text.removeLast(2) }
      guard (1...6).contains(text.count), text.first != "0", text.allSatisfy(\.isASCII),
        text.allSatisfy(\.isNumber)
      else { return nil }
      return Int(text)
    }
    let (w, h) = intrinsic
    switch (pixels(width), pixels(height)) {
    case (let width?, let height?): return DisplaySize(width: width, height: height)
    case (let width?, nil) where w > 0: return DisplaySize(width: width, height: (width * h + w / 2) / w)
    case (nil, let height?) where h > 0: return DisplaySize(width: (height * w + h / 2) / h, height: height)
    default: return nil
    }
  }

  /// The `<picture>` element. `eager` marks the first image of a page: it loads at once with
  /// high priority; every other image is lazy. `urlSuffix` (a target's `?query#fragment`)
  /// goes on the `<img>`'s `src`; `size` replaces the image's own `width` and `height`.
  public func picture(
    _ image: RenderedImage, alt: String, title: String? = nil, eager: Bool, imgClass: String? = nil,
    urlSuffix: String = "", size: DisplaySize? = nil
  ) -> String {
    let fallback = image.fallback
    guard let largest = fallback.last else { return "" }
    var attributes = [
      "src=\"\(url(largest))\(HTMLText.escape(urlSuffix))\""
    ]
    if image.fallbackHasSrcset {
      attributes.append("srcset=\"\(srcset(fallback))\"")
      attributes.append("sizes=\"\(HTMLText.escape(sizes))\"")
    }
    let shown = size ?? DisplaySize(width: largest.width, height: largest.height)
    attributes += [
      "width=\"\(shown.width)\"", "height=\"\(shown.height)\"", "alt=\"\(HTMLText.escape(alt))\"",
    ]
    if let title, !title.isEmpty { attributes.append("title=\"\(HTMLText.escape(title))\"") }
    if let imgClass { attributes.append("class=\"\(HTMLText.escape(imgClass))\"") }
    attributes.append(eager ? "fetchpriority=\"high\"" : "loading=\"lazy\"")
    attributes.append("decoding=\"async\"")
    if let placeholder = Self.placeholderAttribute(image) { attributes.append(placeholder) }
    var html = pictureStart
    for format in image.formats.dropLast() { html += source(format, image.candidates(format), sizes: sizes) }
    html += "<img \(attributes.joined(separator: " "))></picture>"
    return html
  }

  /// The `style` attribute that shows `image`'s placeholder behind the `<img>` until the
  /// picture paints over it, or nil when it has none (images with transparency). No script
  /// and no event handler, so a Content-Security-Policy without `'unsafe-inline'` allows it;
  /// markdown and site mode both write it this way.
  static func placeholderAttribute(_ image: RenderedImage) -> String? {
    image.placeholder.map { "style=\"\(HTMLText.escape($0.style))\"" }
  }

  /// `srcset` of `variants` with `w` descriptors.
  func srcset(_ variants: [RenderedVariant]) -> String { RenderedImage.srcset(variants, url: url) }
}
