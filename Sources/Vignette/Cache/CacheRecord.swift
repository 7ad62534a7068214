// A compact binary form for the cache's index files that every build reads whole (the scan
// cache, the emit index): integers as variable-length numbers, strings with their length in
// front. Written by hand rather than with `JSONDecoder` or swift-protobuf: a no-op build of
// 2,500 posts spent 37% of its CPU decoding those files as JSON through Codable (`perf record
// -g`), and swift-protobuf would bring a code generator for a handful of flat records.
import Crypto
import Foundation

/// A value the cache stores in its binary index files.
protocol CacheRecord {
  init(from reader: inout CacheRecordReader) throws
  func write(to writer: inout CacheRecordWriter)
}

/// Appends values to a byte buffer.
struct CacheRecordWriter {
  /// What was written; for a writer made with `spill`, what was written since it last took
  /// the bytes.
  private(set) var bytes: [UInt8] = []
  /// Takes the buffer whenever it holds 64 KiB (and empties it): a file written as it is
  /// encoded (`CheckedRecordFile.write`) is never held whole.
  private let spill: ((inout [UInt8]) -> Void)?

  init() { spill = nil }

  init(spill: @escaping (inout [UInt8]) -> Void) { self.spill = spill }

  private mutating func spillIfFull() {
    if let spill, bytes.count >= 1 << 16 { spill(&bytes) }
  }

  /// Hands what is left to `spill`.
  mutating func flush() { spill?(&bytes) }

  mutating func int(_ value: Int) {
    // Zig-zag, then seven bits a byte, low bits first.
    var rest = UInt64(bitPattern: Int64((value << 1) ^ (value >> 63)))
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7F) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
    spillIfFull()
  }

  mutating func int64(_ value: Int64) { int(Int(value)) }

  mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

  mutating func string(_ value: String) {
    var value = value
    value.withUTF8 { utf8 in
      int(utf8.count)
      bytes.append(contentsOf: utf8)
    }
    spillIfFull()
  }

  /// Bytes with their count in front (a string's form, for bytes that need not be one).
  mutating func rawBytes(_ value: some Collection<UInt8>) {
    int(value.count)
    bytes.append(contentsOf: value)
    spillIfFull()
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
  mutating func raw(_ other: [UInt8]) {
    bytes += other
    spillIfFull()
  }
}

/// Reads values back in the order a `CacheRecordWriter` wrote them; any malformed or
/// truncated input throws `Damaged`, and the file is then treated as missing.
struct CacheRecordReader {
  struct Damaged: Error {}

  private let bytes: [UInt8]
  private var index = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// A reader of `bytes` from `offset` on (where a file's body starts, after its header).
  init(_ bytes: [UInt8], from offset: Int) {
    self.bytes = bytes
    index = offset
  }

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
    guard let bytes = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else { return nil }
    var header = CacheRecordReader(bytes)
    guard (try? header.string()) == magic, let checksum = try? header.string() else { return nil }
    // The body is read where it is in the file's bytes, not copied out (the scan index of a
    // large site is megabytes).
    guard bytes[header.offset...].withUnsafeBytes({ Checksum.sha256($0) }) == checksum else { return nil }
    var reader = CacheRecordReader(bytes, from: header.offset)
    guard (try? reader.string()) == context else { return nil }
    return reader
  }

  /// The records of the file at `path`, as `read` checks it, read a window at a time instead
  /// of whole (site mode's index has a record per page): the body is hashed in a first pass
  /// over the open file, then decoded in a second one. An atomic replacement of the file
  /// meanwhile does not reach what is open.
  static func stream(_ path: String, magic: String, context: String) -> RecordStream? {
    guard let stream = RecordStream(path: path) else { return nil }
    guard (try? stream.next({ try $0.string() })) == magic, let checksum = try? stream.next({ try $0.string() }),
      stream.hashRest() == checksum, (try? stream.next({ try $0.string() })) == context
    else { return nil }
    return stream
  }

  /// Writes the records `write` appends as the file at `path`, atomically, as they are
  /// encoded: a temporary file gets the body 64 KiB at a time while it is hashed, then the
  /// checksum goes into the room left for it in the header. When the file there already has
  /// these bytes (compared as they are written) it is left alone.
  static func write(
    _ path: String, magic: String, context: String, _ write: (inout CacheRecordWriter) throws -> Void
  ) throws {
    var header = CacheRecordWriter()
    header.string(magic)
    // A hex SHA-256 is 64 characters: the same length as the one written at the end.
    header.string(String(repeating: "0", count: 64))
    try FileSystem.replaceAtomically(path) { handle in
      try handle.write(contentsOf: header.bytes)
      let sink = BodySink(handle: handle, existing: path, headerSize: header.bytes.count)
      var body = CacheRecordWriter { sink.take(&$0) }
      body.string(context)
      try write(&body)
      body.flush()
      let checksum = try sink.finish()
      var final = CacheRecordWriter()
      final.string(magic)
      final.string(checksum)
      if sink.same && sink.existingHeader == final.bytes { return false }
      try handle.seek(toOffset: 0)
      try handle.write(contentsOf: final.bytes)
      return true
    }
  }

  /// Where `write` puts the body: the temporary file, the running checksum, and the
  /// comparison with the body of the file already there.
  private final class BodySink {
    let handle: FileHandle
    var digest = SHA256()
    var failure: (any Error)?
    let existing: FileHandle?
    /// The header of the file already there (as long as the new one).
    let existingHeader: [UInt8]
    /// Whether every byte so far is the existing file's.
    var same: Bool

    init(handle: FileHandle, existing path: String, headerSize: Int) {
      self.handle = handle
      existing = FileHandle(forReadingAtPath: path)
      existingHeader = (try? existing?.read(upToCount: headerSize)).flatMap { $0 }.map { [UInt8]($0) } ?? []
      same = existingHeader.count == headerSize
    }

    func take(_ bytes: inout [UInt8]) {
      guard failure == nil, !bytes.isEmpty else { return }
      digest.update(data: bytes)
      do {
        try handle.write(contentsOf: bytes)
      } catch {
        failure = error
      }
      if same, let existing {
        let old = (try? existing.read(upToCount: bytes.count)) ?? nil
        same = old.map { $0.elementsEqual(bytes) } ?? false
      }
      bytes.removeAll(keepingCapacity: true)
    }

    /// The hex checksum of the body; throws what writing it threw.
    func finish() throws -> String {
      if let failure { throw failure }
      if same, let existing { same = ((try? existing.read(upToCount: 1)) ?? nil)?.isEmpty ?? true }
      try? existing?.close()
      return Checksum.hex(digest.finalize())
    }
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

/// A checked record file read in windows of 64 KiB (`CheckedRecordFile.stream`).
final class RecordStream {
  private let descriptor: Int32
  private let size: Int
  /// The bytes from the file at `windowStart`, of which the first `position` are read.
  private var window: [UInt8] = []
  private var windowStart = 0
  private var position = 0

  init?(path: String) {
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    var info = stat()
    guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
      if descriptor >= 0 { close(descriptor) }
      return nil
    }
    size = Int(info.st_size)
  }

  deinit { close(descriptor) }

  var isAtEnd: Bool { windowStart + position == size }

  /// The next value, decoded by `decode`; a value the window cuts short is decoded again once
  /// the window has more. Throws `Damaged` for what does not decode from the whole rest.
  func next<T>(_ decode: (inout CacheRecordReader) throws -> T) throws -> T {
    while true {
      do {
        var reader = CacheRecordReader(window, from: position)
        let value = try decode(&reader)
        position = reader.offset
        return value
      } catch let error as CacheRecordReader.Damaged {
        guard windowStart + window.count < size else { throw error }
      }
      refill()
    }
  }

  /// Drops what was read and reads at least 64 KiB more (twice the window, for a value
  /// longer than it).
  private func refill() {
    window.removeFirst(position)
    windowStart += position
    position = 0
    let more = min(max(1 << 16, window.count), size - windowStart - window.count)
    let kept = window.count
    window += [UInt8](repeating: 0, count: more)
    let got = window.withUnsafeMutableBytes {
      read(into: UnsafeMutableRawBufferPointer(rebasing: $0[kept...]), at: windowStart + kept)
    }
    window.removeLast(more - got)
  }

  private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    FileSystem.read(descriptor, into: buffer, at: offset)
  }

  /// The hex SHA-256 of everything after what was read, the window kept where it is.
  func hashRest() -> String {
    var digest = SHA256()
    digest.update(data: window[position...])
    var offset = windowStart + window.count
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while offset < size {
      let got = chunk.withUnsafeMutableBytes { read(into: $0, at: offset) }
      guard got > 0 else { break }
      digest.update(data: chunk[..<got])
      offset += got
    }
    return Checksum.hex(digest.finalize())
  }
}
