import ArgumentParser
import Foundation
import Vignette

/// Runs a build and reports it: diagnostics on standard error, a summary (or a JSON report)
/// on standard output, and the documented exit status.
struct Console {
  let common: CommonOptions
  var terminal = Terminal.current
  /// Whether `check` reports differences between output/ and what a build would write.
  var compareOutput = true

  init(common: CommonOptions) { self.common = common }

  /// The progress display for a build: a bar on a terminal, stage lines elsewhere.
  func progress() -> BuildProgress {
    BuildProgress(style: common.quiet || common.json ? .silent : terminal.isTTY ? .bar : .lines)
  }

  func run(_ options: BuildOptions) async throws {
    var options = options
    let progress = progress()
    options.progress = { progress.update($0) }
    let report: BuildReport
    do {
      report = try await Pipeline.run(options)
    } catch let error as ConfigError {
      progress.finish()
      Terminal.error("\(error)")
      throw ExitCode(2)
    }
    progress.finish()
    let command = options.checkOnly ? "check" : options.collectOnly ? "gc" : "build"
    let status = self.report(report, command: command, stages: progress.stageSeconds)
    if status != 0 { throw ExitCode(status) }
  }

  /// `report` with `--strict` applied: every warning an error.
  func applyingStrict(_ report: BuildReport) -> BuildReport {
    guard common.strict else { return report }
    var report = report
    report.diagnostics = report.diagnostics.map {
      var d = $0
      d.severity = .error
      return d
    }
    return report
  }

  /// Prints the diagnostics, annotations and summary (or JSON) of a finished build or check,
  /// and returns the exit status: 1 for errors or, in check mode, any difference.
  func report(_ report: BuildReport, command: String, stages: [String: Double]) -> Int32 {
    let checkOnly = command == "check"
    var report = applyingStrict(report)
    if !(checkOnly && compareOutput) { report.differences = [] }
    // Each difference is an error at its output file, naming the post, page or image it is
    // made from, and counted with the other errors.
    let differences = report.differences
    let fix = report.pages != nil ? "`vignette build --site`" : "`vignette build`"
    report.diagnostics = (report.diagnostics + differences.map { $0.diagnostic(fix: fix) }).normalized
    show(report.diagnostics)
    if !differences.isEmpty && !common.quiet {
      Terminal.error(
        "vignette: \(differences.count) difference\(differences.count == 1 ? "" : "s"); "
          + (report.pages != nil
            ? "`vignette build --site` would make these changes" : "`vignette build` brings output/ up to date")
      )
    }
    let status: Int32 = report.diagnostics.hasErrors || !differences.isEmpty ? 1 : 0
    if common.json {
      Terminal.output(json(JSONReport(command: command, status: status, report: report, stageSeconds: stages)))
    } else if !common.quiet {
      Terminal.output(command == "gc" ? collected(report) : summary(report, checkOnly: checkOnly))
    }
    return status
  }

  /// Diagnostics on standard error (warnings only without `--quiet`), and as annotations
  /// under GitHub Actions.
  func show(_ diagnostics: [Diagnostic]) {
    for diagnostic in diagnostics where !(common.quiet && diagnostic.severity == .warning) {
      Terminal.error(terminal.format(diagnostic))
    }
    if terminal.githubActions {
      for diagnostic in diagnostics {
        var located = diagnostic
        located.file = workspacePath(diagnostic.file)
        annotate(Terminal.annotation(located))
      }
    }
  }

  /// A diagnostic's file as GitHub knows it: relative to the workspace (the repository)
  /// rather than to the folder of the config, which may be a subfolder.
  func workspacePath(_ file: String) -> String {
    let folder = (FileSystem.canonical(common.config) as NSString).deletingLastPathComponent
    let environment = ProcessInfo.processInfo.environment
    let workspace = FileSystem.canonical(environment["GITHUB_WORKSPACE"] ?? FileManager.default.currentDirectoryPath)
    return FileSystem.relative(file.hasPrefix("/") ? file : folder + "/" + file, to: workspace)
  }

  /// Workflow commands go to standard output, unless that is reserved for the JSON report.
  private func annotate(_ line: String) {
    if common.json { Terminal.error(line) } else { Terminal.output(line) }
  }

  func json(_ value: some Encodable, pretty: Bool = true) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
      pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
  }

  func summary(_ r: BuildReport, checkOnly: Bool) -> String {
    let bytes = ByteCountFormatter()
    bytes.countStyle = .file
    let work =
      r.rendered == 0
      ? "nothing to encode (\(r.reused) image\(r.reused == 1 ? "" : "s") reused from the cache)"
      : "\(r.rendered) image\(r.rendered == 1 ? "" : "s") rendered, \(r.reused) reused"
    let what =
      r.pages.map { pages in
        "\(pages) page\(pages == 1 ? "" : "s"), \(r.references) references (\(r.remote ?? 0) remote left as written)"
      } ?? "\(r.posts) post\(r.posts == 1 ? "" : "s"), \(r.references) references"
    var line =
      "\(checkOnly ? "Checked" : "Built") \(what), \(r.images) images, \(r.videos) videos: \(work); \(r.variants) variants (\(bytes.string(fromByteCount: r.bytesOut)) from \(bytes.string(fromByteCount: r.bytesIn)))"
    if r.downloaded > 0 {
      line += "; \(r.downloaded) from the remote cache (\(bytes.string(fromByteCount: r.bytesDownloaded)))"
    }
    if r.uploaded > 0 {
      line += "; \(r.uploaded) published to the remote cache (\(bytes.string(fromByteCount: r.bytesUploaded)))"
    }
    if r.onRemote > 0 { line += "; \(r.onRemote) already in the remote cache" }
    if let shard = r.shard {
      line = "Shard \(shard): " + line + "; \(r.otherShards) left to the other shards; no output written"
    } else if !checkOnly {
      line += "; \(r.written) files written, \(r.removed) removed"
      if r.upToDate == true { line += " (up to date: every file as the last build left it)" }
    }
    if let removed = r.gcRemovedFiles, let freed = r.gcFreedBytes {
      line += "; gc freed \(bytes.string(fromByteCount: freed)) (\(removed) cache files)"
    }
    line += String(format: " in %.2fs", r.seconds)
    if r.errors + r.warnings > 0 {
      line += "; \(r.errors) error\(r.errors == 1 ? "" : "s"), \(r.warnings) warning\(r.warnings == 1 ? "" : "s")"
    }
    return line
  }
}

extension Console {
  /// The summary of `vignette gc`.
  func collected(_ r: BuildReport) -> String {
    let bytes = ByteCountFormatter()
    bytes.countStyle = .file
    let removed = r.gcRemovedFiles ?? 0
    let kept = r.gcKeptFiles ?? 0
    var line =
      "Collected the cache: removed \(removed) file\(removed == 1 ? "" : "s") (\(bytes.string(fromByteCount: r.gcFreedBytes ?? 0)) freed), kept \(kept) (\(bytes.string(fromByteCount: r.gcKeptBytes ?? 0))) for \(r.images) images of \(r.posts) posts"
    line += String(format: " in %.2fs", r.seconds)
    if r.errors + r.warnings > 0 {
      line += "; \(r.errors) error\(r.errors == 1 ? "" : "s"), \(r.warnings) warning\(r.warnings == 1 ? "" : "s")"
    }
    return line
  }
}

/// The `--json` report: every field of `BuildReport` at the top level, plus the command, the
/// exit status, error and warning counts, and seconds spent in each stage.
struct JSONReport: Encodable {
  var command: String
  var status: Int32
  var report: BuildReport
  var stageSeconds: [String: Double]
  /// For watch mode: the paths whose change started this build.
  var changes: [String]?

  enum CodingKeys: String, CodingKey { case command, status, errors, warnings, stageSeconds, changes }

  func encode(to encoder: Encoder) throws {
    try report.encode(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(command, forKey: .command)
    try container.encode(status, forKey: .status)
    try container.encode(report.errors, forKey: .errors)
    try container.encode(report.warnings, forKey: .warnings)
    try container.encode(stageSeconds, forKey: .stageSeconds)
    try container.encodeIfPresent(changes, forKey: .changes)
  }
}
