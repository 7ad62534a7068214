import Foundation

/// A file's bytes with a line index, so byte offsets turn into `LINE:COL` and back.
/// Columns count bytes from 1, as cmark-gfm and compilers do.
public struct SourceText: Sendable {
  public let bytes: [UInt8]
  /// Byte offset at which each line starts.
  public let lineStarts: [Int]

  public init(bytes: [UInt8]) {
    self.bytes = bytes
    var starts = [0]
    for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      starts.append(index + 1)
    }
    lineStarts = starts
  }

  public init(_ string: String) { self.init(bytes: Array(string.utf8)) }

  public var string: String { String(decoding: bytes, as: UTF8.self) }

  /// 1-based line and column of a byte offset.
  public func position(of offset: Int) -> (line: Int, column: Int) {
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return (low + 1, offset - lineStarts[low] + 1)
  }

  /// Byte offset of a 1-based line and column.
  public func offset(line: Int, column: Int) -> Int {
    guard line >= 1, line <= lineStarts.count else { return bytes.count }
    return min(bytes.count, lineStarts[line - 1] + max(0, column - 1))
  }

  public subscript(range: Range<Int>) -> String {
    String(decoding: bytes[range], as: UTF8.self)
  }
}
