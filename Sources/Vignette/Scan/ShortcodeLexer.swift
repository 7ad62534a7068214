import Foundation

/// A shortcode tag as Hugo's lexer (`parser/pageparser`) reads it.
public struct Shortcode: Sendable, Hashable, Codable {
  public enum Notation: Sendable, Hashable, Codable {
    /// `{{< … >}}`: rendered separately and merged after markdown.
    case standard
    /// `{{% … %}}`: its output is part of the markdown source.
    case markdown
  }

  public enum Quoting: Sendable, Hashable, Codable {
    case none, double, raw
  }

  /// One parameter; `name` is nil for positional parameters.
  public struct Parameter: Sendable, Hashable, Codable {
    public var name: String?
    /// The value as Hugo passes it to the template (escapes processed).
    public var value: String
    /// Bytes of the value as written, without its quotes: what a rewrite replaces.
    public var valueRange: Range<Int>
    public var quoting: Quoting
  }

  public var name: String
  public var notation: Notation
  /// The whole tag, from `{{` to `}}`.
  public var range: Range<Int>
  /// Where the name starts (what diagnostics point at).
  public var nameOffset: Int
  public var parameters: [Parameter]
  public var isClosing: Bool
  public var isSelfClosing: Bool

  /// The named parameter `key`, if present.
  public func parameter(_ key: String) -> Parameter? { parameters.first { $0.name == key } }
  /// The value of a named parameter, or of the positional parameter at `index`.
  public func value(_ key: String, orPosition index: Int? = nil) -> String? {
    if let named = parameter(key) { return named.value }
    guard let index, parameters.indices.contains(index), parameters[index].name == nil else { return nil }
    return parameters[index].value
  }
}

/// What the lexer found: a tag, an escaped (commented-out) tag that Hugo shows literally, or a
/// place where Hugo itself would stop the build.
public enum ShortcodeToken: Sendable, Hashable {
  case tag(Shortcode)
  /// `{{</* … */>}}`: `literal` is what Hugo prints (`{{< … >}}`).
  case escaped(range: Range<Int>, literal: String)
  case error(offset: Int, range: Range<Int>, message: String)
}

/// Finds shortcodes in a page body exactly where Hugo's lexer does
/// (`parser/pageparser/pagelexer_shortcode.go`), with Hugo's error messages. Like Hugo, it
/// knows nothing of markdown: a tag inside a code block is still a tag. Unlike Hugo, it goes
/// on after an error, so that every problem of a page is reported at once.
public struct ShortcodeLexer {
  private let bytes: [UInt8]
  private let base: Int

  /// `bytes` is the page text; offsets in the tokens count from `base`.
  public init(bytes: some Collection<UInt8>, base: Int = 0) {
    self.bytes = Array(bytes)
    self.base = base
  }

  /// What Hugo's lexer remembers from one tag to the next.
  private struct DocumentState {
    /// Every name seen so far (Hugo's `openShortcodes`: a closing tag must name one of them).
    var seen = Set<String>()
    /// The inline shortcode whose body we are in: only its closing tag may follow.
    var inline: String?
  }

  public func tokens() -> [ShortcodeToken] {
    var tokens: [ShortcodeToken] = []
    var state = DocumentState()
    var index = 0
    let count = bytes.count
    while index + 2 < count {
      guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{"),
        bytes[index + 2] == UInt8(ascii: "<") || bytes[index + 2] == UInt8(ascii: "%")
      else {
        index += 1
        continue
      }
      if let inline = state.inline, !closes(inline, at: index + 3) {
        tokens.append(
          .error(
            offset: base + index, range: (base + index)..<(base + index + 3),
            message: "inline shortcodes do not support nesting"))
        state.inline = nil
        index += 3
        continue
      }
      let (token, next) = lexTag(at: index, state: &state)
      tokens.append(token)
      index = max(next, index + 3)
    }
    return tokens
  }

  /// Whether the tag whose delimiter ends at `index` is `/ name ` (Hugo's nesting check).
  private func closes(_ name: String, at index: Int) -> Bool {
    var cursor = index
    while cursor < bytes.count, Self.isWhitespace(bytes[cursor]) { cursor += 1 }
    guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "/") else { return false }
    cursor += 1
    while cursor < bytes.count, Self.isWhitespace(bytes[cursor]) { cursor += 1 }
    return hasPrefix(name + " ", at: cursor)
  }

  /// Hugo's `isSpace` and `isEndOfLine`: what separates the elements of a tag.
  private static func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
  /// `unicode.IsSpace` for ASCII: what ends an unquoted value.
  private static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
  /// Hugo's `isAlphaNumeric`: `_`, letters and digits (any non-ASCII byte counts as part of a
  /// Unicode letter or digit).
  private static func isAlphaNumeric(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
      || b >= 0x80
  }
  private static func isAlphaNumericOrHyphen(_ b: UInt8) -> Bool { isAlphaNumeric(b) || b == UInt8(ascii: "-") }

  private func hasPrefix(_ text: String, at index: Int) -> Bool {
    let utf8 = Array(text.utf8)
    guard index >= 0, index + utf8.count <= bytes.count else { return false }
    return bytes[index..<(index + utf8.count)].elementsEqual(utf8)
  }

  private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

  /// A character as Go's `%#U` prints it: `U+0025 '%'`.
  private func describe(at index: Int) -> String {
    let end = min(bytes.count, index + 4)
    guard let scalar = String(decoding: bytes[index..<end], as: UTF8.self).unicodeScalars.first else { return "EOF" }
    let code = String(format: "U+%04X", scalar.value)
    let printable = scalar.properties.generalCategory != .control && scalar.properties.generalCategory != .format
    return printable ? "\(code) '\(Character(scalar))'" : code
  }

  private func unrecognized(at index: Int) -> String {
    "unrecognized character in shortcode action: \(describe(at: index)). Note: Parameters with non-alphanumeric args must be quoted"
  }

  /// What Hugo quotes after an unterminated string (the rest of the input), cut at the end
  /// of the line and at 60 bytes so that the diagnostic stays on one line.
  private func clipped(from start: Int) -> String {
    var end = start
    while end < bytes.count, bytes[end] != 0x0A, end - start < 60 { end += 1 }
    return text(start..<end) + (end < bytes.count ? "…" : "")
  }

  /// A quoted value from the `"` (or, for the legacy `\"…\"` form, the `\`) at `start`:
  /// the value, the bytes it was written in, and where lexing goes on.
  private func quoted(at start: Int, legacy: Bool) -> Result<(String, Range<Int>, Int), ShortcodeError> {
    let valueStart = start + (legacy ? 2 : 1)
    var cursor = valueStart
    var escapedQuote = false
    while cursor < bytes.count, bytes[cursor] != 0x0A {
      let b = bytes[cursor]
      if b == UInt8(ascii: "\\"), cursor + 1 < bytes.count {
        if bytes[cursor + 1] == UInt8(ascii: "`") {
          return .failure(ShortcodeError(offset: cursor, message: "unrecognized escape character"))
        }
        if bytes[cursor + 1] == UInt8(ascii: "\"") {
          if legacy { return .success((text(valueStart..<cursor), valueStart..<cursor, cursor + 2)) }
          escapedQuote = true
          cursor += 2
          continue
        }
      }
      if b == UInt8(ascii: "\"") {
        var value = text(valueStart..<cursor)
        // Hugo's ignoreEscapesAndEmit: once a `\"` is seen, every backslash goes.
        if escapedQuote { value = value.replacingOccurrences(of: "\\", with: "") }
        return .success((value, valueStart..<cursor, cursor + 1))
      }
      cursor += 1
    }
    return .failure(
      ShortcodeError(
        offset: start,
        message: "unterminated quoted string in shortcode parameter-argument: '\(clipped(from: valueStart))'"))
  }

  /// A backtick raw string from the backtick at `start`; it may span lines.
  private func raw(at start: Int) -> Result<(String, Range<Int>, Int), ShortcodeError> {
    var cursor = start + 1
    while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "`") { cursor += 1 }
    guard cursor < bytes.count else {
      return .failure(
        ShortcodeError(
          offset: start,
          message: "unterminated raw string in shortcode parameter-argument: '\(clipped(from: start + 1))'"))
    }
    return .success((text((start + 1)..<cursor), (start + 1)..<cursor, cursor + 1))
  }

  // swiftlint:disable:next cyclomatic_complexity function_body_length
  private func lexTag(at start: Int, state: inout DocumentState) -> (ShortcodeToken, Int) {
    let notation: Shortcode.Notation = bytes[start + 2] == UInt8(ascii: "<") ? .standard : .markdown
    let close = notation == .standard ? ">}}" : "%}}"
    let open = notation == .standard ? "{{<" : "{{%"
    var index = start + 3

    func error(_ offset: Int, _ message: String) -> (ShortcodeToken, Int) {
      (
        .error(offset: base + offset, range: (base + start)..<(base + max(offset, start + 3)), message: message),
        offset + 1
      )
    }

    // Escaped: `{{</*` … `*/>}}` is printed literally, without the comment markers.
    if hasPrefix("/*", at: index) {
      var search = index + 2
      while search + 2 + close.utf8.count <= bytes.count {
        if hasPrefix("*/" + close, at: search) {
          let end = search + 2 + close.utf8.count
          let literal = open + text((index + 2)..<search) + close
          return (.escaped(range: (base + start)..<(base + end), literal: literal), end)
        }
        search += 1
      }
      return error(start, "comment must be closed: an escaped shortcode needs \"*/\(close)\"")
    }

    var name: String?
    var nameOffset = start
    var isClosing = false
    var isSelfClosing = false
    var parameters: [Shortcode.Parameter] = []
    /// Hugo's `paramElements`: 0 before the first parameter, 1 positional, 2 named.
    var kind = 0

    func add(_ parameterName: String?, _ lexed: (String, Range<Int>, Int), _ quoting: Shortcode.Quoting) {
      let (value, range, next) = lexed
      parameters.append(
        .init(
          name: parameterName, value: value, valueRange: (base + range.lowerBound)..<(base + range.upperBound),
          quoting: quoting))
      index = next
    }

    while true {
      if hasPrefix(close, at: index) {
        index += close.utf8.count
        break
      }
      guard index < bytes.count else {
        return error(start, "unclosed shortcode action: \"\(open)\" has no \"\(close)\"")
      }
      let b = bytes[index]
      if Self.isSeparator(b) {
        index += 1
        continue
      }
      if b == UInt8(ascii: "/") {
        guard !state.seen.isEmpty || name != nil else { return error(index, "got closing shortcode, but none is open") }
        if name == nil {
          isClosing = true
          index += 1
          continue
        }
        // Self-closing: `/` then the right delimiter.
        var after = index + 1
        while after < bytes.count, Self.isSeparator(bytes[after]) { after += 1 }
        guard hasPrefix(close, at: after), !isSelfClosing else {
          return error(index, "unclosed shortcode: \"/\" must be followed by \"\(close)\"")
        }
        isSelfClosing = true
        index = after
        continue
      }
      if b == UInt8(ascii: "\\") {
        // Hugo drops a backslash here; `\"…\"` is the legacy quoted positional parameter.
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") || bytes[index + 1] == UInt8(ascii: "`")
        else {
          index += 1
          continue
        }
        if bytes[index + 1] == UInt8(ascii: "`") { return error(index, "unrecognized escape character") }
        if kind == 2 {
          return error(index, "got quoted positional parameter. Cannot mix named and positional parameters")
        }
        kind = 1
        switch quoted(at: index, legacy: true) {
        case .failure(let failure): return error(failure.offset, failure.message)
        case .success(let lexed): add(nil, lexed, .double)
        }
        continue
      }
      if name == nil {
        guard Self.isAlphaNumeric(b) else {
          return error(
            index, isClosing ? "closing shortcode has no name: \(unrecognized(at: index))" : unrecognized(at: index))
        }
        let nameStart = index
        var inline = false
        while index < bytes.count {
          let c = bytes[index]
          if Self.isAlphaNumericOrHyphen(c) || c == UInt8(ascii: "/") {
            index += 1
          } else if c == UInt8(ascii: ".") {
            guard hasPrefix("inline ", at: index + 1) else {
              return error(index, "period in shortcode name only allowed for inline identifiers")
            }
            inline = true
            index += 1
          } else {
            break
          }
        }
        let word = text(nameStart..<index)
        if isClosing && !state.seen.contains(word) {
          return error(nameStart, "closing tag for shortcode '\(word)' does not match start tag")
        }
        state.seen.insert(word)
        name = word
        nameOffset = nameStart
        if isClosing {
          // Hugo's lexEndOfShortcode: only spaces, then the right delimiter.
          if state.inline == word { state.inline = nil }
          while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
          guard hasPrefix(close, at: index) else {
            return error(
              index,
              "unclosed shortcode: only spaces may follow the name of a closing tag, found \(describe(at: index))")
          }
          index += close.utf8.count
          break
        }
        if inline { state.inline = word }
        continue
      }
      if isSelfClosing { return error(index, unrecognized(at: index)) }
      // Parameters.
      if b == UInt8(ascii: "\"") || b == UInt8(ascii: "`") {
        if kind == 2 {
          return error(index, "got quoted positional parameter. Cannot mix named and positional parameters")
        }
        kind = 1
        switch b == UInt8(ascii: "\"") ? quoted(at: index, legacy: false) : raw(at: index) {
        case .failure(let failure): return error(failure.offset, failure.message)
        case .success(let lexed): add(nil, lexed, b == UInt8(ascii: "\"") ? .double : .raw)
        }
        continue
      }
      guard Self.isAlphaNumericOrHyphen(b) else { return error(index, unrecognized(at: index)) }
      let tokenStart = index
      while index < bytes.count, Self.isAlphaNumericOrHyphen(bytes[index]) || bytes[index] == UInt8(ascii: ".") {
        index += 1
      }
      let token = text(tokenStart..<index)
      guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
        if kind == 2 {
          return error(tokenStart, "got positional parameter '\(token)'. Cannot mix named and positional parameters")
        }
        kind = 1
        parameters.append(
          .init(name: nil, value: token, valueRange: (base + tokenStart)..<(base + index), quoting: .none))
        continue
      }
      if kind == 1 {
        return error(tokenStart, "got named parameter '\(token)'. Cannot mix named and positional parameters")
      }
      kind = 2
      index += 1
      while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
      let v = index < bytes.count ? bytes[index] : 0
      if v == UInt8(ascii: "\\"), hasPrefix("\\`", at: index) {
        return error(index, "unrecognized escape character")
      } else if v == UInt8(ascii: "\"") || hasPrefix("\\\"", at: index) {
        switch quoted(at: index, legacy: v == UInt8(ascii: "\\")) {
        case .failure(let failure): return error(failure.offset, failure.message)
        case .success(let lexed): add(token, lexed, .double)
        }
      } else if v == UInt8(ascii: "`") {
        switch raw(at: index) {
        case .failure(let failure): return error(failure.offset, failure.message)
        case .success(let lexed): add(token, lexed, .raw)
        }
      } else {
        // Unquoted: everything up to the next space (Hugo's consumeToSpace), even `>}}`.
        let valueStart = index
        while index < bytes.count, !Self.isWhitespace(bytes[index]) { index += 1 }
        add(token, (text(valueStart..<index), valueStart..<index, index), .none)
      }
    }

    guard let name else { return error(start, "shortcode has no name") }
    if isSelfClosing, state.inline == name { state.inline = nil }
    let tag = Shortcode(
      name: name, notation: notation, range: (base + start)..<(base + index), nameOffset: base + nameOffset,
      parameters: parameters, isClosing: isClosing, isSelfClosing: isSelfClosing)
    return (.tag(tag), index)
  }
}

struct ShortcodeError: Error {
  var offset: Int
  var message: String
}
