import Foundation
import Synchronization

/// Records by key kept in one JSON file of the cache folder (the emit index, the scan cache):
/// loaded whole when made, written whole and atomically by `save` when something changed.
/// The file carries a context: a file made in another context (other settings, another
/// Vignette binary) loads empty, as does a missing or damaged one.
final class CacheIndex<Entry: Codable & Sendable & Equatable>: Sendable {
  private struct Stored: Codable {
    var context: String
    var entries: [String: Entry]
  }

  private let path: String
  private let context: String
  private let state: Mutex<(entries: [String: Entry], changed: Bool)>

  init(path: String, context: String) {
    self.path = path
    self.context = context
    let stored = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Stored.self, from: $0) }
    state = Mutex((stored?.context == context ? stored?.entries ?? [:] : [:], false))
  }

  subscript(key: String) -> Entry? { state.withLock { $0.entries[key] } }

  /// Records `entry` for `key` (forgets the key when nil).
  func set(_ key: String, _ entry: Entry?) {
    state.withLock { state in
      guard state.entries[key] != entry else { return }
      state.entries[key] = entry
      state.changed = true
    }
  }

  /// Drops the entries whose keys are not in `keys` (documents deleted or renamed).
  func retain(_ keys: Set<String>) {
    state.withLock { state in
      let before = state.entries.count
      state.entries = state.entries.filter { keys.contains($0.key) }
      if state.entries.count != before { state.changed = true }
    }
  }

  /// Writes the file when it changed since it was loaded or last saved.
  func save() throws {
    try state.withLock { state in
      guard state.changed else { return }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try FileSystem.writeAtomically(encoder.encode(Stored(context: context, entries: state.entries)), to: path)
      state.changed = false
    }
  }
}
