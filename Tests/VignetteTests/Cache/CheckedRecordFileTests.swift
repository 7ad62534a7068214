import Foundation
import Testing

@testable import Vignette

/// `CheckedRecordFile.write` encodes a file straight to disk, 64 KiB at a time, and leaves a
/// file that already has its bytes alone.
@Suite struct CheckedRecordFileTests {
  func records(_ count: Int, _ salt: String = "") -> (inout CacheRecordWriter) -> Void {
    { writer in
      writer.int(count)
      for index in 0..<count {
        writer.string("posts/post-\(index)/index.html\(salt)")
        writer.int(index * 7919)
      }
    }
  }

  func read(_ path: String) -> [String]? {
    guard var reader = CheckedRecordFile.read(path, magic: "test-1", context: "context") else { return nil }
    guard let count = try? reader.int() else { return nil }
    var values: [String] = []
    for _ in 0..<count {
      guard let name = try? reader.string(), let number = try? reader.int() else { return nil }
      values.append("\(name) \(number)")
    }
    return reader.isAtEnd ? values : nil
  }

  /// The same file read a window at a time (`CheckedRecordFile.stream`).
  func stream(_ path: String) -> [String]? {
    guard let stream = CheckedRecordFile.stream(path, magic: "test-1", context: "context"),
      let count = try? stream.next({ try $0.int() })
    else { return nil }
    var values: [String] = []
    for _ in 0..<count {
      guard let name = try? stream.next({ try $0.string() }), let number = try? stream.next({ try $0.int() }) else {
        return nil
      }
      values.append("\(name) \(number)")
    }
    return stream.isAtEnd ? values : nil
  }

  /// Streamed, a file reads back the same as whole: values cut by a window's end (and one
  /// longer than a window) are decoded once the window has them; a damaged body, another
  /// format or another context gives nothing.
  @Test func aStreamedFileReadsBackAsWhole() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vignette-records-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/index.bin"
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_000))
    #expect(stream(path) == read(path))
    #expect(stream(path)?.count == 20_000)

    let long = String(repeating: "é", count: 100_000)
    try CheckedRecordFile.write(path, magic: "test-1", context: "context") { writer in
      writer.int(3)
      for name in ["a", long, "b"] {
        writer.string(name)
        writer.int(name.count)
      }
    }
    #expect(stream(path) == ["a 1", "\(long) 100000", "b 1"])

    #expect(CheckedRecordFile.stream(path, magic: "test-2", context: "context") == nil)
    #expect(CheckedRecordFile.stream(path, magic: "test-1", context: "other") == nil)
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count / 2] ^= 0x01
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(CheckedRecordFile.stream(path, magic: "test-1", context: "context") == nil)
    #expect(CheckedRecordFile.stream(folder + "/missing.bin", magic: "test-1", context: "context") == nil)
  }

  @Test func aFileOfManySpillsReadsBackAndIsWrittenOnlyWhenItChanges() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vignette-records-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/index.bin"
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_000))
    #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int > 5 << 16)
    #expect(read(path)?.count == 20_000)
    #expect(read(path)?.last == "posts/post-19999/index.html \(19_999 * 7919)")

    // The same records again: the file is not replaced.
    let before = FullStamp.of(path)
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_000))
    #expect(FullStamp.of(path) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["index.bin"])

    // One record more, or other bytes in the last one: replaced.
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_001))
    #expect(FullStamp.of(path) != before && read(path)?.count == 20_001)
    let longer = FullStamp.of(path)
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_000))
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_000, "x"))
    #expect(FullStamp.of(path) != longer && read(path)?.last?.hasPrefix("posts/post-19999/index.htmlx") == true)

    // A body damaged under an intact header is written again, not taken for the same bytes.
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 10] ^= 0x01
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(read(path) == nil)
    try CheckedRecordFile.write(path, magic: "test-1", context: "context", records(20_000, "x"))
    #expect(read(path)?.count == 20_000)
  }
}
