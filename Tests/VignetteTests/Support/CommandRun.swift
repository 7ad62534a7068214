import Foundation

/// The built `vignette` executable running in the background (watch mode), its output
/// collected as it comes; `GITHUB_ACTIONS` and `GITHUB_WORKSPACE` are cleared unless the test
/// sets them.
final class CommandRun: @unchecked Sendable {
  let process = Process()
  private let lock = NSLock()
  private var out = Data()
  private var err = Data()
  private var closed = 0

  /// Starts `vignette arguments…` in `folder` with `environment` added to the test's own.
  init(_ arguments: [String], in folder: String, environment: [String: String] = [:]) throws {
    process.executableURL = URL(fileURLWithPath: CLI.binary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var merged = ProcessInfo.processInfo.environment
    merged["GITHUB_ACTIONS"] = nil
    merged["GITHUB_WORKSPACE"] = nil
    merged.merge(environment) { $1 }
    process.environment = merged
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    for (pipe, isOutput) in [(stdout, true), (stderr, false)] {
      Thread { [self] in
        while case let data = pipe.fileHandleForReading.availableData, !data.isEmpty {
          lock.withLock { if isOutput { out.append(data) } else { err.append(data) } }
        }
        lock.withLock { closed += 1 }
      }.start()
    }
    try process.run()
  }

  var standardOutput: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
  var standardError: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

  /// Waits for the process to end (it must, within the deadline) and returns its status.
  func finish() async -> Int32? {
    guard await eventually({ !process.isRunning && lock.withLock { closed == 2 } }) else {
      process.terminate()
      return nil
    }
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// Runs `vignette arguments…` to the end.
  static func run(_ arguments: [String], in folder: String, environment: [String: String] = [:]) async throws
    -> (status: Int32?, out: String, err: String)
  {
    let run = try CommandRun(arguments, in: folder, environment: environment)
    let status = await run.finish()
    return (status, run.standardOutput, run.standardError)
  }
}
