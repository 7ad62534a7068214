import Foundation
import Synchronization
import Vignette

#if canImport(Glibc)
  import Glibc
#endif

/// Where output goes and how it may look: colour and a live progress bar only on a terminal
/// (and colour only without `NO_COLOR`), GitHub Actions annotations under `GITHUB_ACTIONS`.
struct Terminal: Sendable {
  var isTTY: Bool
  var color: Bool
  var githubActions: Bool

  static var current: Terminal {
    let environment = ProcessInfo.processInfo.environment
    let tty = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
    return Terminal(
      isTTY: tty, color: tty && (environment["NO_COLOR"] ?? "").isEmpty,
      githubActions: environment["GITHUB_ACTIONS"] == "true")
  }

  /// Columns of the terminal on standard error (80 when unknown).
  static var columns: Int {
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
  }

  static func error(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
  static func output(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

  /// `FILE:LINE:COL: error: message`, with the location bold and the severity coloured.
  func format(_ diagnostic: Diagnostic) -> String {
    format(diagnostic.severity, at: "\(diagnostic.file):\(diagnostic.line):\(diagnostic.column)", diagnostic.message)
  }

  func format(_ severity: Diagnostic.Severity, at location: String, _ message: String) -> String {
    guard color else { return "\(location): \(severity.rawValue): \(message)" }
    let tint = severity == .error ? "\u{1B}[1;31m" : "\u{1B}[1;35m"
    return "\u{1B}[1m\(location):\u{1B}[0m \(tint)\(severity.rawValue):\u{1B}[0m \(message)"
  }

  /// A GitHub Actions workflow command that shows `diagnostic` on the file and line.
  static func annotation(_ diagnostic: Diagnostic) -> String {
    "::\(diagnostic.severity.rawValue) file=\(escapeProperty(diagnostic.file)),line=\(diagnostic.line),col=\(diagnostic.column)::\(escapeData(diagnostic.message))"
  }

  /// A workflow command for a problem that belongs to no source line.
  static func annotation(_ severity: Diagnostic.Severity, _ message: String) -> String {
    "::\(severity.rawValue)::\(escapeData(message))"
  }

  // The escaping GitHub's runner undoes (actions/toolkit `command.ts`).
  static func escapeData(_ text: String) -> String {
    text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  static func escapeProperty(_ text: String) -> String {
    escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
  }
}

/// Follows a build's progress events: draws a progress bar on a terminal, prints one line
/// per stage elsewhere (or nothing when quiet), and times each stage for the JSON report.
final class BuildProgress: Sendable {
  enum Style { case bar, lines, silent }

  private let style: Style
  private let clock = ContinuousClock()

  /// The stage running, the seconds of each stage so far, and whether a bar is drawn.
  private struct State {
    var stage: (name: String, started: ContinuousClock.Instant)?
    var timings: [String: Double] = [:]
    var drawn = false
  }

  private let state = Mutex(State())

  init(style: Style) { self.style = style }

  /// Seconds spent in each stage so far.
  var stageSeconds: [String: Double] { state.withLock { $0.timings } }

  func update(_ event: BuildOptions.Progress) {
    state.withLock { state in
      switch event {
      case .stage(let name):
        closeStage(&state)
        state.stage = (name, clock.now)
        switch style {
        case .bar: draw("\(name)…", &state)
        case .lines: Terminal.error("vignette: \(name)")
        case .silent: break
        }
      case .image(let done, let total, let file):
        guard style == .bar, let stage = state.stage else { return }
        let seconds = Self.seconds(clock.now - stage.started)
        let rate = seconds > 0 ? String(format: "%.1f/s", Double(done) / seconds) : ""
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        draw("render \(bar) \(done)/\(total) images \(done > 0 ? rate : "")  \(file)", &state)
      }
    }
  }

  /// Ends the last stage and clears the bar, before the summary is printed.
  func finish() {
    state.withLock { state in
      closeStage(&state)
      state.stage = nil
      if state.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      state.drawn = false
    }
  }

  /// Ends the build: the seconds per stage, and a clean slate for the next build.
  func takeStageSeconds() -> [String: Double] {
    finish()
    return state.withLock { state in
      defer { state.timings = [:] }
      return state.timings
    }
  }

  private func closeStage(_ state: inout State) {
    if let stage = state.stage { state.timings[stage.name, default: 0] += Self.seconds(clock.now - stage.started) }
  }

  private func draw(_ line: String, _ state: inout State) {
    let columns = max(20, Terminal.columns - 1)
    let text = line.count > columns ? String(line.prefix(columns - 1)) + "…" : line
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    state.drawn = true
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}
