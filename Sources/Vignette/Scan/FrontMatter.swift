// Front matter parsed with the real parsers (TOMLKit, Yams, Foundation's JSON). One thing is
// done by hand: Yams refuses a YAML mapping that sets a key twice, and has no option to keep
// the last value as Hugo's YAML library does, so `YAMLMappingLines` finds the earlier entries
// of a key Yams names and blanks them out before Yams loads the text again.
import Foundation
import TOMLKit
import Yams

/// A page's front matter, found the way Hugo's intro lexer finds it: after optional
/// whitespace and a BOM, `+++` TOML, `---` YAML or a `{…}` JSON object.
public struct FrontMatter: Sendable {
  public enum Format: String, Sendable { case toml, yaml, json }

  public var format: Format
  /// The whole block including delimiters (and the newline after the closing one).
  public var range: Range<Int>
  /// The text between the delimiters (for JSON, the object with its braces).
  public var contentRange: Range<Int>
  /// Parsed values, or nil when the block does not parse.
  public var values: FrontMatterValue?
  /// Why the block did not parse, with the offset it points at.
  public var parseError: (offset: Int, message: String)?
  /// What Hugo accepts but the author most likely did not mean (a YAML key set twice in one
  /// mapping), with the offset it points at.
  public var warnings: [(offset: Int, message: String)] = []

  public var title: String? { values?["title"]?.string }

  /// Splits front matter off `source`. Returns nil when the page has none.
  public static func find(in source: SourceText) throws(FrontMatterError) -> FrontMatter? {
    let bytes = source.bytes
    var index = 0
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    guard index < bytes.count else { return nil }
    let start = index
    switch bytes[index] {
    case UInt8(ascii: "+"), UInt8(ascii: "-"):
      let mark = bytes[index]
      let delimiter = [UInt8](repeating: mark, count: 3)
      let format: Format = mark == UInt8(ascii: "+") ? .toml : .yaml
      guard bytes[index...].starts(with: delimiter) else {
        // Hugo (0.111) takes any page that begins with "+" or "-" for front matter, so a
        // leading list item fails its build.
        var end = index
        while end < bytes.count, bytes[end] != 0x0A, end - index < 60 { end += 1 }
        throw FrontMatterError(
          offset: start,
          message:
            "invalid \(format == .toml ? "TOML" : "YAML") delimiter: Hugo reads a page that begins with \"\(UnicodeScalar(mark))\" as front matter, which needs \"\(String(repeating: String(UnicodeScalar(mark)), count: 3))\"; put front matter or text first: \(source[index..<end])"
        )
      }
      var cursor = index + 3
      while cursor < bytes.count, bytes[cursor] != 0x0A { cursor += 1 }
      let contentStart = min(bytes.count, cursor + 1)
      var line = contentStart
      while line < bytes.count {
        if bytes[line...].starts(with: delimiter) {
          var end = line + 3
          while end < bytes.count, bytes[end] != 0x0A { end += 1 }
          end = min(bytes.count, end + 1)
          var matter = FrontMatter(format: format, range: start..<end, contentRange: contentStart..<line)
          matter.parse(source)
          return matter
        }
        while line < bytes.count, bytes[line] != 0x0A { line += 1 }
        line += 1
      }
      throw FrontMatterError(
        offset: start, message: "EOF looking for end \(format == .toml ? "TOML" : "YAML") front matter delimiter")
    case UInt8(ascii: "{") where !(index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "{")):
      // `{{` opens a shortcode or template action, never a JSON object.
      var depth = 0
      var cursor = index
      var inString = false
      while cursor < bytes.count {
        let b = bytes[cursor]
        if inString {
          if b == UInt8(ascii: "\\") { cursor += 1 } else if b == UInt8(ascii: "\"") { inString = false }
        } else if b == UInt8(ascii: "\"") {
          inString = true
        } else if b == UInt8(ascii: "{") {
          depth += 1
        } else if b == UInt8(ascii: "}") {
          depth -= 1
          if depth == 0 {
            var end = cursor + 1
            if end < bytes.count, bytes[end] == 0x0D { end += 1 }
            if end < bytes.count, bytes[end] == 0x0A { end += 1 }
            var matter = FrontMatter(format: .json, range: start..<end, contentRange: start..<(cursor + 1))
            matter.parse(source)
            return matter
          }
        }
        cursor += 1
      }
      throw FrontMatterError(offset: start, message: "EOF looking for the end of the JSON front matter")
    default:
      return nil
    }
  }

  private mutating func parse(_ source: SourceText) {
    do {
      guard format == .yaml else {
        values = try Self.decode(source[contentRange], as: format)
        return
      }
      let (value, repeats) = try Self.loadYAML(source[contentRange])
      values = value
      let firstLine = source.position(of: contentRange.lowerBound).line
      for repeated in repeats {
        let (ignored, taken) = (firstLine + repeated.ignoredLine - 1, firstLine + repeated.takenLine - 1)
        warnings.append(
          (
            source.offset(line: taken, column: repeated.column),
            "front matter key \"\(repeated.key)\" is set on line \(ignored) and again here, on line \(taken); Hugo takes the last one and ignores line \(ignored), and so does Vignette"
          ))
      }
    } catch let error as TOMLParseError {
      let offset = source.offset(
        line: contentRange.isEmpty
          ? 1 : source.position(of: contentRange.lowerBound).line + error.source.begin.line - 1,
        column: error.source.begin.column)
      parseError = (offset, "invalid TOML front matter: \(error.description)")
    } catch let error as YamlError {
      var offset = contentRange.lowerBound
      if case .scanner(_, _, let mark, _) = error {
        offset = source.offset(
          line: source.position(of: contentRange.lowerBound).line + mark.line - 1, column: mark.column)
      } else if case .parser(_, _, let mark, _) = error {
        offset = source.offset(
          line: source.position(of: contentRange.lowerBound).line + mark.line - 1, column: mark.column)
      }
      parseError = (
        offset, "invalid YAML front matter: \(String(describing: error).split(separator: "\n").first ?? "")"
      )
    } catch {
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
      parseError = (contentRange.lowerBound, "invalid \(format.rawValue.uppercased()) front matter: \(detail)")
    }
  }

  /// The values of a TOML, YAML or JSON document (front matter, or a Hugo config file).
  static func decode(_ text: String, as format: Format) throws -> FrontMatterValue {
    switch format {
    case .toml: return plain(try TOMLTable(string: text))
    case .yaml: return try loadYAML(text).value
    case .json: return plainJSON(try JSONSerialization.jsonObject(with: Data(text.utf8)))
    }
  }

  /// A key a YAML mapping sets more than once: Hugo's YAML library takes the last value
  /// (checked with Hugo 0.111: `title: a` then `title: b` gives the title `b`, and a repeated
  /// `cover:` mapping replaces the first whole), where Yams refuses the document. Lines and
  /// column are 1-based, in the text given.
  struct RepeatedKey: Equatable {
    var key: String
    var ignoredLine: Int
    var takenLine: Int
    var column: Int
  }

  /// Loads YAML as Hugo does: when Yams refuses a block mapping for a repeated key, every
  /// earlier entry of that key in that mapping is blanked out (lines kept, so positions stay
  /// true) and the text loaded again; each blanked entry is returned. Yams has no option to
  /// keep the last value itself. A repeat this cannot find in the text (a flow mapping
  /// `{a: 1, a: 2}`) is still an error.
  static func loadYAML(_ text: String) throws -> (value: FrontMatterValue, repeats: [RepeatedKey]) {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var repeats: [RepeatedKey] = []
    while true {
      do {
        let value = try Yams.load(yaml: lines.joined(separator: "\n")).map(plainYAML) ?? .table([:])
        return (value, repeats.sorted { ($0.takenLine, $0.ignoredLine) < ($1.takenLine, $1.ignoredLine) })
      } catch YamlError.duplicatedKeysInMapping(let keys, let context) {
        let blanked = YAMLMappingLines(lines).blankEarlierEntries(of: keys, keyAt: context.mark)
        guard !blanked.repeats.isEmpty else {
          throw YamlError.duplicatedKeysInMapping(duplicates: keys, context: context)
        }
        lines = blanked.lines
        repeats += blanked.repeats
      }
    }
  }

  private static func plain(_ value: Any) -> FrontMatterValue {
    switch value {
    case let table as TOMLTable:
      var result: [String: FrontMatterValue] = [:]
      for (key, item) in table { result[key] = plain(item) }
      return .table(result)
    case let array as TOMLArray:
      return .array(array.map { plain($0) })
    case let convertible as TOMLValueConvertible:
      if let string = convertible.string { return .string(string) }
      if let table = convertible.table { return plain(table) }
      if let array = convertible.array { return plain(array) }
      if let int = convertible.int { return .number(Double(int)) }
      if let double = convertible.double { return .number(double) }
      if let bool = convertible.bool { return .bool(bool) }
      return .string("\(convertible)")
    default:
      return .string("\(value)")
    }
  }

  private static func plainYAML(_ value: Any) -> FrontMatterValue {
    switch value {
    case let dictionary as [AnyHashable: Any]:
      var result: [String: FrontMatterValue] = [:]
      for (key, item) in dictionary { result["\(key)"] = plainYAML(item) }
      return .table(result)
    case let array as [Any]: return .array(array.map(plainYAML))
    case let string as String: return .string(string)
    case let bool as Bool: return .bool(bool)
    case let int as Int: return .number(Double(int))
    case let double as Double: return .number(double)
    default: return .string("\(value)")
    }
  }

  private static func plainJSON(_ value: Any) -> FrontMatterValue {
    switch value {
    case let dictionary as [String: Any]: return .table(dictionary.mapValues(plainJSON))
    case let array as [Any]: return .array(array.map(plainJSON))
    case let string as String: return .string(string)
    case let number as NSNumber: return .number(number.doubleValue)
    default: return .string("\(value)")
    }
  }
}

/// The lines of a YAML document, read for the block mappings in them: which lines are keys
/// of the mapping whose keys start at a column, and where each entry ends. Only used to find
/// the entries of a repeated key (see `FrontMatter.loadYAML`); the values come from Yams.
private struct YAMLMappingLines {
  var lines: [String]

  init(_ lines: [String]) { self.lines = lines }

  /// 0-based column of the first non-blank character; nil for a blank or comment line.
  func indent(_ index: Int) -> Int? {
    let scalars = Array(lines[index].unicodeScalars)
    guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }), scalars[first] != "#"
    else { return nil }
    return first
  }

  /// 0-based column where the line's key would start: after its indentation and any `- `
  /// sequence-item markers.
  func keyColumn(_ index: Int) -> Int? {
    guard var column = indent(index) else { return nil }
    let scalars = Array(lines[index].unicodeScalars)
    while column + 1 < scalars.count, scalars[column] == "-", scalars[column + 1] == " " {
      column += 2
      while column < scalars.count, scalars[column] == " " { column += 1 }
    }
    return column
  }

  /// Whether the line holds `key` (bare or quoted) at `column`, followed by `:` and a blank.
  func holds(_ key: String, at column: Int, line index: Int) -> Bool {
    let rest = String(String.UnicodeScalarView(lines[index].unicodeScalars.dropFirst(column)))
    for form in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(form) {
      let after = rest.dropFirst(form.count).drop { $0 == " " || $0 == "\t" }
      if after.first == ":", after.dropFirst().first.map({ $0 == " " || $0 == "\t" || $0 == "\r" }) ?? true {
        return true
      }
    }
    return false
  }

  /// Blanks out every entry but the last of each of `keys` in the block mapping whose key
  /// Yams marked (1-based line and column). Nothing when the repeats are not all found.
  func blankEarlierEntries(of keys: [String], keyAt mark: Mark) -> (lines: [String], repeats: [FrontMatter.RepeatedKey])
  {
    let column = mark.column - 1
    let markLine = mark.line - 1
    guard lines.indices.contains(markLine), keyColumn(markLine) == column else { return (lines, []) }
    // The mapping's lines: those around the marked key indented at least as deep, and above
    // them the line of the `- ` item whose first key it is, if any.
    var first = markLine
    while first > 0 {
      let above = indent(first - 1)
      if above == nil || above! >= column {
        first -= 1
      } else {
        if keyColumn(first - 1) == column { first -= 1 }
        break
      }
    }
    var last = markLine
    while last + 1 < lines.count, (indent(last + 1) ?? column) >= column { last += 1 }
    let keyLines = (first...last).filter { keyColumn($0) == column }
    var result = lines
    var repeats: [FrontMatter.RepeatedKey] = []
    for key in keys {
      let entries = keyLines.filter { holds(key, at: column, line: $0) }
      guard entries.count > 1, let taken = entries.last else { return (lines, []) }
      for entry in entries.dropLast() {
        // The entry runs to the mapping's next key; on an item's first line, the `- ` that
        // opens the item stays.
        let next = keyLines.first { $0 > entry } ?? last + 1
        result[entry] = String(String.UnicodeScalarView(lines[entry].unicodeScalars.prefix(column)))
        for line in (entry + 1)..<next { result[line] = "" }
        repeats.append(
          FrontMatter.RepeatedKey(key: key, ignoredLine: entry + 1, takenLine: taken + 1, column: column + 1))
      }
    }
    return (result, repeats)
  }
}

/// A front-matter value, whatever format it came from.
public indirect enum FrontMatterValue: Sendable, Hashable {
  case string(String)
  case number(Double)
  case bool(Bool)
  case array([FrontMatterValue])
  case table([String: FrontMatterValue])

  /// The value at a key, matched case-insensitively as Hugo's `.Params` do.
  public subscript(key: String) -> FrontMatterValue? {
    guard case .table(let table) = self else { return nil }
    return table[key] ?? table.first { $0.key.lowercased() == key.lowercased() }?.value
  }

  public var string: String? {
    if case .string(let string) = self { return string }
    return nil
  }
}

/// Front matter that Hugo would refuse.
public struct FrontMatterError: Error, Sendable {
  public var offset: Int
  public var message: String
}
