import Foundation

/// Polls `condition` until it holds or a generous deadline passes: for effects another
/// thread or process produces (watch mode). Never a timing assertion, only a bound on waiting.
func eventually(within deadline: Duration = .seconds(60), _ condition: () throws -> Bool) async rethrows -> Bool {
  let clock = ContinuousClock()
  let end = clock.now + deadline
  while clock.now < end {
    if try condition() { return true }
    try? await Task.sleep(for: .milliseconds(10))
  }
  return try condition()
}

/// Runs `work` on a new thread of its own and waits for it, without holding a thread of
/// Swift's cooperative pool meanwhile. For timed steps that must not depend on when the pool
/// gets round to resuming a task, and for work that blocks or keeps a core busy (waiting for
/// a child process, drawing or decoding pictures): the pool has only as many threads as the
/// machine has cores, and every build and watch session of the other tests runs on it.
@discardableResult
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
    let thread = Thread { continuation.resume(with: Result { try work() }) }
    thread.stackSize = 8 << 20
    thread.start()
  }
}

extension TestSite {
  /// Saves `text` the way most editors do: a temporary file beside it, renamed over it.
  func save(_ relative: String, _ text: String) throws {
    let temporary = path(relative) + ".vignette-test~"
    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path(relative)) == 0 else { throw CocoaError(.fileWriteUnknown) }
  }

  /// Rewrites `relative` in place: truncated, then written (how some editors and `>` save).
  func overwrite(_ relative: String, _ text: String) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path(relative)))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
  }

  func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: path(relative)) }

  func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

  /// A small post that shows `images` (paths under /images/) as figures.
  static func post(_ title: String, images: [String] = [], extra: String = "") -> String {
    "---\ntitle: \(title)\n---\n\n# \(title)\n\n"
      + images.map { "{{< figure src=\"/images/\($0)\" alt=\"\($0)\" >}}\n\n" }.joined() + extra
  }
}
