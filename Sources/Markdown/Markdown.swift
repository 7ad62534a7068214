internal import CCmarkGFM
import Foundation

/// A position in a markdown source: 1-based line and 1-based byte column, as cmark-gfm counts.
public struct SourcePosition: Sendable, Hashable, Comparable {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
  public static func < (a: Self, b: Self) -> Bool { (a.line, a.column) < (b.line, b.column) }
}

/// A markdown image node (`![alt](url "title")`, reference-style or inside a link).
public struct MarkdownImage: Sendable, Hashable {
  /// The destination, with entities and backslash escapes decoded (percent-escapes kept).
  public var url: String
  public var title: String
  /// Plain text of the alt (emphasis and other markup removed).
  public var alt: String
  public var start: SourcePosition
  public var end: SourcePosition
  /// The image is the content of a link (`[![a](b.png)](https://…)`).
  public var insideLink: Bool
}

/// Raw HTML as cmark-gfm sees it: a whole HTML block, or one inline tag.
public struct MarkdownHTML: Sendable, Hashable {
  public var literal: String
  public var start: SourcePosition
  public var end: SourcePosition
  public var isBlock: Bool
}

/// A code block or code span; its text is code, never a reference.
public struct CodeRegion: Sendable, Hashable {
  public var start: SourcePosition
  public var end: SourcePosition
  public var isBlock: Bool
}

/// Everything Vignette needs from one parse of a markdown document. Plain values: the
/// cmark-gfm tree is freed before `parse` returns.
public struct MarkdownDocument: Sendable {
  public var images: [MarkdownImage] = []
  public var html: [MarkdownHTML] = []
  public var code: [CodeRegion] = []
}

/// cmark-gfm with GitHub's extensions (tables, strikethrough, autolinks, task lists).
public enum Markdown {
  private static let extensionNames = ["table", "strikethrough", "autolink", "tasklist"]
  private static let registered: Void = { cmark_gfm_core_extensions_ensure_registered() }()
  private static let options = CMARK_OPT_DEFAULT | CMARK_OPT_UNSAFE | CMARK_OPT_SOURCEPOS

  /// Parses `source` and runs `body` on the document, freeing everything afterwards.
  private static func withDocument<T>(
    _ source: String, _ body: (OpaquePointer, OpaquePointer) throws -> T
  ) rethrows -> T {
    _ = registered
    let parser = cmark_parser_new(options)!
    defer { cmark_parser_free(parser) }
    for name in extensionNames {
      if let ext = cmark_find_syntax_extension(name) {
        cmark_parser_attach_syntax_extension(parser, ext)
      }
    }
    var bytes = Array(source.utf8)
    bytes.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
        cmark_parser_feed(parser, $0, buffer.count)
      }
    }
    let document = cmark_parser_finish(parser)!
    defer { cmark_node_free(document) }
    return try body(parser, document)
  }

  private static func start(_ node: OpaquePointer) -> SourcePosition {
    SourcePosition(line: Int(cmark_node_get_start_line(node)), column: Int(cmark_node_get_start_column(node)))
  }
  private static func end(_ node: OpaquePointer) -> SourcePosition {
    SourcePosition(line: Int(cmark_node_get_end_line(node)), column: Int(cmark_node_get_end_column(node)))
  }
  private static func string(_ pointer: UnsafePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
  }

  /// Plain text of a node's children (what an `alt` attribute holds).
  private static func plainText(_ node: OpaquePointer) -> String {
    var text = ""
    var child = cmark_node_first_child(node)
    while let current = child {
      switch cmark_node_get_type(current) {
      case CMARK_NODE_TEXT, CMARK_NODE_CODE, CMARK_NODE_HTML_INLINE:
        text += string(cmark_node_get_literal(current))
      case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
        text += " "
      default:
        text += plainText(current)
      }
      child = cmark_node_next(current)
    }
    return text
  }

  private static func image(_ node: OpaquePointer) -> MarkdownImage {
    let parent = cmark_node_parent(node)
    return MarkdownImage(
      url: string(cmark_node_get_url(node)), title: string(cmark_node_get_title(node)),
      alt: plainText(node), start: start(node), end: end(node),
      insideLink: parent.map { cmark_node_get_type($0) == CMARK_NODE_LINK } ?? false)
  }

  /// Images, raw HTML and code regions of `source`, in document order.
  public static func parse(_ source: String) -> MarkdownDocument {
    withDocument(source) { _, document in
      var result = MarkdownDocument()
      let iterator = cmark_iter_new(document)
      defer { cmark_iter_free(iterator) }
      while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
        guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
        switch cmark_node_get_type(node) {
        case CMARK_NODE_IMAGE:
          result.images.append(image(node))
        case CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE:
          result.html.append(
            MarkdownHTML(
              literal: string(cmark_node_get_literal(node)), start: start(node), end: end(node),
              isBlock: cmark_node_get_type(node) == CMARK_NODE_HTML_BLOCK))
        case CMARK_NODE_CODE_BLOCK, CMARK_NODE_CODE:
          result.code.append(
            CodeRegion(start: start(node), end: end(node), isBlock: cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK))
        default:
          break
        }
      }
      return result
    }
  }

  /// Renders `source` to HTML. `image` may return replacement HTML for an image node and
  /// `html` for a raw HTML node; `nil` keeps cmark-gfm's own rendering.
  public static func renderHTML(
    _ source: String,
    image replaceImage: (MarkdownImage) -> String? = { _ in nil },
    html replaceHTML: (MarkdownHTML) -> String? = { _ in nil }
  ) -> String {
    withDocument(source) { parser, document in
      var replacements: [(OpaquePointer, String)] = []
      let iterator = cmark_iter_new(document)
      while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
        guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
        let type = cmark_node_get_type(node)
        if type == CMARK_NODE_IMAGE, let html = replaceImage(image(node)) {
          replacements.append((node, html))
        } else if type == CMARK_NODE_HTML_BLOCK || type == CMARK_NODE_HTML_INLINE,
          let html = replaceHTML(
            MarkdownHTML(
              literal: string(cmark_node_get_literal(node)), start: start(node), end: end(node),
              isBlock: type == CMARK_NODE_HTML_BLOCK))
        {
          replacements.append((node, html))
        }
      }
      cmark_iter_free(iterator)
      for (node, html) in replacements {
        let isBlock = cmark_node_get_type(node) == CMARK_NODE_HTML_BLOCK
        let replacement = cmark_node_new(isBlock ? CMARK_NODE_HTML_BLOCK : CMARK_NODE_HTML_INLINE)!
        _ = cmark_node_set_literal(replacement, html)
        _ = cmark_node_insert_before(node, replacement)
        cmark_node_free(node)
      }
      let raw = cmark_render_html(
        document, CMARK_OPT_DEFAULT | CMARK_OPT_UNSAFE, cmark_parser_get_syntax_extensions(parser))!
      defer { free(raw) }
      return String(cString: raw)
    }
  }
}
