import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import Vignette

#if canImport(Glibc)
  import Glibc
#endif

extension VignetteCommand {
  struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Build, then rebuild whenever a post or an image changes, until interrupted.",
      discussion: """
        Ctrl-C or SIGTERM stops after the build in progress (a second one quits at once) with \
        exit status 130. With --json, one report per build is printed as a line of JSON.
        """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var remote: RemoteCacheOptions

    @Option(help: "Milliseconds without changes before a rebuild starts.")
    var debounce = 30

    func run() async throws {
      guard debounce >= 0 else { throw ValidationError("--debounce must not be negative") }
      let console = Console(common: common)
      var options = try common.buildOptions(checkOnly: false)
      try remote.apply(to: &options)
      let log = WatchLog(console: console, progress: console.progress(), timer: BuildProgress(style: .silent))
      options.progress = { log.update($0) }
      let session: WatchSession
      do {
        session = try WatchSession(options: options)
      } catch let error as ConfigError {
        Terminal.error("\(error)")
        throw ExitCode(2)
      }
      session.quiet = .milliseconds(debounce)
      let signals = Signals { session.stop() }
      log.watching(session.watchedRoots)
      await session.run { log.record($0) }
      withExtendedLifetime(signals) {}
      throw ExitCode(130)
    }
  }
}

/// SIGINT and SIGTERM: the first asks the session to stop after its current build; a second
/// one quits at once (every write is atomic, so the output folder holds whole files).
///
/// `@unchecked Sendable` only because corelibs-libdispatch does not mark its signal sources
/// `Sendable`: they are made in `init`, never changed, and cancelled in `deinit`; the count of
/// signals is in a `Mutex`.
final class Signals: @unchecked Sendable {
  private let sources: [any DispatchSourceSignal]
  private let count = Mutex(0)

  init(stop: @escaping @Sendable () -> Void) {
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      sources.append(DispatchSource.makeSignalSource(signal: number, queue: .global()))
    }
    self.sources = sources
    for source in sources {
      source.setEventHandler { [weak self] in
        guard let self else { return }
        let first = count.withLock {
          $0 += 1
          return $0 == 1
        }
        if first {
          stop()
        } else {
          _exit(130)
        }
      }
      source.resume()
    }
  }

  deinit { for source in sources { source.cancel() } }
}

/// Prints what watch mode does: the first build like `build`, then one line per rebuild and
/// only the diagnostics that are new since the previous build.
final class WatchLog: Sendable {
  let console: Console
  let progress: BuildProgress
  /// Times the stages of every build, for `--json`.
  let timer: BuildProgress

  /// Whether the first build is still running (progress is shown for it alone), the folders
  /// watched, and the diagnostics of the previous build.
  private struct State {
    var firstBuild = true
    var roots: [String] = []
    var previous = Set<Diagnostic>()
  }

  private let state = Mutex(State())

  init(console: Console, progress: BuildProgress, timer: BuildProgress) {
    self.timer = timer
    self.console = console
    self.progress = progress
  }

  /// The folders the session watches, for the line printed after the first build.
  func watching(_ roots: [String]) { state.withLock { $0.roots = roots } }

  /// A progress event of a build: shown for the first, timed for all.
  func update(_ event: BuildOptions.Progress) {
    if state.withLock({ $0.firstBuild }) { progress.update(event) }
    timer.update(event)
  }

  var quiet: Bool { console.common.quiet || console.common.json }

  func record(_ event: WatchSession.Event) {
    let (first, roots, previous) = state.withLock { state in
      defer { state.firstBuild = false }
      return (state.firstBuild, state.roots, state.previous)
    }
    if first { progress.finish() }
    let stages = timer.takeStageSeconds()
    switch event {
    case .failed(let message, let changes):
      // A config error already reads `pipeline.json: error: …`.
      Terminal.error(
        message.contains(": error: ")
          ? message : console.terminal.format(.error, at: "vignette", "build failed\(describe(changes)): \(message)"))
      if !quiet { Terminal.error("vignette: still watching; the last good build is in place") }
    case .built(let report, let changes):
      let report = console.applyingStrict(report)
      if console.common.json {
        var line = JSONReport(command: "watch", status: report.errors > 0 ? 1 : 0, report: report, stageSeconds: stages)
        line.changes = changes
        Terminal.output(console.json(line, pretty: false))
      }
      let current = Set(report.diagnostics)
      console.show(report.diagnostics.filter { !previous.contains($0) })
      let fixed = previous.subtracting(current).count
      state.withLock { $0.previous = current }
      guard !quiet else { break }
      if first {
        Terminal.output(console.summary(report, checkOnly: false))
        Terminal.error("vignette: watching \(roots.joined(separator: ", ")) (Ctrl-C to stop)")
      } else {
        let time = DateFormatter()
        time.dateFormat = "HH:mm:ss"
        var line =
          "\(time.string(from: Date()))\(describe(changes)): \(report.written) file\(report.written == 1 ? "" : "s") written, \(report.removed) removed"
        if report.rendered > 0 { line += ", \(report.rendered) image\(report.rendered == 1 ? "" : "s") rendered" }
        line += String(format: " in %.0f ms", report.seconds * 1000)
        if fixed > 0 { line += "; \(fixed) problem\(fixed == 1 ? "" : "s") fixed" }
        if report.errors + report.warnings > 0 {
          line +=
            "; \(report.errors) error\(report.errors == 1 ? "" : "s"), \(report.warnings) warning\(report.warnings == 1 ? "" : "s")"
        }
        Terminal.output(line)
      }
    }
  }

  private func describe(_ changes: [String]) -> String {
    switch changes.count {
    case 0: ""
    case 1: " \(changes[0]) changed"
    default: " \(changes[0]) and \(changes.count - 1) more changed"
    }
  }
}
