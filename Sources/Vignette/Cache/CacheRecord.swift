// A compact binary form for the cache's index files that every build reads whole (the scan
// cache, the emit index): integers as variable-length numbers, strings with their length in
// front. Written by hand rather than with `JSONDecoder` or swift-protobuf: a no-op build of
// 2,500 posts spent 37% of its CPU decoding those files as JSON through Codable (`perf record
// -g`), and swift-protobuf would bring a code generator for a handful of flat records.
import Foundation

/// A value the cache stores in its binary index files.
protocol CacheRecord {
  init(from reader: inout CacheRecordReader) throws
  func write(to writer: inout CacheRecordWriter)
}

/// Appends values to a byte buffer.
struct CacheRecordWriter {
  private(set) var bytes: [UInt8] = []

  mutating func int(_ value: Int) {
    // Zig-zag, then seven bits a byte, low bits first.
    var rest = UInt64(bitPattern: Int64((value << 1) ^ (value >> 63)))
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7F) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  mutating func int64(_ value: Int64) { int(Int(value)) }

  mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

  mutating func string(_ value: String) {
    var value = value
    value.withUTF8 { utf8 in
      int(utf8.count)
      bytes.append(contentsOf: utf8)
    }
  }

  /// Bytes with their count in front (a string's form, for bytes that need not be one).
  mutating func rawBytes(_ value: some Collection<UInt8>) {
    int(value.count)
    bytes.append(contentsOf: value)
  }

  mutating func optional<T>(_ value: T?, _ write: (inout Self, T) -> Void) {
    bool(value != nil)
    if let value { write(&self, value) }
  }

  mutating func range(_ value: Range<Int>) {
    int(value.lowerBound)
    int(value.upperBound)
  }

  mutating func array<T>(_ values: [T], _ write: (inout Self, T) -> Void) {
    int(values.count)
    for value in values { write(&self, value) }
  }

  mutating func record(_ value: some CacheRecord) { value.write(to: &self) }

  /// What another writer wrote, as it wrote it (a record encoded once and kept).
  mutating func raw(_ other: [UInt8]) { bytes += other }
}

/// Reads values back in the order a `CacheRecordWriter` wrote them; any malformed or
/// truncated input throws `Damaged`, and the file is then treated as missing.
struct CacheRecordReader {
  struct Damaged: Error {}

  private let bytes: [UInt8]
  private var index = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var isAtEnd: Bool { index == bytes.count }
  /// How many bytes have been read.
  var offset: Int { index }
  /// How many bytes are left to read.
  var remaining: Int { bytes.count - index }

  mutating func int() throws -> Int {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard index < bytes.count, shift < 64 else { throw Damaged() }
      let byte = bytes[index]
      index += 1
      result |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { break }
      shift += 7
    }
    let value = Int64(bitPattern: result)
    return Int((value >> 1) ^ -(value & 1))
  }

  mutating func int64() throws -> Int64 { Int64(try int()) }

  mutating func bool() throws -> Bool {
    guard index < bytes.count, bytes[index] <= 1 else { throw Damaged() }
    index += 1
    return bytes[index - 1] == 1
  }

  mutating func string() throws -> String {
    let count = try int()
    guard count >= 0, count <= bytes.count - index else { throw Damaged() }
    defer { index += count }
    return String(decoding: bytes[index..<(index + count)], as: UTF8.self)
  }

  /// Bytes written by `CacheRecordWriter.rawBytes`, handed to `body` without a copy.
  mutating func rawBytes(_ body: (ArraySlice<UInt8>) -> Void) throws {
    let count = try int()
    guard count >= 0, count <= bytes.count - index else { throw Damaged() }
    body(bytes[index..<(index + count)])
    index += count
  }

  mutating func optional<T>(_ read: (inout Self) throws -> T) throws -> T? {
    try bool() ? try read(&self) : nil
  }

  mutating func range() throws -> Range<Int> {
    let lower = try int()
    let upper = try int()
    guard lower <= upper else { throw Damaged() }
    return lower..<upper
  }

  mutating func array<T>(_ read: (inout Self) throws -> T) throws -> [T] {
    let count = try int()
    // Every element takes at least one byte.
    guard count >= 0, count <= bytes.count - index else { throw Damaged() }
    var values: [T] = []
    values.reserveCapacity(count)
    for _ in 0..<count { values.append(try read(&self)) }
    return values
  }

  mutating func record<T: CacheRecord>(_ type: T.Type = T.self) throws -> T { try T(from: &self) }

  /// A case of `T` by its raw value.
  mutating func rawValue<T: RawRepresentable>(_ type: T.Type = T.self) throws -> T where T.RawValue == String {
    guard let value = T(rawValue: try string()) else { throw Damaged() }
    return value
  }
}

/// A cache file in the binary form: its format, the SHA-256 of the rest (so that damage which
/// still parses is never taken for records), then the context it was made in and its records.
enum CheckedRecordFile {
  /// A reader over the records of the file at `path`, when it is of format `magic`, intact
  /// and made in `context`; nil when it is missing, damaged or another's.
  static func read(_ path: String, magic: String, context: String) -> CacheRecordReader? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let bytes = [UInt8](data)
    var header = CacheRecordReader(bytes)
    guard (try? header.string()) == magic, let checksum = try? header.string() else { return nil }
    let body = Array(bytes[header.offset...])
    guard body.withUnsafeBytes({ Checksum.sha256($0) }) == checksum else { return nil }
    var reader = CacheRecordReader(body)
    guard (try? reader.string()) == context else { return nil }
    return reader
  }

  /// Writes the records `write` appends as the file at `path`, atomically.
  static func write(
    _ path: String, magic: String, context: String, _ write: (inout CacheRecordWriter) throws -> Void
  ) throws {
    var body = CacheRecordWriter()
    body.string(context)
    try write(&body)
    var file = CacheRecordWriter()
    file.string(magic)
    file.string(body.bytes.withUnsafeBytes { Checksum.sha256($0) })
    _ = try FileSystem.writeAtomically(Data(file.bytes + body.bytes), to: path)
  }
}

extension FullStamp: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    self.init(
      size: try reader.int64(), modified: try reader.int64(), changed: try reader.int64(),
      inode: UInt64(bitPattern: try reader.int64()), device: UInt64(bitPattern: try reader.int64()))
  }

  func write(to writer: inout CacheRecordWriter) {
    writer.int64(size)
    writer.int64(modified)
    writer.int64(changed)
    writer.int64(Int64(bitPattern: inode))
    writer.int64(Int64(bitPattern: device))
  }
}

extension FileStamp: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    self.init(size: try reader.int64(), modified: try reader.int64())
  }

  func write(to writer: inout CacheRecordWriter) {
    writer.int64(size)
    writer.int64(modified)
  }
}

extension Diagnostic: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    let severity: Severity = try reader.rawValue()
    let file = try reader.string()
    let line = try reader.int()
    let column = try reader.int()
    self.init(severity, file: file, line: line, column: column, try reader.string())
  }

  func write(to writer: inout CacheRecordWriter) {
    writer.string(severity.rawValue)
    writer.string(file)
    writer.int(line)
    writer.int(column)
    writer.string(message)
  }
}

extension Shortcode: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    name = try reader.string()
    notation = try reader.bool() ? .markdown : .standard
    range = try reader.range()
    nameOffset = try reader.int()
    parameters = try reader.array { reader in
      let name = try reader.optional { try $0.string() }
      let value = try reader.string()
      let valueRange = try reader.range()
      let quoting: Quoting
      switch try reader.int() {
      case 0: quoting = .none
      case 1: quoting = .double
      case 2: quoting = .raw
      default: throw CacheRecordReader.Damaged()
      }
      return Parameter(name: name, value: value, valueRange: valueRange, quoting: quoting)
    }
    isClosing = try reader.bool()
    isSelfClosing = try reader.bool()
  }

  func write(to writer: inout CacheRecordWriter) {
    writer.string(name)
    writer.bool(notation == .markdown)
    writer.range(range)
    writer.int(nameOffset)
    writer.array(parameters) { writer, parameter in
      writer.optional(parameter.name) { $0.string($1) }
      writer.string(parameter.value)
      writer.range(parameter.valueRange)
      let quoting =
        switch parameter.quoting {
        case .none: 0
        case .double: 1
        case .raw: 2
        }
      writer.int(quoting)
    }
    writer.bool(isClosing)
    writer.bool(isSelfClosing)
  }
}

extension Reference: CacheRecord {
  init(from reader: inout CacheRecordReader) throws {
    kind = try reader.rawValue()
    offset = try reader.int()
    line = try reader.int()
    column = try reader.int()
    target = try reader.string()
    targetRange = try reader.optional { try $0.range() }
    shortcode = try reader.optional { try $0.record(Shortcode.self) }
    key = try reader.optional { try $0.string() }
  }

  func write(to writer: inout CacheRecordWriter) {
    writer.string(kind.rawValue)
    writer.int(offset)
    writer.int(line)
    writer.int(column)
    writer.string(target)
    writer.optional(targetRange) { $0.range($1) }
    writer.optional(shortcode) { $0.record($1) }
    writer.optional(key) { $0.string($1) }
  }
}
