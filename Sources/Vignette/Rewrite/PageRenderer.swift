import Foundation
import Markdown

/// Renders a post to a standalone HTML page with cmark-gfm. Shortcodes are cut out first and
/// put back after rendering, as Hugo does with `{{< >}}`: figures become `<figure><picture>`,
/// videos a click-to-play facade; escaped shortcodes print literally.
public struct PageRenderer: Sendable {
  public var picture: PictureMarkup

  public init(picture: PictureMarkup) { self.picture = picture }

  /// What the renderer knows about each reference of the post, by index in
  /// `post.references`.
  public struct Context: Sendable {
    public var images: [Int: RenderedImage] = [:]
    public var videos: [String: Video] = [:]
    public init() {}
  }

  public func render(_ post: ScannedPost, context: Context) -> String {
    let bytes = post.source.bytes
    var body: [UInt8] = []
    var placeholders: [String: String] = [:]
    var cursor = post.bodyStart
    var eagerUsed = false
    func nextEager() -> Bool {
      defer { eagerUsed = true }
      return !eagerUsed
    }
    let referenceIndex = Dictionary(
      post.references.enumerated().compactMap { index, reference in
        reference.shortcode.map { ($0.range.lowerBound, index) }
      }, uniquingKeysWith: { first, _ in first })
    let markdownIndices = post.references.indices.filter { post.references[$0].kind == .markdown }
    let htmlIndices = post.references.indices.filter { post.references[$0].kind == .html }

    for token in post.tokens {
      switch token {
      case .tag(let tag):
        guard tag.range.lowerBound >= cursor else { continue }
        body += bytes[cursor..<tag.range.lowerBound]
        cursor = tag.range.upperBound
        guard let index = referenceIndex[tag.range.lowerBound] else { continue }
        let reference = post.references[index]
        let html: String?
        if reference.kind == .figure {
          html = context.images[index].map { figure(tag: tag, reference: reference, image: $0, eager: nextEager()) }
        } else if let video = context.videos[reference.target] {
          html = VideoFacade.html(
            video: video, start: tag.value("start").flatMap { Int($0) }, end: tag.value("end").flatMap { Int($0) },
            shortcodeTitle: tag.value("title"), picture: picture, eager: nextEager())
        } else {
          html = nil
        }
        if let html {
          let key = "VIGNETTEPLACEHOLDER\(placeholders.count)END"
          placeholders[key] = html
          body += Array(key.utf8)
        }
      case .escaped(let range, let literal):
        guard range.lowerBound >= cursor else { continue }
        body += bytes[cursor..<range.lowerBound]
        body += Array(literal.utf8)
        cursor = range.upperBound
      case .error:
        continue
      }
    }
    if cursor < bytes.count { body += bytes[cursor...] }

    var imageCursor = 0
    var htmlCursor = 0
    var rendered = Markdown.renderHTML(
      String(decoding: body, as: UTF8.self),
      image: { node in
        defer { imageCursor += 1 }
        guard imageCursor < markdownIndices.count else { return nil }
        let index = markdownIndices[imageCursor]
        guard let image = context.images[index], post.references[index].target == node.url else { return nil }
        return picture.picture(image, alt: node.alt, title: node.title.isEmpty ? nil : node.title, eager: nextEager())
      },
      html: { node in
        let tags = HTMLImageTag.find(in: node.literal)
        guard !tags.isEmpty else { return nil }
        var literal = Array(node.literal.utf8)
        var replacements: [(Range<Int>, String)] = []
        for tag in tags {
          defer { htmlCursor += 1 }
          guard htmlCursor < htmlIndices.count, let image = context.images[htmlIndices[htmlCursor]] else { continue }
          var end = tag.offset
          while end < literal.count, literal[end] != UInt8(ascii: ">") { end += 1 }
          replacements.append(
            (
              tag.offset..<min(literal.count, end + 1),
              picture.picture(
                image, alt: tag.attributes["alt"] ?? "", title: tag.attributes["title"], eager: nextEager(),
                imgClass: tag.attributes["class"])
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
      hasVideo: !context.videos.isEmpty)
  }

  /// Hugo's `figure` shortcode, with `<picture>` in place of the bare `<img>`.
  func figure(tag: Shortcode, reference: Reference, image: RenderedImage, eager: Bool) -> String {
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
    html += picture.picture(image, alt: alt, eager: eager)
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
    if hasVideo { html += "<script>\n\(VideoFacade.script)\n</script>\n" }
    return html + "</body>\n</html>\n"
  }
}
