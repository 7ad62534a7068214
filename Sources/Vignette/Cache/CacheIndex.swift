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
    let entries = CheckedRecordFile.read(path, magic: Self.magic, context: context).flatMap {
      var reader = $0
      return try? Self.decode(&reader)
    }
    state = Mutex(State(entries: entries ?? [:]))
  }

  /// The entries a `CheckedRecordFile` holds after its context.
  private static func decode(_ reader: inout CacheRecordReader) throws -> [String: Entry] {
    let count = try reader.int()
    var entries: [String: Entry] = [:]
    entries.reserveCapacity(max(0, min(count, reader.remaining)))
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
  func retain(_ keys: Set<String>) { retain { keys.contains($0) } }

  /// Drops the entries whose key `keep` refuses.
  func retain(where keep: (String) -> Bool) {
    state.withLock { state in
      guard state.entries.keys.contains(where: { !keep($0) }) else { return }
      state.entries = state.entries.filter { keep($0.key) }
      state.encoded = state.encoded.filter { keep($0.key) }
      state.order = nil
      state.changed = true
    }
  }

  /// Writes the file when it changed since it was loaded or last saved.
  func save() throws {
    try state.withLock { state in
      guard state.changed else { return }
      try CheckedRecordFile.write(path, magic: Self.magic, context: context) { body in
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
      }
      state.changed = false
    }
  }
}
