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

/// Runs `work` on a new thread of its own and waits for it: for timed steps that must not
/// depend on when Swift's cooperative pool gets round to resuming a task.
func onOwnThread(_ work: @escaping @Sendable () throws -> Void) async throws {
  try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
    Thread { continuation.resume(with: Result { try work() }) }.start()
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
