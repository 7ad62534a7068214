// Records a build keeps on disk rather than in memory, read back by position: site mode's
// summary of every page between the scan and the emit stage, and what the emit stage wrote for
// each page, so that what the build holds does not grow with the number of pages. Written by
// hand on `pread`/`pwrite` of an unlinked temporary file: Foundation's `FileHandle` keeps one
// shared offset (reads from several threads at once would need a lock around seek and read),
// and none of the listed packages keeps records on disk.
import Foundation
import Synchronization

/// An append-only store of records (`CacheRecordWriter`'s form), each read back by the
/// position `append` gave it, from any thread. Its file is unlinked as soon as it is made, so
/// nothing is left behind whatever happens to the build; where no file can be made (a
/// read-only disk) or a write fails (a full disk), it keeps what is left in memory and goes on.
final class Spool: Sendable {
  private let descriptor: Int32
  private let state: Mutex<State>

  private struct State {
    /// Bytes not yet written to the file, which start at `written`.
    var pending: [UInt8] = []
    var written = 0
    /// Set when the file cannot be written: from then on everything stays in `pending`.
    var inMemory: Bool
  }

  /// A spool whose file goes into `folder` when it exists (the cache folder: on the disk of
  /// the site, and never made for this, since `check` writes nothing), else into the system's
  /// temporary folder.
  convenience init(folder: String) { self.init(folders: [folder, NSTemporaryDirectory()]) }

  /// A spool whose file goes into the first of `folders` where one can be made; in memory
  /// when there is none.
  init(folders: [String]) {
    var descriptor: Int32 = -1
    for place in folders where descriptor < 0 {
      var template = Array((place.hasSuffix("/") ? place : place + "/").utf8CString.dropLast())
      template += Array(".vignette-spool-XXXXXX".utf8CString)
      descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
      if descriptor >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
    }
    self.descriptor = descriptor
    state = Mutex(State(inMemory: descriptor < 0))
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  /// Appends the record `write` encodes and returns its position.
  func append(_ write: (inout CacheRecordWriter) -> Void) -> Int {
    var writer = CacheRecordWriter()
    write(&writer)
    let body = writer.bytes
    return state.withLock { state in
      let position = state.written + state.pending.count
      var length = UInt32(body.count).littleEndian
      withUnsafeBytes(of: &length) { state.pending.append(contentsOf: $0) }
      state.pending.append(contentsOf: body)
      if !state.inMemory && state.pending.count >= 1 << 16 { flush(&state) }
      return position
    }
  }

  private func flush(_ state: inout State) {
    let done = state.pending.withUnsafeBytes { bytes in
      var done = 0
      while done < bytes.count {
        let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(state.written + done))
        if count <= 0 { break }
        done += count
      }
      return done
    }
    guard done == state.pending.count else {
      // Disk full or gone: what did not reach the file stays in memory, and so does the rest.
      state.pending.removeFirst(done)
      state.written += done
      state.inMemory = true
      return
    }
    state.written += done
    state.pending.removeAll(keepingCapacity: true)
  }

  /// Decodes the record at `position` with `read`.
  func read<T>(at position: Int, _ read: (inout CacheRecordReader) throws -> T) -> T {
    let bytes = record(at: position)
    var reader = CacheRecordReader(bytes)
    do {
      return try read(&reader)
    } catch {
      fatalError("a record of the build's spool does not decode: \(error)")
    }
  }

  /// The bytes of the record at `position`. The stages read the records nearly in the order
  /// they were appended, so a read takes 64 KiB from there and the next reads are served from
  /// that window without a system call.
  private func record(at position: Int) -> [UInt8] {
    if let hit = window.withLock({ Self.record(in: $0.bytes, at: position - $0.start) }) { return hit }
    let end = state.withLock { $0.written + $0.pending.count }
    let block = bytes(position..<min(position + (1 << 16), end))
    if let record = Self.record(in: block, at: 0) {
      window.withLock { $0 = (position, block) }
      return record
    }
    // Longer than the window.
    precondition(block.count >= 4, "no record of the spool there")
    return bytes(position + 4..<position + 4 + Self.length(in: block, at: 0))
  }

  /// The bytes the spool read last, from `start`: what was appended is never changed, so they
  /// stay true.
  private let window = Mutex<(start: Int, bytes: [UInt8])>((0, []))

  /// The record at `offset` of `bytes`, when they hold it whole.
  private static func record(in bytes: [UInt8], at offset: Int) -> [UInt8]? {
    guard offset >= 0, offset + 4 <= bytes.count else { return nil }
    let length = length(in: bytes, at: offset)
    guard offset + 4 + length <= bytes.count else { return nil }
    return Array(bytes[offset + 4..<offset + 4 + length])
  }

  private static func length(in bytes: [UInt8], at offset: Int) -> Int {
    bytes[offset..<offset + 4].withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
  }

  /// The bytes in `range`: from the file as far as it was written, the rest from memory.
  private func bytes(_ range: Range<Int>) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: range.count)
    let written = state.withLock { state in
      let start = max(range.lowerBound, state.written)
      if start < range.upperBound {
        let inMemory = start..<range.upperBound
        precondition(inMemory.upperBound <= state.written + state.pending.count, "no record of the spool there")
        result.replaceSubrange(
          (inMemory.lowerBound - range.lowerBound)..<range.count,
          with: state.pending[(inMemory.lowerBound - state.written)..<(inMemory.upperBound - state.written)])
      }
      return state.written
    }
    // What reached the file is never written again.
    if range.lowerBound < written {
      let onDisk = range.lowerBound..<min(range.upperBound, written)
      let got = result.withUnsafeMutableBytes { buffer in
        FileSystem.read(
          descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<onDisk.count]), at: onDisk.lowerBound)
      }
      precondition(got == onDisk.count, "the build's spool cannot be read back")
    }
    return result
  }
}
