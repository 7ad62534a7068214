import Foundation
import Markdown

/// Reads a post and finds every reference Hugo would act on: shortcodes by Hugo's own lexer
/// rules (anywhere in the body, code included), markdown images and raw `<img>` by cmark-gfm
/// (never inside code), and image fields of the front matter.
public struct PostScanner: Sendable {
  /// Front-matter keys that hold images (matched case-insensitively); `cover.image` style
  /// paths reach into tables.
  public var imageKeys: [String]
  /// How file names are shown in diagnostics.
  public var display: @Sendable (String) -> String

  public static let standardImageKeys = [
    "images", "image", "cover", "cover.image", "featured_image", "featuredImage", "thumbnail",
  ]

  public init(extraImageKeys: [String] = [], display: @escaping @Sendable (String) -> String = { $0 }) {
    imageKeys = Self.standardImageKeys + extraImageKeys
    self.display = display
  }

  public func scan(path: String, relativePath: String) throws -> ScannedPost {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return scan(source: SourceText(bytes: Array(data)), path: path, relativePath: relativePath)
  }

  /// The scan of `source`; `digest` is the SHA-256 of its bytes, when known already.
  public func scan(source: SourceText, path: String, relativePath: String, digest: String? = nil) -> ScannedPost {
    let file = display(path)
    var diagnostics: [Diagnostic] = []
    func report(_ severity: Diagnostic.Severity, _ offset: Int, _ message: String) {
      let (line, column) = source.position(of: offset)
      diagnostics.append(Diagnostic(severity, file: file, line: line, column: column, message))
    }

    var frontMatter: FrontMatter?
    do {
      frontMatter = try FrontMatter.find(in: source)
    } catch {
      report(.error, error.offset, error.message)
    }
    if let failure = frontMatter?.parseError { report(.error, failure.offset, failure.message) }
    for warning in frontMatter?.warnings ?? [] { report(.warning, warning.offset, warning.message) }
    let bodyStart = frontMatter?.range.upperBound ?? 0

    // Shortcodes, as Hugo's lexer sees the body.
    let tokens = ShortcodeLexer(bytes: source.bytes[bodyStart...], base: bodyStart).tokens()

    // Markdown sees the body with every shortcode tag blanked out (lines kept), so that
    // nothing inside a tag is mistaken for markdown and positions stay true.
    var masked = source.bytes
    for index in 0..<bodyStart where masked[index] != 0x0A { masked[index] = 0x20 }
    for token in tokens {
      guard case .tag(let tag) = token else { continue }
      for index in tag.range where masked[index] != 0x0A && masked[index] != 0x0D { masked[index] = UInt8(ascii: "x") }
    }
    let document = Markdown.parse(String(decoding: masked, as: UTF8.self))
    let codeRanges = document.code.map { region in
      source.offset(
        line: region.start.line, column: region.start.column)..<(source.offset(
          line: region.end.line, column: region.end.column) + 1)
    }
    func insideCode(_ offset: Int) -> Bool { codeRanges.contains { $0.contains(offset) } }
    // Hugo's `highlight` shortcode shows its inner content as code: no images in there.
    var verbatim: [Range<Int>] = []
    var highlightStart: Int?
    for case .tag(let tag) in tokens where tag.name == "highlight" {
      if tag.isClosing {
        if let start = highlightStart { verbatim.append(start..<tag.range.lowerBound) }
        highlightStart = nil
      } else if !tag.isSelfClosing {
        highlightStart = tag.range.upperBound
      }
    }
    func isVerbatim(_ offset: Int) -> Bool { verbatim.contains { $0.contains(offset) } }

    var references: [Reference] = []
    for token in tokens {
      switch token {
      case .escaped:
        continue
      case .error(let offset, let range, let message):
        report(
          .error, offset,
          message.hasSuffix("'")
            ? message : "\(message): \(Self.excerpt(source, from: range.lowerBound, through: offset))")
      case .tag(let tag):
        guard tag.name == "figure" || tag.name == "youtube" else { continue }
        let quoted = source[tag.range]
        if tag.isClosing {
          report(
            .error, tag.nameOffset,
            "shortcode \"\(tag.name)\" does not evaluate .Inner or .InnerDeindent, yet a closing tag was provided: \(quoted)"
          )
          continue
        }
        if tag.isSelfClosing {
          report(
            .error, tag.nameOffset,
            "shortcode \"\(tag.name)\" must not be self-closed (Hugo fails the build): \(quoted)")
          continue
        }
        let inCode = insideCode(tag.range.lowerBound)
        if inCode {
          let shown =
            "{{" + (tag.notation == .standard ? "</*" : "%/*") + " … " + (tag.notation == .standard ? "*/>}}" : "*/%}}")
          report(
            .warning, tag.range.lowerBound,
            "Hugo runs this shortcode even inside code; write \(shown) to show the call literally: \(quoted)")
        }
        if tag.notation == .markdown {
          // Its HTML becomes part of the markdown, which Hugo's default (unsafe = false) omits.
          report(
            .warning, tag.range.lowerBound,
            "Hugo renders {{% \(tag.name) %}} output as markdown, and by default (markup.goldmark.renderer.unsafe = false) drops its HTML; write {{< \(tag.name) … >}}: \(quoted)"
          )
        }
        let (line, column) = source.position(of: tag.range.lowerBound)
        if tag.name == "figure" {
          guard let src = tag.parameter("src") else {
            report(.error, tag.nameOffset, "figure has no src parameter: \(quoted)")
            continue
          }
          references.append(
            Reference(
              kind: .figure, offset: tag.range.lowerBound, line: line, column: column, target: src.value,
              targetRange: src.valueRange, shortcode: tag))
        } else {
          guard let id = tag.parameter("id") ?? tag.parameters.first(where: { $0.name == nil }) else {
            report(.error, tag.nameOffset, "youtube shortcode has no video id: \(quoted)")
            continue
          }
          guard Self.isVideoID(id.value) else {
            report(
              .error, id.valueRange.lowerBound,
              "\"\(id.value)\" is not a YouTube video id (11 characters of A–Z, a–z, 0–9, _ and -)")
            continue
          }
          references.append(
            Reference(
              kind: .youtube, offset: tag.range.lowerBound, line: line, column: column, target: id.value,
              targetRange: id.valueRange, shortcode: tag))
        }
      }
    }

    for image in document.images {
      let reported = source.offset(line: image.start.line, column: image.start.column)
      let start = Self.locate(Array("![".utf8), reported: reported, in: source)
      guard !isVerbatim(start) else { continue }
      var end = source.offset(line: image.end.line, column: image.end.column) + 1
      if image.end.line == image.start.line { end -= reported - start }
      let (line, column) = source.position(of: start)
      references.append(
        Reference(
          kind: .markdown, offset: start, line: line, column: column, target: image.url,
          targetRange: Self.destinationRange(
            of: image, span: start..<min(end, source.bytes.count), in: source, code: codeRanges + verbatim)))
    }

    for html in document.html where !isVerbatim(source.offset(line: html.start.line, column: html.start.column)) {
      let literal = Array(html.literal.utf8)
      for tag in HTMLImageTag.find(in: html.literal) {
        guard let src = tag.src else { continue }
        let valueBytes = literal[src.range]
        // The value's bytes in the post, checked byte for byte.
        let range = Self.sourceOffset(ofLiteral: src.range.lowerBound, in: html, literal: literal, source: source)
          .flatMap { offset in
            offset + valueBytes.count <= source.bytes.count
              && source.bytes[offset..<(offset + valueBytes.count)].elementsEqual(valueBytes)
              ? offset..<(offset + valueBytes.count) : nil
          }
        let tagOffset =
          Self.sourceOffset(ofLiteral: tag.offset, in: html, literal: literal, source: source)
          ?? source.offset(line: html.start.line, column: html.start.column)
        let (line, column) = source.position(of: tagOffset)
        references.append(
          Reference(kind: .html, offset: tagOffset, line: line, column: column, target: src.value, targetRange: range))
      }
    }

    if let frontMatter { references += frontMatterReferences(frontMatter, source) }

    if frontMatter == nil,
      let first = source.bytes.firstIndex(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }),
      source.bytes[first...].starts(with: Array("{{".utf8))
    {
      // Hugo's intro lexer takes a leading "{" for JSON front matter, shortcode or not
      // (observed with 0.111.3: "unmarshal failed: invalid character '{' …").
      report(
        .error, first,
        "Hugo reads a page that begins with \"{\" as JSON front matter, so it fails this page (unmarshal failed); put front matter or text before the shortcode: \(Self.excerpt(source, from: first, through: first))"
      )
    }
    references.sort { ($0.line, $0.column) < ($1.line, $1.column) }
    return ScannedPost(
      path: path, relativePath: relativePath, source: source,
      digest: digest ?? source.bytes.withUnsafeBytes { Checksum.sha256($0) }, bodyStart: bodyStart,
      references: references, diagnostics: diagnostics, shortcodeOrdinals: HugoSupport.shortcodeOrdinals(tokens),
      parsed: (frontMatter, tokens))
  }

  /// Where byte `offset` of a raw HTML node's literal is in the post. cmark strips container
  /// prefixes (`> `, list indentation) and a continuation line's leading blanks, so each
  /// literal line after the first is looked for within its source line.
  static func sourceOffset(ofLiteral offset: Int, in html: MarkdownHTML, literal: [UInt8], source: SourceText) -> Int? {
    var lineStart = 0
    var lineIndex = 0
    for (index, byte) in literal.enumerated() where index < offset && byte == 0x0A {
      lineStart = index + 1
      lineIndex += 1
    }
    if lineIndex == 0 {
      var firstLine = literal.prefix { $0 != 0x0A }
      if firstLine.last == 0x0D { firstLine.removeLast() }
      let reported = source.offset(line: html.start.line, column: html.start.column)
      return locate(Array(firstLine), reported: reported, in: source) + offset
    }
    var lineEnd = lineStart
    while lineEnd < literal.count, literal[lineEnd] != 0x0A { lineEnd += 1 }
    let number = html.start.line + lineIndex
    guard number <= source.lineStarts.count else { return nil }
    let start = source.lineStarts[number - 1]
    var end = number < source.lineStarts.count ? source.lineStarts[number] : source.bytes.count
    while end > start, source.bytes[end - 1] == 0x0A || source.bytes[end - 1] == 0x0D { end -= 1 }
    let text = literal[lineStart..<lineEnd]
    guard !text.isEmpty else { return start }
    var candidate = start
    while candidate + text.count <= end {
      if source.bytes[candidate..<(candidate + text.count)].elementsEqual(text) {
        return candidate + (offset - lineStart)
      }
      candidate += 1
    }
    return nil
  }

  /// Where a node whose bytes begin with `prefix` starts, given the offset cmark-gfm reports.
  /// On a lazy continuation line (a paragraph line of a list item or block quote written
  /// without the container's indentation or `>`), cmark-gfm gives inlines the column they
  /// would have with that indentation, a few bytes to the right of where they are: the
  /// nearest `prefix` at or before the reported offset on its line is the node.
  static func locate(_ prefix: [UInt8], reported offset: Int, in source: SourceText) -> Int {
    guard !prefix.isEmpty, offset < source.bytes.count, !source.bytes[offset...].starts(with: prefix) else {
      return offset
    }
    let lineStart = source.lineStarts[source.position(of: offset).line - 1]
    var candidate = offset
    while candidate > lineStart {
      candidate -= 1
      if source.bytes[candidate...].starts(with: prefix) { return candidate }
    }
    return offset
  }

  /// The text a lexer error points at: from the tag's start through the end of the line of
  /// the offending character, at most 80 bytes.
  static func excerpt(_ source: SourceText, from start: Int, through offset: Int) -> String {
    var end = min(max(offset + 1, start + 3), source.bytes.count)
    while end < source.bytes.count, source.bytes[end] != 0x0A, end - start < 80 { end += 1 }
    var text = source[start..<end].trimmingCharacters(in: .whitespacesAndNewlines)
    if end < source.bytes.count, source.bytes[end] != 0x0A { text += "…" }
    return text
  }

  /// YouTube ids are 11 characters of `[A-Za-z0-9_-]`.
  public static func isVideoID(_ id: String) -> Bool {
    id.utf8.count == 11
      && id.utf8.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
          || b == UInt8(ascii: "-")
      }
  }

  /// The bytes of an image's destination: inside `](…)` for inline images, in the link
  /// reference definition for reference-style ones.
  static func destinationRange(
    of image: MarkdownImage, span: Range<Int>, in source: SourceText, code: [Range<Int>] = []
  ) -> Range<Int>? {
    let bytes = source.bytes
    var candidates: [Range<Int>] = []
    var index = span.lowerBound
    while index + 1 < span.upperBound {
      if bytes[index] == UInt8(ascii: "]"), bytes[index + 1] == UInt8(ascii: "(") {
        var cursor = index + 2
        while cursor < span.upperBound, bytes[cursor] == 0x20 || bytes[cursor] == 0x0A || bytes[cursor] == 0x09 {
          cursor += 1
        }
        if cursor < span.upperBound, bytes[cursor] == UInt8(ascii: "<") {
          let open = cursor + 1
          var close = open
          while close < span.upperBound, bytes[close] != UInt8(ascii: ">") { close += 1 }
          candidates.append(open..<close)
        } else {
          let open = cursor
          var depth = 0
          while cursor < span.upperBound {
            let b = bytes[cursor]
            if b == UInt8(ascii: "\\") {
              cursor += 2
              continue
            }
            if b == UInt8(ascii: "(") { depth += 1 }
            if b == UInt8(ascii: ")") {
              if depth == 0 { break }
              depth -= 1
            }
            if b == 0x20 || b == 0x0A || b == 0x09 { break }
            cursor += 1
          }
          candidates.append(open..<min(cursor, span.upperBound))
        }
      }
      index += 1
    }
    if let match = candidates.first(where: { unescape(source[$0]) == image.url }) { return match }
    if !candidates.isEmpty { return nil }
    // Reference style: `![alt][label]`, `![label][]` or `![label]`; the label as written.
    var text = source[span]
    if text.hasSuffix("[]") { text.removeLast(2) }
    var label = String(text.dropFirst(2).dropLast())
    if text.hasSuffix("]"), let open = text.range(of: "][", options: .backwards) {
      let inner = String(text[open.upperBound..<text.index(before: text.endIndex)])
      if !inner.isEmpty { label = inner }
    }
    return definitionRange(label: label, url: image.url, in: source, code: code)
  }

  /// The destination bytes of the first link reference definition of `label` whose
  /// destination is `url`: at a line's start or inside block quotes and list items, with the
  /// destination on the same line or the next; never inside code.
  static func definitionRange(label: String, url: String, in source: SourceText, code: [Range<Int>] = []) -> Range<Int>?
  {
    let wanted = normalizeLabel(label)
    let bytes = source.bytes
    func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    /// Skips blanks, `>` markers and list markers from `index` on its line.
    func skipContainers(_ index: Int, end: Int) -> Int {
      var cursor = index
      while cursor < end {
        if isBlank(bytes[cursor]) || bytes[cursor] == UInt8(ascii: ">") {
          cursor += 1
        } else if [UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "+")].contains(bytes[cursor]), cursor + 1 < end,
          isBlank(bytes[cursor + 1])
        {
          cursor += 2
        } else if bytes[cursor] >= 0x30 && bytes[cursor] <= 0x39 {
          var digits = cursor
          while digits < end, bytes[digits] >= 0x30 && bytes[digits] <= 0x39 { digits += 1 }
          guard digits + 1 < end, bytes[digits] == UInt8(ascii: ".") || bytes[digits] == UInt8(ascii: ")"),
            isBlank(bytes[digits + 1])
          else { break }
          cursor = digits + 2
        } else {
          break
        }
      }
      return cursor
    }
    func lineEnd(_ start: Int) -> Int {
      var end = start
      while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
      return end
    }
    for (number, lineStart) in source.lineStarts.enumerated() {
      let end = lineEnd(lineStart)
      let open = skipContainers(lineStart, end: end)
      guard open < end, bytes[open] == UInt8(ascii: "["), !code.contains(where: { $0.contains(open) }) else { continue }
      var close = open + 1
      while close < end, bytes[close] != UInt8(ascii: "]") { close += bytes[close] == UInt8(ascii: "\\") ? 2 : 1 }
      guard close + 1 < end, bytes[close + 1] == UInt8(ascii: ":"),
        normalizeLabel(source[(open + 1)..<close]) == wanted
      else { continue }
      var start = close + 2
      while start < end, isBlank(bytes[start]) { start += 1 }
      var valueEnd = end
      if start == end, number + 1 < source.lineStarts.count {
        // The destination may start the next line.
        let next = source.lineStarts[number + 1]
        valueEnd = lineEnd(next)
        start = skipContainers(next, end: valueEnd)
      }
      guard start < valueEnd else { continue }
      let range: Range<Int>
      if bytes[start] == UInt8(ascii: "<") {
        var stop = start + 1
        while stop < valueEnd, bytes[stop] != UInt8(ascii: ">") { stop += 1 }
        range = (start + 1)..<stop
      } else {
        var stop = start
        while stop < valueEnd, !isBlank(bytes[stop]) { stop += 1 }
        range = start..<stop
      }
      if unescape(source[range]) == url { return range }
    }
    return nil
  }

  static func normalizeLabel(_ label: String) -> String {
    label.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").lowercased()
  }

  /// Markdown's backslash escapes and the common entities, as cmark decodes destinations.
  static func unescape(_ raw: String) -> String {
    var result = ""
    var iterator = raw.makeIterator()
    while let character = iterator.next() {
      if character == "\\", let next = iterator.next() {
        if next.isASCII, next.isPunctuation || next.isSymbol { result.append(next) } else { result += "\\\(next)" }
      } else {
        result.append(character)
      }
    }
    return HTMLText.decodeEntities(result)
  }

  private func frontMatterReferences(_ frontMatter: FrontMatter, _ source: SourceText) -> [Reference] {
    guard let values = frontMatter.values else { return [] }
    let locator = FrontMatterLocator(source: source, frontMatter: frontMatter)
    var references: [Reference] = []
    for key in imageKeys {
      let path = key.split(separator: ".").map(String.init)
      var current: FrontMatterValue? = values
      for component in path { current = current?[component] }
      let strings: [String]
      switch current {
      case .string(let string): strings = [string]
      case .array(let array): strings = array.compactMap(\.string)
      default: strings = []
      }
      guard !strings.isEmpty else { continue }
      let region = locator.valueRegion(of: path)
      var searchFrom = region?.lowerBound ?? frontMatter.contentRange.lowerBound
      for value in strings where !value.isEmpty {
        let range = region.flatMap { locator.occurrence(of: value, in: searchFrom..<$0.upperBound) }
        if let range { searchFrom = range.upperBound }
        let offset = range?.lowerBound ?? region?.lowerBound ?? frontMatter.contentRange.lowerBound
        let (line, column) = source.position(of: offset)
        references.append(
          Reference(
            kind: .frontmatter, offset: offset, line: line, column: column, target: value, targetRange: range, key: key
          ))
      }
    }
    return references
  }
}
