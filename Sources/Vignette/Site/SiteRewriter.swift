import Foundation
import HTML

/// Rewrites one generated page in place, byte for byte: only the `<img>` tags it turns into
/// `<picture>` (or the theme's own source-less `<picture>`), the YouTube `<iframe>`s it turns
/// into facades, and one stylesheet link and one script for pages with a video change; every
/// other byte stays as the generator wrote it. The markup comes from `PictureMarkup` and
/// `VideoFacade`, the same code as markdown mode's.
public struct SiteRewriter: Sendable {
  /// The `sizes` written where the theme gave none.
  public var sizes: String
  /// Site paths of the facade's stylesheet and script (content-hashed names).
  public var facadeStylesheet: String
  public var facadeScript: String

  /// The facade's stylesheet in site mode: markdown mode's, plus a variant that fills the
  /// box a theme drew for its iframe (Hugo's padding-bottom wrapper and the like).
  public static let facadeCSS =
    VideoFacade.css + """

      .vignette-video--fill{margin:0}
      .vignette-video--fill>.vignette-video__frame{aspect-ratio:auto;height:100%}
      .vignette-video--fill>figcaption{display:none}
      """

  public init(sizes: String, facadeStylesheet: String, facadeScript: String) {
    self.sizes = sizes
    self.facadeStylesheet = facadeStylesheet
    self.facadeScript = facadeScript
  }

  /// A rendered image with the size of the file it was made from, so no candidate is ever
  /// heavier than what the page loaded before.
  public struct Rendered: Sendable {
    public var image: RenderedImage
    /// Bytes of each file the theme's markup pointed at, by path relative to the site folder.
    public var fileBytes: [String: Int64]

    public init(image: RenderedImage, fileBytes: [String: Int64]) {
      self.image = image
      self.fileBytes = fileBytes
    }
  }

  /// What a rewrite did to a page.
  public struct Outcome: Sendable {
    public var bytes: [UInt8]
    public var images = 0
    public var videos = 0
  }

  /// The keys under which site mode renders an image's requests: a file; for a `srcset` with
  /// widths, the file and the widths it needs (`a.jpg|480,960`); for one with densities, each
  /// candidate's file at its own size only (`a.jpg|`).
  public static func renderKeys(_ action: SitePage.Action) -> [String] {
    switch action {
    case .replace(let file, _, _): return [file]
    case .addSources(let file, _, let candidates):
      return [file + "|" + candidates.map { String($0.width) }.joined(separator: ",")]
    case .addDensitySources(let candidates): return candidates.map { $0.file + "|" }
    default: return []
    }
  }

  /// The bytes of `page` with every image in `rendered` (by `renderKeys`) and every video in
  /// `videos` (by id) rewritten.
  public func rewrite(_ page: SitePage, rendered: [String: Rendered], videos: [String: Video]) -> Outcome {
    let bytes = page.source.bytes
    let elements = page.document.elements
    var edits: [(range: Range<Int>, text: String)] = []
    var outcome = Outcome(bytes: bytes)
    for image in page.images {
      let keys = Self.renderKeys(image.action)
      guard let key = keys.first, let result = rendered[key] else { continue }
      let img = elements[image.element]
      switch image.action {
      case .replace(let file, _, let picture):
        let hidden = picture.map { Self.formatsHidden(bySourcesOf: $0, before: image.element, in: page.document) }
        guard
          let markup = replacement(
            img, bytes: bytes, result: result, file: file, key: key, picture: picture, hidden: hidden ?? [])
        else { continue }
        if let picture {
          let start = elements[picture]
          let at = start.attributes.last?.range.upperBound ?? (start.startTag.lowerBound + "<picture".utf8.count)
          edits.append((at..<at, " " + Self.marker(key)))
        }
        edits.append((img.startTag, markup))
        outcome.images += 1
      case .addSources(_, _, let candidates):
        guard let sources = addedSources(img, bytes: bytes, result: result, candidates: candidates) else { continue }
        edits.append(
          (img.startTag, "<picture \(Self.marker(key))>" + sources + text(bytes, img.startTag) + "</picture>"))
        outcome.images += 1
      case .addDensitySources(let candidates):
        let results = keys.compactMap { rendered[$0] }
        guard results.count == candidates.count,
          let tag = densityMarkup(img, bytes: bytes, results: results, candidates: candidates)
        else { continue }
        edits.append((img.startTag, "<picture \(Self.marker(key))>" + tag + "</picture>"))
        outcome.images += 1
      default:
        continue
      }
    }
    let root = rootPrefix(page.address)
    var firstFacade: Int?
    for embed in page.videos where !embed.done {
      guard let video = videos[embed.id] else { continue }
      let iframe = elements[embed.element]
      let picture = PictureMarkup(urlPrefix: root, sizes: sizes, marker: SitePage.marker)
      var html = VideoFacade.html(
        video: video, start: embed.start, end: embed.end, shortcodeTitle: embed.title, picture: picture, eager: false)
      let opening = "<figure class=\"vignette-video"
      guard html.hasPrefix(opening) else { continue }
      var figure = "<figure \(Self.marker("video:" + video.id))"
      if let style = iframe["style"] {
        // The theme sized the iframe to fill its wrapper; the facade takes its place and size.
        figure += " style=\"\(HTMLText.escape(style))\" class=\"vignette-video vignette-video--fill"
      } else {
        figure += " class=\"vignette-video"
      }
      html = figure + html.dropFirst(opening.count)
      edits.append((iframe.range, html))
      firstFacade = firstFacade ?? iframe.range.lowerBound
      outcome.videos += 1
    }
    if let firstFacade {
      let link = "<link rel=\"stylesheet\" href=\"\(root)\(facadeStylesheet)\" \(SitePage.marker)>"
      let at = page.document.headEndTag?.lowerBound ?? firstFacade
      edits.append((at..<at, link))
      let script = "<script src=\"\(root)\(facadeScript)\" defer \(SitePage.marker)></script>"
      let end = page.document.bodyEndTag?.lowerBound ?? bytes.count
      edits.append((end..<end, script))
    }
    guard !edits.isEmpty else { return outcome }
    outcome.bytes = Self.apply(edits, to: bytes)
    return outcome
  }

  /// The marker on Vignette's `<picture>` and facade, naming what it shows, so a later run
  /// recognises the markup (never wrapping it again) and still knows what the page uses.
  static func marker(_ key: String) -> String { "\(SitePage.marker)=\"\(HTMLText.escape(key))\"" }

  /// Applies non-overlapping edits; insertions at the same offset keep their order.
  static func apply(_ edits: [(range: Range<Int>, text: String)], to bytes: [UInt8]) -> [UInt8] {
    let ordered = edits.enumerated().sorted {
      ($0.element.range.lowerBound, $0.element.range.isEmpty ? 0 : 1, $0.offset)
        < ($1.element.range.lowerBound, $1.element.range.isEmpty ? 0 : 1, $1.offset)
    }
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count + edits.reduce(0) { $0 + $1.text.utf8.count })
    var cursor = 0
    for (_, edit) in ordered where edit.range.lowerBound >= cursor {
      result += bytes[cursor..<edit.range.lowerBound]
      result += Array(edit.text.utf8)
      cursor = edit.range.upperBound
    }
    result += bytes[cursor...]
    return result
  }

  func text(_ bytes: [UInt8], _ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

  /// The site root as a URL prefix without its final `/` (`../..`, `.`, or the base path).
  func rootPrefix(_ address: SiteAddress) -> String {
    let url = address.url(toSitePath: "/")
    return url.isEmpty ? "." : String(url.dropLast())
  }

  /// The raw `src` of `img` (quotes removed, character references kept).
  func rawValue(_ attribute: HTMLAttribute, _ bytes: [UInt8]) -> String {
    guard let range = attribute.valueRange else { return "" }
    var raw = text(bytes, range)
    if let first = raw.first, first == "\"" || first == "'", raw.count >= 2, raw.last == first {
      raw = String(raw.dropFirst().dropLast())
    }
    return raw
  }

  /// `<picture>` markup for a bare `<img>` (or the `<img>` of the theme's own `<picture>`,
  /// whose start and end tags and `<source>`s then stay, Vignette's `<source>`s going right
  /// before the `<img>`, after the theme's): modern-format `<source>`s (none of a format in
  /// `hidden`) and the theme's `<img>` with a new `src`, `srcset`, `sizes`, `width`, `height`
  /// and placeholder.
  func replacement(
    _ img: HTMLElement, bytes: [UInt8], result: Rendered, file: String, key: String, picture: Int?,
    hidden: Set<VariantFormat> = []
  ) -> String? {
    guard let src = img.attribute("src") else { return nil }
    let original = result.fileBytes[file] ?? .max
    guard let fallbackFormat = result.image.formats.last else { return nil }
    // Never heavier than the file the page loaded before (the rule markdown mode follows):
    // the original fills in where the variants are heavier.
    let theirs = RenderedVariant(
      key: "", fileName: (file as NSString).lastPathComponent, urlPath: "/" + file, width: result.image.width,
      height: result.image.height, format: fallbackFormat, bytes: Int(original))
    let image = result.image.withinBudget(original, source: theirs) ?? result.image
    let fallback = image.fallback
    guard !fallback.isEmpty else { return nil }
    let raw = rawValue(src, bytes)
    let (folder, _, suffix) = SiteAddress.split(raw)
    let themeSizes = img["sizes"]
    let markup = PictureMarkup(urlPrefix: "", sizes: themeSizes ?? sizes, folderURL: String(folder))
    var html = picture == nil ? "<picture \(Self.marker(key))>" : ""
    for format in image.formats.dropLast() where !hidden.contains(format) {
      let variants = image.candidates(format)
      guard !variants.isEmpty else { continue }
      html += markup.source(format, variants, sizes: themeSizes ?? sizes)
    }
    let largest = fallback.last!
    var added = ""
    if fallback.count > 1 && fallbackFormat != .gif {
      added += " srcset=\"\(markup.srcset(fallback))\""
      if themeSizes == nil { added += " sizes=\"\(HTMLText.escape(sizes))\"" }
    }
    added += Self.sizeAttributes(img, width: image.width, height: image.height)
    // The theme's own style wins: no placeholder then.
    if img.attribute("style") == nil, let placeholder = PictureMarkup.placeholderAttribute(image) {
      added += " " + placeholder
    }
    // The theme's tag as written, with the new src (query and fragment kept) and the
    // added attributes after its last one.
    let tag = img.startTag
    let srcURL = markup.url(largest) + suffix.replacingOccurrences(of: "\"", with: "&quot;")
    let insertAt = img.attributes.last!.range.upperBound
    let edited = Self.apply(
      [(src.range, "src=\"\(srcURL)\""), (insertAt..<insertAt, added)].map {
        ($0.0.lowerBound - tag.lowerBound..<$0.0.upperBound - tag.lowerBound, $0.1)
      }, to: Array(bytes[tag]))
    html += String(decoding: edited, as: UTF8.self)
    return picture == nil ? html + "</picture>" : html
  }

  /// ` width="…" height="…"` for an `<img>` showing an image of `width` × `height` pixels:
  /// both when the theme wrote neither, the missing one from the aspect ratio when it wrote
  /// one (a number), nothing when it wrote both.
  static func sizeAttributes(_ img: HTMLElement, width: Int, height: Int) -> String {
    let themeWidth = img["width"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let themeHeight = img["height"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    switch (themeWidth, themeHeight, img.attribute("width"), img.attribute("height")) {
    case (_, _, nil, nil): return " width=\"\(width)\" height=\"\(height)\""
    case (let themeWidth?, _, _, nil) where width > 0:
      return " height=\"\(Int((Double(themeWidth) * Double(height) / Double(width)).rounded()))\""
    case (_, let themeHeight?, nil, _) where height > 0:
      return " width=\"\(Int((Double(themeHeight) * Double(width) / Double(height)).rounded()))\""
    default: return ""
    }
  }

  /// MIME types of the theme's `<source>`s that make a Vignette `<source>` of a modern format
  /// after them useless: every browser that decodes AVIF or WebP also takes a source of one
  /// of these types (or of no type).
  static let typesEveryModernBrowserTakes: Set<String> = [
    "", "image/jpeg", "image/png", "image/gif", "image/webp", "image/svg+xml",
  ]

  /// The formats whose Vignette `<source>` would never be chosen after the theme's `<source>`s
  /// of `picture` (those before the `<img>` at `img`). The HTML standard's selection takes the
  /// first `<source>` whose `media` matches and whose `type` the browser supports, so sources
  /// added after the theme's never change what a browser picks for any of the theme's media
  /// conditions; they only apply where none of the theme's does. A theme `<source>` without
  /// `media` (or with an empty one, or `all`) and with a `srcset` always applies where its
  /// type is supported: after one whose type every AVIF and WebP browser supports, nothing of
  /// Vignette's would ever be chosen; after one of type AVIF, Vignette's AVIF would not.
  static func formatsHidden(bySourcesOf picture: Int, before img: Int, in document: HTMLDocument) -> Set<VariantFormat>
  {
    var hidden: Set<VariantFormat> = []
    for index in document.children(of: picture) where index < img && document.elements[index].tag == "source" {
      let source = document.elements[index]
      let media = (source["media"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
      guard source.attribute("srcset") != nil, media.isEmpty || media == "all" else { continue }
      let type =
        (source["type"] ?? "").split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() } ?? ""
      if typesEveryModernBrowserTakes.contains(type) { return Set(VariantFormat.allCases) }
      for format in VariantFormat.allCases where format.mimeType == type { hidden.insert(format) }
    }
    return hidden
  }

  /// The theme's `<img>` with a density `srcset`, kept as written after modern-format
  /// `<source>`s with the same descriptors (each candidate's file rendered at its own size),
  /// and with `width`/`height` from the `1x` image when the theme wrote none. A format is left
  /// out when any of its files would be heavier than the theme's file it was made from, or
  /// missing; nil when no format is left.
  func densityMarkup(
    _ img: HTMLElement, bytes: [UInt8], results: [Rendered], candidates: [SitePage.DensityCandidate]
  ) -> String? {
    guard let formats = results.first?.image.formats,
      let oneX = candidates.firstIndex(where: { $0.density == 1 })
    else { return nil }
    var html = ""
    for format in formats {
      var entries: [String] = []
      for (candidate, result) in zip(candidates, results) {
        guard let variant = result.image.candidates(format).last,
          Int64(variant.bytes) <= result.fileBytes[candidate.file] ?? 0
        else { break }
        let markup = PictureMarkup(
          urlPrefix: "", sizes: sizes, folderURL: HTMLText.escape(String(SiteAddress.split(candidate.url).folder)))
        entries.append(markup.url(variant) + " " + HTMLText.escape(candidate.descriptor))
      }
      guard entries.count == candidates.count else { continue }
      html += "<source type=\"\(format.mimeType)\" srcset=\"\(entries.joined(separator: ", "))\">"
    }
    guard !html.isEmpty else { return nil }
    let tag = img.startTag
    let added = Self.sizeAttributes(img, width: results[oneX].image.width, height: results[oneX].image.height)
    let insertAt = img.attributes.last!.range.upperBound - tag.lowerBound
    return html + String(decoding: Self.apply([(insertAt..<insertAt, added)], to: Array(bytes[tag])), as: UTF8.self)
  }

  /// Modern-format `<source>`s for an `<img>` whose `srcset` the theme wrote, at the theme's
  /// widths; a format is left out when any of its variants is heavier than the theme's
  /// candidate of the same width. Nil when no format is left.
  func addedSources(_ img: HTMLElement, bytes: [UInt8], result: Rendered, candidates: [SitePage.Candidate]) -> String? {
    guard let srcset = img.attribute("srcset") else { return nil }
    let image = result.image
    let firstURL = SitePage.srcsetCandidates(rawValue(srcset, bytes)).first?.url ?? ""
    let markup = PictureMarkup(urlPrefix: "", sizes: sizes, folderURL: String(SiteAddress.split(firstURL).folder))
    let sameFolder = Set(candidates.map { ($0.file as NSString).deletingLastPathComponent }).count == 1
    guard sameFolder else { return nil }
    var html = ""
    // Rendered in the modern formats only: the theme's own candidates stay the fallback.
    for format in image.formats {
      let variants = image.candidates(format)
      let fits = variants.allSatisfy { variant in
        guard let theirs = candidates.first(where: { $0.width == variant.width }) else { return true }
        return Int64(variant.bytes) <= result.fileBytes[theirs.file] ?? 0
      }
      guard !variants.isEmpty, fits else { continue }
      html += markup.source(format, variants, sizes: img["sizes"])
    }
    return html.isEmpty ? nil : html
  }
}
