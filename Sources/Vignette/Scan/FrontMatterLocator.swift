import Foundation

/// Finds where a front-matter value is written, so that it can be rewritten in place and the
/// rest of the block kept byte for byte. The values themselves come from the real parsers;
/// this only maps a key path (`cover.image`) to the bytes of its value: the key is found
/// where the format puts keys (a YAML line `key:` under its parent's indentation, a TOML
/// `key =` in the right table, a JSON `"key":` at the right depth), never in another key's
/// value.
struct FrontMatterLocator {
  let bytes: [UInt8]
  let format: FrontMatter.Format
  let content: Range<Int>

  init(source: SourceText, frontMatter: FrontMatter) {
    bytes = source.bytes
    format = frontMatter.format
    content = frontMatter.contentRange
  }

  /// The bytes holding the value of `path`, from after its `:`/`=` to the end of the value.
  func valueRegion(of path: [String]) -> Range<Int>? {
    switch format {
    case .yaml: return yamlRegion(path)
    case .toml: return tomlRegion(path)
    case .json: return jsonRegion(path, in: content)
    }
  }

  /// The first place in `region` where `value` is written whole: quoted, or bare between
  /// separators.
  func occurrence(of value: String, in region: Range<Int>) -> Range<Int>? {
    let needle = Array(value.utf8)
    guard !needle.isEmpty, region.count >= needle.count else { return nil }
    let quotes: Set<UInt8> = [UInt8(ascii: "\""), UInt8(ascii: "'")]
    let bareBefore: Set<UInt8> = [
      0x20, 0x09, 0x0A, UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "["), UInt8(ascii: "-"),
    ]
    let bareAfter: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "#")]
    var index = region.lowerBound
    while index + needle.count <= region.upperBound {
      if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) {
        let before = index > 0 ? bytes[index - 1] : 0x0A
        let after = index + needle.count < bytes.count ? bytes[index + needle.count] : 0x0A
        if (quotes.contains(before) && before == after) || (bareBefore.contains(before) && bareAfter.contains(after)) {
          return index..<(index + needle.count)
        }
      }
      index += 1
    }
    return nil
  }

  // MARK: Lines

  private struct Line {
    var start: Int
    var end: Int
    /// Offset of the first non-blank byte (== end for a blank line).
    var text: Int
    var indent: Int { text - start }
    var isBlank: Bool { text == end }
  }

  private func lines(in range: Range<Int>) -> [Line] {
    var result: [Line] = []
    var start = range.lowerBound
    while start < range.upperBound {
      var end = start
      while end < range.upperBound, bytes[end] != 0x0A { end += 1 }
      var text = start
      while text < end, bytes[text] == 0x20 || bytes[text] == 0x09 || bytes[text] == 0x0D { text += 1 }
      result.append(Line(start: start, end: end, text: text))
      start = end + 1
    }
    return result
  }

  /// Whether `bytes` at `offset` hold `key` (case-insensitively, as Hugo's `.Params`), bare or
  /// quoted, followed by optional blanks and `separator`; returns the offset after it.
  private func key(_ key: String, at offset: Int, separator: UInt8) -> Int? {
    var cursor = offset
    var quote: UInt8?
    if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") || bytes[cursor] == UInt8(ascii: "'") {
      quote = bytes[cursor]
      cursor += 1
    }
    for b in key.lowercased().utf8 {
      guard cursor < bytes.count else { return nil }
      let c = bytes[cursor]
      guard (c >= 0x41 && c <= 0x5A ? c + 32 : c) == b else { return nil }
      cursor += 1
    }
    if let quote {
      guard cursor < bytes.count, bytes[cursor] == quote else { return nil }
      cursor += 1
    }
    while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 { cursor += 1 }
    guard cursor < bytes.count, bytes[cursor] == separator else { return nil }
    return cursor + 1
  }

  // MARK: YAML

  private func yamlRegion(_ path: [String]) -> Range<Int>? {
    var region = content
    var parentIndent = -1
    for component in path {
      // Below a parent key, the rest of the parent's own line holds no key.
      let startsMidLine = region.lowerBound > content.lowerBound && bytes[region.lowerBound - 1] != 0x0A
      let candidates = Array(lines(in: region).dropFirst(startsMidLine ? 1 : 0))
      // The mapping's keys stand at the indentation of its first line; a key set twice is
      // taken from its last line, as Hugo does (see `FrontMatter.loadYAML`).
      let keyIndent = candidates.first {
        !$0.isBlank && $0.indent > parentIndent && bytes[$0.text] != UInt8(ascii: "#")
      }?.indent
      guard
        let (index, line, after) = candidates.enumerated().reversed().lazy.compactMap({
          index, line -> (Int, Line, Int)? in
          guard !line.isBlank, line.indent == keyIndent,
            let after = key(component, at: line.text, separator: UInt8(ascii: ":"))
          else { return nil }
          return (index, line, after)
        }).first
      else { return nil }
      // The value runs until a line indented no deeper than the key (a `- ` item at the
      // key's own indentation still belongs to it).
      var end = line.end
      for next in candidates[(index + 1)...] {
        if next.isBlank { continue }
        if next.indent < line.indent || (next.indent == line.indent && bytes[next.text] != UInt8(ascii: "-")) { break }
        end = next.end
      }
      region = after..<end
      parentIndent = line.indent
    }
    return region
  }

  // MARK: TOML

  private func tomlRegion(_ path: [String]) -> Range<Int>? {
    let all = lines(in: content)
    // Tables: `[a.b]` headers split the block; keys before the first header are top level.
    var sections: [(name: [String], lines: ArraySlice<Line>)] = []
    var current: [String] = []
    var first = 0
    for (index, line) in all.enumerated() where !line.isBlank && bytes[line.text] == UInt8(ascii: "[") {
      sections.append((current, all[first..<index]))
      let header = String(decoding: bytes[line.text..<line.end], as: UTF8.self)
      let inner = header.drop { $0 == "[" }.prefix { $0 != "]" }
      current = inner.split(separator: ".").map {
        $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")).lowercased()
      }
      first = index + 1
    }
    sections.append((current, all[first..<all.count]))
    let wanted = path.map { $0.lowercased() }
    for (name, lines) in sections where name.count < wanted.count && Array(wanted.prefix(name.count)) == name {
      let rest = Array(path.dropFirst(name.count))
      // `a.b = …` (dotted) or `a = { b = … }` (inline table) within the section.
      for (offset, line) in lines.enumerated() where !line.isBlank {
        var cursor = line.text
        var matched = 0
        while matched < rest.count {
          if matched == rest.count - 1, let after = key(rest[matched], at: cursor, separator: UInt8(ascii: "=")) {
            return after..<valueEnd(from: after, lines: lines.dropFirst(offset + 1))
          }
          guard let after = key(rest[matched], at: cursor, separator: UInt8(ascii: ".")) else { break }
          cursor = after
          while cursor < bytes.count, bytes[cursor] == 0x20 { cursor += 1 }
          matched += 1
        }
        if matched == 0, rest.count > 1, let after = key(rest[0], at: line.text, separator: UInt8(ascii: "=")) {
          // Inline table: search the rest of the path inside its braces.
          let end = valueEnd(from: after, lines: lines.dropFirst(offset + 1))
          var inner = after
          for component in rest.dropFirst() {
            guard let found = find(component, separator: UInt8(ascii: "="), in: inner..<end) else { return nil }
            inner = found
          }
          return inner..<end
        }
      }
    }
    return nil
  }

  /// A TOML value starting at `start` ends before the next line that starts a key or a table.
  private func valueEnd(from start: Int, lines: ArraySlice<Line>) -> Int {
    var end = start
    while end < bytes.count, bytes[end] != 0x0A { end += 1 }
    for line in lines {
      if line.isBlank { continue }
      let first = bytes[line.text]
      if first == UInt8(ascii: "[") || first == UInt8(ascii: "#") { break }
      let text = String(decoding: bytes[line.text..<line.end], as: UTF8.self)
      if let equals = text.firstIndex(of: "="), !text[..<equals].contains("\""), !text[..<equals].contains(",") {
        break
      }
      end = line.end
    }
    return min(end, content.upperBound)
  }

  /// `key` followed by `separator` anywhere in `range`, not inside a string.
  private func find(_ name: String, separator: UInt8, in range: Range<Int>) -> Int? {
    var index = range.lowerBound
    while index < range.upperBound {
      let previous = index > 0 ? bytes[index - 1] : 0x20
      let boundary =
        previous == 0x20 || previous == UInt8(ascii: "{") || previous == UInt8(ascii: ",") || previous == 0x09
      if boundary, let after = key(name, at: index, separator: separator), after <= range.upperBound { return after }
      index += 1
    }
    return nil
  }

  // MARK: JSON

  private func jsonRegion(_ path: [String], in range: Range<Int>) -> Range<Int>? {
    guard let component = path.first else { return range }
    // Walk the object's members at depth 1.
    var depth = 0
    var index = range.lowerBound
    while index < range.upperBound {
      let b = bytes[index]
      if b == UInt8(ascii: "\"") {
        let stringStart = index
        index = skipString(from: index)
        if depth == 1, let after = key(component, at: stringStart, separator: UInt8(ascii: ":")) {
          let end = jsonValueEnd(from: after, limit: range.upperBound)
          return jsonRegion(Array(path.dropFirst()), in: after..<end)
        }
        continue
      }
      if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
      if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { depth -= 1 }
      index += 1
    }
    return nil
  }

  private func skipString(from quote: Int) -> Int {
    var index = quote + 1
    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
      if bytes[index] == UInt8(ascii: "\\") { index += 1 }
      index += 1
    }
    return index + 1
  }

  private func jsonValueEnd(from start: Int, limit: Int) -> Int {
    var depth = 0
    var index = start
    while index < limit {
      let b = bytes[index]
      if b == UInt8(ascii: "\"") {
        index = skipString(from: index)
        continue
      }
      if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
      if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
        if depth == 0 { return index }
        depth -= 1
      }
      if b == UInt8(ascii: ","), depth == 0 { return index }
      index += 1
    }
    return limit
  }
}
