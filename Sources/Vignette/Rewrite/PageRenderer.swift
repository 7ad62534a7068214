import Foundation
import Markdown

/// Renders a post to a standalone HTML page with cmark-gfm. Shortcodes are cut out first and
/// put back after rendering, as Hugo does with `{{< >}}`: figures become `<figure><picture>`,
/// videos a click-to-play facade; escaped shortcodes print literally.
public struct PageRenderer: Sendable {
  public var picture: PictureMarkup

  public init(picture: PictureMarkup) { self.picture = picture }

  /// The page of one post from its outcome. `videos` are the site's videos (a page that
  /// may show one carries the facade's style and script). Every reference is found by its
  /// source position, in the shortcode pass and in cmark-gfm's rendering alike.
  public func render(_ outcome: DocumentOutcome<ScannedPost>, videos: [String: Video]) -> String {
    let post = outcome.document
    let bytes = post.source.bytes
    var body = PageBody()
    var placeholders: [String: String] = [:]
    var cursor = post.bodyStart
    var eagerUsed = false
    func nextEager() -> Bool {
      defer { eagerUsed = true }
      return !eagerUsed
    }

    for token in post.tokens {
      switch token {
      case .tag(let tag):
        guard tag.range.lowerBound >= cursor else { continue }
        body.copy(bytes, cursor..<tag.range.lowerBound)
        cursor = tag.range.upperBound
        guard let item = outcome.reference(at: tag.range.lowerBound) else { continue }
        let html: String?
        if item.reference.kind == .figure {
          html = item.image.map { figure(tag: tag, image: $0, eager: nextEager()) }
        } else if let video = videos[item.reference.target] {
          html = VideoFacade.html(
            video: video, start: tag.value("start").flatMap { Int($0) }, end: tag.value("end").flatMap { Int($0) },
            shortcodeTitle: tag.value("title"), picture: picture, eager: nextEager())
        } else {
          html = nil
        }
        if let html {
          let key = "VIGNETTEPLACEHOLDER\(placeholders.count)END"
          placeholders[key] = html
          body.insert(key)
        }
      case .escaped(let range, let literal):
        guard range.lowerBound >= cursor else { continue }
        body.copy(bytes, cursor..<range.lowerBound)
        body.insert(literal)
        cursor = range.upperBound
      case .error:
        continue
      }
    }
    if cursor < bytes.count { body.copy(bytes, cursor..<bytes.count) }

    let text = SourceText(bytes: body.bytes)
    /// The outcome of the `kind` reference whose start is at `offset` of the page body.
    func image(at offset: Int, _ kind: Reference.Kind) -> (Reference, RenderedImage)? {
      guard let source = body.sourceOffset(of: offset), let item = outcome.reference(at: source),
        item.reference.kind == kind, let image = item.image
      else { return nil }
      return (item.reference, image)
    }
    var rendered = Markdown.renderHTML(
      text.string,
      image: { node in
        guard
          let (reference, image) = image(
            at: PostScanner.locate(
              Array("![".utf8), reported: text.offset(line: node.start.line, column: node.start.column), in: text),
            .markdown),
          reference.target == node.url
        else { return nil }
        return picture.picture(
          image, alt: node.alt, title: node.title.isEmpty ? nil : node.title, eager: nextEager(),
          urlSuffix: MarkdownRewriter.suffix(of: node.url))
      },
      html: { node in
        let tags = HTMLImageTag.find(in: node.literal)
        guard !tags.isEmpty else { return nil }
        var literal = Array(node.literal.utf8)
        var replacements: [(Range<Int>, String)] = []
        for tag in tags {
          let offset =
            PostScanner.sourceOffset(ofLiteral: tag.offset, in: node, literal: literal, source: text)
            ?? text.offset(line: node.start.line, column: node.start.column)
          guard let (_, image) = image(at: offset, .html) else { continue }
          var end = tag.offset
          while end < literal.count, literal[end] != UInt8(ascii: ">") { end += 1 }
          replacements.append(
            (
              tag.offset..<min(literal.count, end + 1),
              picture.picture(
                image, alt: tag.attributes["alt"] ?? "", title: tag.attributes["title"], eager: nextEager(),
                imgClass: tag.attributes["class"], urlSuffix: MarkdownRewriter.suffix(of: tag.src?.value ?? ""))
            ))
        }
        for (range, html) in replacements.reversed() { literal.replaceSubrange(range, with: Array(html.utf8)) }
        return String(decoding: literal, as: UTF8.self)
      })
    for (key, html) in placeholders {
      rendered = rendered.replacingOccurrences(of: "<p>\(key)</p>", with: html)
      rendered = rendered.replacingOccurrences(of: key, with: html)
    }
    return document(
      title: post.frontMatter?.title ?? (post.relativePath as NSString).deletingPathExtension, body: rendered,
      hasVideo: !videos.isEmpty)
  }

  /// Hugo's `figure` shortcode, with `<picture>` in place of the bare `<img>`.
  func figure(tag: Shortcode, image: RenderedImage, eager: Bool) -> String {
    let caption = tag.value("caption")
    let alt = tag.value("alt") ?? caption ?? ""
    var html = "<figure"
    if let cls = tag.value("class") { html += " class=\"\(HTMLText.escape(cls))\"" }
    html += ">"
    if let link = tag.value("link") {
      html += "<a href=\"\(HTMLText.escape(link))\""
      if let target = tag.value("target") { html += " target=\"\(HTMLText.escape(target))\"" }
      if let rel = tag.value("rel") { html += " rel=\"\(HTMLText.escape(rel))\"" }
      html += ">"
    }
    html += picture.picture(
      image, alt: alt, eager: eager, urlSuffix: MarkdownRewriter.suffix(of: tag.value("src") ?? ""),
      size: PictureMarkup.displaySize(
        width: tag.value("width"), height: tag.value("height"),
        intrinsic: image.fallback.last.map { ($0.width, $0.height) } ?? (0, 0)))
    if tag.value("link") != nil { html += "</a>" }
    let title = tag.value("title")
    let attr = tag.value("attr")
    if title != nil || caption != nil || attr != nil {
      html += "<figcaption>"
      if let title { html += "<h4>\(HTMLText.escape(title))</h4>" }
      if caption != nil || attr != nil {
        html += "<p>" + HTMLText.escape(caption ?? "")
        if let attr {
          if let link = tag.value("attrlink") {
            html += " <a href=\"\(HTMLText.escape(link))\">\(HTMLText.escape(attr))</a>"
          } else {
            html += " " + HTMLText.escape(attr)
          }
        }
        html += "</p>"
      }
      html += "</figcaption>"
    }
    return html + "</figure>"
  }

  static let css = """
    html{-webkit-text-size-adjust:100%}
    body{margin:0;font:17px/1.6 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;background:#fff}
    main{max-width:768px;margin:0 auto}
    article>*:not(figure):not(p),article>p:not(:has(>picture:only-child)){padding-inline:16px}
    figure{margin:1.5rem 0}
    picture,picture img{display:block}
    img{max-width:100%;width:100%;height:auto}
    figcaption{padding-inline:16px;font-size:.9em;color:#555}
    pre{overflow:auto}
    """

  func document(title: String, body: String, hasVideo: Bool) -> String {
    var html = """
      <!doctype html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(HTMLText.escape(title))</title>
      <style>
      \(Self.css)
      \(hasVideo ? VideoFacade.css : "")
      </style>
      </head>
      <body>
      <main>
      <article>
      <h1>\(HTMLText.escape(title))</h1>
      \(body)</article>
      </main>

      """
    // The facade's script from its file (written beside the variants), never inline, so
    // the page works under a Content-Security-Policy without 'unsafe-inline'.
    if hasVideo { html += "<script src=\"\(HTMLText.escape(picture.urlPrefix))/vignette/video.js\" defer></script>\n" }
    return html + "</body>\n</html>\n"
  }
}

/// The markdown a page is rendered from: the post's body with shortcodes cut out, and where
/// each copied run of it came from in the post, so positions in it lead back to the source.
private struct PageBody {
  var bytes: [UInt8] = []
  /// Copied runs: where each starts in `bytes` and in the post, and its length.
  private var runs: [(body: Int, source: Int, count: Int)] = []

  mutating func copy(_ source: [UInt8], _ range: Range<Int>) {
    guard !range.isEmpty else { return }
    runs.append((bytes.count, range.lowerBound, range.count))
    bytes += source[range]
  }

  mutating func insert(_ text: String) { bytes += Array(text.utf8) }

  /// The post's offset of body offset `offset`; nil inside inserted text.
  func sourceOffset(of offset: Int) -> Int? {
    var low = 0
    var high = runs.count
    while low < high {
      let mid = (low + high) / 2
      if runs[mid].body + runs[mid].count <= offset { low = mid + 1 } else { high = mid }
    }
    guard low < runs.count, runs[low].body <= offset else { return nil }
    return runs[low].source + offset - runs[low].body
  }
}
