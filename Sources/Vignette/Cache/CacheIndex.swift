import Foundation
import Synchronization

/// Records by key kept in one file of the cache folder (the emit index, the scan cache), in
/// the binary form of `CacheRecord`: loaded whole when made, written whole and atomically by
/// `save` when something changed. The file carries a context: a file made in another context
/// (other settings, another Vignette binary) loads empty, as does a missing or damaged one.
/// Each entry's bytes and the keys' order are kept from one `save` to the next, so an index
/// kept across builds (watch mode) encodes again only the entries that changed.
final class CacheIndex<Entry: CacheRecord & Sendable & Equatable>: Sendable {
  /// The first bytes of the file: its format and version.
  private static var magic: String { "vignette-index-2" }

  private let path: String
  private let context: String
  private struct State {
    var entries: [String: Entry]
    var changed = false
    /// The bytes of entries as last saved, by key.
    var encoded: [String: [UInt8]] = [:]
    /// The keys in order as last saved; nil once a key was added or removed.
    var order: [String]?
  }

  private let state: Mutex<State>

  init(path: String, context: String) {
    self.path = path
    self.context = context
    let entries = FileManager.default.contents(atPath: path).flatMap { try? Self.decode(Array($0), context: context) }
    state = Mutex(State(entries: entries ?? [:]))
  }

  /// The entries of `bytes`; nil when they were made in another context. The file is its
  /// format, the SHA-256 of the rest (so that damage which still parses is not taken for
  /// entries), then the context and the entries.
  private static func decode(_ bytes: [UInt8], context: String) throws -> [String: Entry]? {
    var header = CacheRecordReader(bytes)
    guard try header.string() == magic else { return nil }
    let checksum = try header.string()
    let body = Array(bytes[header.offset...])
    guard body.withUnsafeBytes({ Checksum.sha256($0) }) == checksum else { throw CacheRecordReader.Damaged() }
    var reader = CacheRecordReader(body)
    guard try reader.string() == context else { return nil }
    let count = try reader.int()
    var entries: [String: Entry] = [:]
    entries.reserveCapacity(max(0, min(count, bytes.count)))
    for _ in 0..<max(0, count) {
      let key = try reader.string()
      entries[key] = try reader.record(Entry.self)
    }
    guard reader.isAtEnd else { throw CacheRecordReader.Damaged() }
    return entries
  }

  subscript(key: String) -> Entry? { state.withLock { $0.entries[key] } }

  /// Records `entry` for `key` (forgets the key when nil).
  func set(_ key: String, _ entry: Entry?) {
    state.withLock { state in
      let old = state.entries[key]
      guard old != entry else { return }
      if (old == nil) != (entry == nil) { state.order = nil }
      state.entries[key] = entry
      state.encoded[key] = nil
      state.changed = true
    }
  }

  /// Drops the entries whose keys are not in `keys` (documents deleted or renamed).
  func retain(_ keys: Set<String>) {
    state.withLock { state in
      guard state.entries.keys.contains(where: { !keys.contains($0) }) else { return }
      state.entries = state.entries.filter { keys.contains($0.key) }
      state.encoded = state.encoded.filter { keys.contains($0.key) }
      state.order = nil
      state.changed = true
    }
  }

  /// Writes the file when it changed since it was loaded or last saved.
  func save() throws {
    try state.withLock { state in
      guard state.changed else { return }
      var body = CacheRecordWriter()
      body.string(context)
      body.int(state.entries.count)
      let order = state.order ?? state.entries.keys.sorted()
      state.order = order
      for key in order {
        body.string(key)
        if let bytes = state.encoded[key] {
          body.raw(bytes)
        } else if let entry = state.entries[key] {
          var record = CacheRecordWriter()
          record.record(entry)
          body.raw(record.bytes)
          state.encoded[key] = record.bytes
        }
      }
      var file = CacheRecordWriter()
      file.string(Self.magic)
      file.string(body.bytes.withUnsafeBytes { Checksum.sha256($0) })
      try FileSystem.writeAtomically(Data(file.bytes + body.bytes), to: path)
      state.changed = false
    }
  }
}
