import Foundation

/// A problem found in a user's content or files, reported as `FILE:LINE:COL: error: …`.
/// Diagnostics are collected and reported together; the build goes on.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
  public enum Severity: String, Sendable, Codable, Comparable {
    case warning, error
    public static func < (a: Self, b: Self) -> Bool { a == .warning && b == .error }
  }

  public var severity: Severity
  /// Path as the user knows it (relative to the project folder when inside it).
  public var file: String
  public var line: Int
  public var column: Int
  public var message: String

  public init(_ severity: Severity, file: String, line: Int = 1, column: Int = 1, _ message: String) {
    self.severity = severity
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

extension [Diagnostic] {
  /// Sorted by file, position and message, without repeats.
  public var normalized: [Diagnostic] {
    Array(Set(self)).sorted {
      ($0.file, $0.line, $0.column, $0.message) < ($1.file, $1.line, $1.column, $1.message)
    }
  }
  public var hasErrors: Bool { contains { $0.severity == .error } }
}
