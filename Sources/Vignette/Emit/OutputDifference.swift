import Foundation

/// In check mode, a file under the output folder (or a site folder) that is not what a build
/// would write: out of date, missing, or left over. It names the file, where in it the
/// difference starts, and what the build makes it from (a post, a page, or a source image),
/// and `check` reports it as an error located there. `--json` writes it as its description.
public struct OutputDifference: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  public enum State: String, Sendable, Hashable, CaseIterable {
    case outOfDate = "is out of date"
    case missing = "is missing"
    case leftOver = "is no longer produced by the build"
  }

  /// The output file, relative to the project folder.
  public var file: String
  public var state: State
  /// What the build makes it from, as the user knows it (`assets/posts/p.md`); nil for
  /// files of the whole site (the manifest, Hugo's data) and left-over files.
  public var source: String?
  /// Where the file first differs from what a build would write (1-based; byte column).
  public var line = 1
  public var column = 1

  public init(file: String, state: State, source: String? = nil, line: Int = 1, column: Int = 1) {
    self.file = file
    self.state = state
    self.source = source
    self.line = line
    self.column = column
  }

  /// The file at `path` (shown as `display`), compared with `expected` when the build's
  /// bytes are known: out of date from the first byte that differs, or missing.
  init(path: String, display: String, source: String?, expected: Data? = nil) {
    guard let held = FileManager.default.contents(atPath: path) else {
      self.init(file: display, state: .missing, source: source)
      return
    }
    let (line, column) = expected.map { Self.start(of: held, differingFrom: $0) } ?? (1, 1)
    self.init(file: display, state: .outOfDate, source: source, line: line, column: column)
  }

  /// Line and column in `held` of its first byte that is not `expected`'s.
  static func start(of held: Data, differingFrom expected: Data) -> (Int, Int) {
    let same = zip(held, expected).prefix { $0 == $1 }.count
    let before = held.prefix(same)
    let line = before.count(where: { $0 == 0x0A }) + 1
    let column = same - (before.lastIndex(of: 0x0A).map { $0 - held.startIndex + 1 } ?? 0) + 1
    return (line, column)
  }

  public var description: String { "\(file) \(state.rawValue)" + (source.map { " (made from \($0))" } ?? "") }

  /// The error `check` prints: at the output file, naming what it is made from.
  public func diagnostic(fix: String) -> Diagnostic {
    let what = String(state.rawValue.dropFirst("is ".count))
    let made = source.map { " (made from \($0))" } ?? ""
    let action = state == .leftOver ? "\(fix) removes it" : "\(fix) writes it anew"
    return Diagnostic(.error, file: file, line: line, column: column, "\(what)\(made); \(action)")
  }

  public static func < (a: Self, b: Self) -> Bool { a.description < b.description }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }

  public init(from decoder: Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    for state in State.allCases {
      guard let range = text.range(of: " " + state.rawValue) else { continue }
      let rest = text[range.upperBound...]
      let source = rest.hasPrefix(" (made from ") ? String(rest.dropFirst(" (made from ".count).dropLast()) : nil
      self.init(file: String(text[..<range.lowerBound]), state: state, source: source)
      return
    }
    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a difference"))
  }
}
