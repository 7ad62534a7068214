import Foundation

/// A shortcode tag as Hugo's lexer (`parser/pageparser`) reads it.
public struct Shortcode: Sendable, Hashable {
  public enum Notation: Sendable, Hashable {
    /// `{{< … >}}`: rendered separately and merged after markdown.
    case standard
    /// `{{% … %}}`: its output is part of the markdown source.
    case markdown
  }

  public enum Quoting: Sendable, Hashable {
    case none, double, raw
  }

  /// One parameter; `name` is nil for positional parameters.
  public struct Parameter: Sendable, Hashable {
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

/// Finds shortcodes in a page body exactly where Hugo's lexer does. Like Hugo, it knows
/// nothing of markdown: a tag inside a code block is still a tag.
public struct ShortcodeLexer {
  private let bytes: [UInt8]
  private let base: Int

  /// `bytes` is the page text; offsets in the tokens count from `base`.
  public init(bytes: some Collection<UInt8>, base: Int = 0) {
    self.bytes = Array(bytes)
    self.base = base
  }

  public func tokens() -> [ShortcodeToken] {
    var tokens: [ShortcodeToken] = []
    var index = 0
    let count = bytes.count
    while index + 2 < count {
      guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{"),
        bytes[index + 2] == UInt8(ascii: "<") || bytes[index + 2] == UInt8(ascii: "%")
      else {
        index += 1
        continue
      }
      let (token, next) = lexTag(at: index)
      tokens.append(token)
      index = max(next, index + 3)
    }
    return tokens
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
  private static func isAlphaNumeric(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
      || b >= 0x80  // any non-ASCII byte: part of a Unicode letter or digit
  }
  private static func isParameterCharacter(_ b: UInt8) -> Bool {
    isAlphaNumeric(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
  }

  private func hasPrefix(_ text: String, at index: Int) -> Bool {
    let utf8 = Array(text.utf8)
    guard index + utf8.count <= bytes.count else { return false }
    return bytes[index..<(index + utf8.count)].elementsEqual(utf8)
  }

  private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

  private func describe(_ b: UInt8, at index: Int) -> String {
    if b < 0x80 { return "\"\(String(UnicodeScalar(b)))\"" }
    let end = min(bytes.count, index + 4)
    return "\"\(String(decoding: bytes[index..<end], as: UTF8.self).prefix(1))\""
  }

  // swiftlint:disable:next cyclomatic_complexity function_body_length
  private func lexTag(at start: Int) -> (ShortcodeToken, Int) {
    let notation: Shortcode.Notation = bytes[start + 2] == UInt8(ascii: "<") ? .standard : .markdown
    let close = notation == .standard ? ">}}" : "%}}"
    let open = notation == .standard ? "{{<" : "{{%"
    var index = start + 3

    func error(_ offset: Int, _ message: String) -> (ShortcodeToken, Int) {
      (.error(offset: base + offset, range: (base + start)..<(base + max(offset, start + 3)), message: message), offset + 1)
    }

    // Escaped: `{{</*` … `*/>}}` is printed literally, without the comment markers.
    if hasPrefix("/*", at: index) {
      var search = index + 2
      while search + 1 + close.utf8.count <= bytes.count {
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

    func skipSpace() {
      while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    func quoted(from quoteStart: Int) -> Result<(String, Range<Int>, Int), ShortcodeError> {
      // `"…"`: no raw newline; `\"` escapes a quote, and then every backslash is dropped.
      var cursor = quoteStart + 1
      var sawEscapedQuote = false
      while cursor < bytes.count {
        let b = bytes[cursor]
        if b == UInt8(ascii: "\\"), cursor + 1 < bytes.count, bytes[cursor + 1] == UInt8(ascii: "\"") {
          sawEscapedQuote = true
          cursor += 2
          continue
        }
        if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") { break }
        if b == UInt8(ascii: "\"") {
          let range = (quoteStart + 1)..<cursor
          var value = text(range)
          if sawEscapedQuote { value = value.replacingOccurrences(of: "\\", with: "") }
          return .success((value, range, cursor + 1))
        }
        cursor += 1
      }
      return .failure(ShortcodeError(offset: quoteStart, message: "unterminated quoted string in shortcode parameter-argument"))
    }

    func raw(from quoteStart: Int) -> Result<(String, Range<Int>, Int), ShortcodeError> {
      var cursor = quoteStart + 1
      while cursor < bytes.count {
        if bytes[cursor] == UInt8(ascii: "`") {
          let range = (quoteStart + 1)..<cursor
          return .success((text(range), range, cursor + 1))
        }
        cursor += 1
      }
      return .failure(ShortcodeError(offset: quoteStart, message: "unterminated raw string in shortcode parameter-argument"))
    }

    while true {
      skipSpace()
      guard index < bytes.count else { return error(start, "unclosed shortcode: \"\(open)\" has no \"\(close)\"") }
      if hasPrefix(close, at: index) {
        index += close.utf8.count
        break
      }
      let b = bytes[index]
      if b == UInt8(ascii: "/") {
        if name == nil && !isClosing {
          isClosing = true
          index += 1
          continue
        }
        // Self-closing: `/` then the right delimiter.
        var after = index + 1
        while after < bytes.count, Self.isSpace(bytes[after]) { after += 1 }
        guard hasPrefix(close, at: after), name != nil else {
          return error(index, "unclosed shortcode: \"/\" must be followed by \"\(close)\"")
        }
        isSelfClosing = true
        index = after
        continue
      }
      if name == nil {
        guard Self.isAlphaNumeric(b) else {
          if hasPrefix(close, at: index) || b == UInt8(ascii: "%") || b == UInt8(ascii: ">") {
            return error(index, "shortcode has no name")
          }
          return error(index, "unrecognized character in shortcode action: \(describe(b, at: index))")
        }
        let nameStart = index
        while index < bytes.count,
          Self.isAlphaNumeric(bytes[index]) || bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "/")
            || bytes[index] == UInt8(ascii: ".")
        {
          index += 1
        }
        let candidate = text(nameStart..<index)
        if candidate.contains("."), !candidate.hasSuffix(".inline") || candidate.dropLast(7).contains(".") {
          return error(nameStart, "period in shortcode name only allowed for inline identifiers")
        }
        name = candidate
        nameOffset = nameStart
        continue
      }
      if isClosing || isSelfClosing {
        return error(index, "unclosed shortcode: only spaces may follow the closing name, found \(describe(b, at: index))")
      }
      // Parameters.
      if b == UInt8(ascii: "\"") || b == UInt8(ascii: "`") {
        switch b == UInt8(ascii: "\"") ? quoted(from: index) : raw(from: index) {
        case .failure(let failure): return error(failure.offset, failure.message)
        case .success(let (value, range, next)):
          parameters.append(.init(name: nil, value: value, valueRange: (base + range.lowerBound)..<(base + range.upperBound), quoting: b == UInt8(ascii: "\"") ? .double : .raw))
          index = next
        }
        continue
      }
      guard Self.isParameterCharacter(b) else {
        return error(index, "unrecognized character in shortcode action: \(describe(b, at: index)). Note: Parameters with non-alphanumeric args must be quoted")
      }
      let tokenStart = index
      while index < bytes.count, Self.isParameterCharacter(bytes[index]) { index += 1 }
      let token = text(tokenStart..<index)
      if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
        index += 1
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        guard index < bytes.count else { return error(start, "unclosed shortcode: \"\(open)\" has no \"\(close)\"") }
        let v = bytes[index]
        if v == UInt8(ascii: "\"") || v == UInt8(ascii: "`") {
          switch v == UInt8(ascii: "\"") ? quoted(from: index) : raw(from: index) {
          case .failure(let failure): return error(failure.offset, failure.message)
          case .success(let (value, range, next)):
            parameters.append(.init(name: token, value: value, valueRange: (base + range.lowerBound)..<(base + range.upperBound), quoting: v == UInt8(ascii: "\"") ? .double : .raw))
            index = next
          }
        } else if v == UInt8(ascii: "\\"), hasPrefix("\\\"", at: index) {
          // Legacy `key=\"value\"`.
          let valueStart = index + 2
          var cursor = valueStart
          while cursor < bytes.count, !hasPrefix("\\\"", at: cursor), bytes[cursor] != UInt8(ascii: "\n") { cursor += 1 }
          guard hasPrefix("\\\"", at: cursor) else {
            return error(index, "unterminated quoted string in shortcode parameter-argument")
          }
          parameters.append(.init(name: token, value: text(valueStart..<cursor), valueRange: (base + valueStart)..<(base + cursor), quoting: .double))
          index = cursor + 2
        } else {
          // Unquoted: everything up to the next space (Hugo's consumeToSpace).
          let valueStart = index
          while index < bytes.count, !Self.isSpace(bytes[index]) { index += 1 }
          parameters.append(.init(name: token, value: text(valueStart..<index), valueRange: (base + valueStart)..<(base + index), quoting: .none))
        }
      } else {
        if index < bytes.count, !Self.isSpace(bytes[index]), !hasPrefix(close, at: index), bytes[index] != UInt8(ascii: "/") {
          return error(index, "unrecognized character in shortcode action: \(describe(bytes[index], at: index)). Note: Parameters with non-alphanumeric args must be quoted")
        }
        parameters.append(.init(name: nil, value: token, valueRange: (base + tokenStart)..<(base + index), quoting: .none))
      }
    }

    guard let name else {
      return error(start, isClosing ? "closing shortcode has no name" : "shortcode has no name")
    }
    let named = parameters.contains { $0.name != nil }
    let positional = parameters.contains { $0.name == nil }
    if named && positional {
      let first = parameters.first { $0.name == nil }!
      return error(first.valueRange.lowerBound - base, "cannot mix named and positional parameters")
    }
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
