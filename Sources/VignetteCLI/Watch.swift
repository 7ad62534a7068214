import ArgumentParser
import Dispatch
import Foundation
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
      let progress = console.progress()
      let firstBuild = FirstBuild()
      let timer = BuildProgress(style: .silent)
      options.progress = { event in
        if firstBuild.running { progress.update(event) }
        timer.update(event)
      }
      let session: WatchSession
      do {
        session = try WatchSession(options: options)
      } catch let error as ConfigError {
        Terminal.error("\(error)")
        throw ExitCode(2)
      }
      session.quiet = .milliseconds(debounce)
      let signals = Signals { session.stop() }
      let log = WatchLog(
        console: console, progress: progress, timer: timer, firstBuild: firstBuild, roots: session.watchedRoots)
      await session.run { log.record($0) }
      withExtendedLifetime(signals) {}
      throw ExitCode(130)
    }
  }
}

/// Whether the first build is still running (progress is shown for it alone).
final class FirstBuild: @unchecked Sendable {
  private let lock = NSLock()
  private var value = true
  var running: Bool {
    get { lock.withLock { value } }
    set { lock.withLock { value = newValue } }
  }
}

/// SIGINT and SIGTERM: the first asks the session to stop after its current build; a second
/// one quits at once (every write is atomic, so the output folder holds whole files).
final class Signals: @unchecked Sendable {
  private var sources: [DispatchSourceSignal] = []
  private let lock = NSLock()
  private var count = 0

  init(stop: @escaping @Sendable () -> Void) {
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { [weak self] in
        guard let self else { return }
        let first = lock.withLock {
          count += 1
          return count == 1
        }
        if first {
          stop()
        } else {
          _exit(130)
        }
      }
      source.resume()
      sources.append(source)
    }
  }

  deinit { for source in sources { source.cancel() } }
}

/// Prints what watch mode does: the first build like `build`, then one line per rebuild and
/// only the diagnostics that are new since the previous build.
final class WatchLog: @unchecked Sendable {
  let console: Console
  let progress: BuildProgress
  let firstBuild: FirstBuild
  let roots: [String]
  /// Times the stages of every build, for `--json`.
  let timer: BuildProgress
  private var previous = Set<Diagnostic>()
  private let time: DateFormatter = {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    return formatter
  }()

  init(console: Console, progress: BuildProgress, timer: BuildProgress, firstBuild: FirstBuild, roots: [String]) {
    self.timer = timer
    self.console = console
    self.progress = progress
    self.firstBuild = firstBuild
    self.roots = roots
  }

  var quiet: Bool { console.common.quiet || console.common.json }

  func record(_ event: WatchSession.Event) {
    let first = firstBuild.running
    if first {
      progress.finish()
      firstBuild.running = false
    }
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
      previous = current
      guard !quiet else { break }
      if first {
        Terminal.output(console.summary(report, checkOnly: false))
        Terminal.error("vignette: watching \(roots.joined(separator: ", ")) (Ctrl-C to stop)")
      } else {
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
