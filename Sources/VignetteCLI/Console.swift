import ArgumentParser
import Foundation
import Vignette

/// Runs a build and reports it: diagnostics on standard error, a summary (or a JSON report)
/// on standard output, and the documented exit status.
struct Console {
  let common: CommonOptions

  func run(_ options: BuildOptions) async throws {
    var options = options
    let quiet = common.quiet || common.json
    if !quiet {
      options.progress = { event in
        if case .stage(let name) = event { FileHandle.standardError.write(Data("vignette: \(name)\n".utf8)) }
      }
    }
    let report: BuildReport
    do {
      report = try await Pipeline.run(options)
    } catch let error as ConfigError {
      FileHandle.standardError.write(Data("\(error)\n".utf8))
      throw ExitCode(2)
    }
    var diagnostics = report.diagnostics
    if common.strict {
      diagnostics = diagnostics.map { var d = $0; d.severity = .error; return d }
    }
    for diagnostic in diagnostics where !(common.quiet && diagnostic.severity == .warning) {
      FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
    }
    if options.checkOnly {
      for difference in report.differences {
        FileHandle.standardError.write(Data("\(common.config): error: \(difference)\n".utf8))
      }
    }
    if common.json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      var out = try encoder.encode(report)
      out.append(0x0A)
      FileHandle.standardOutput.write(out)
    } else if !common.quiet {
      print(summary(report, checkOnly: options.checkOnly))
    }
    if diagnostics.hasErrors || (options.checkOnly && !report.differences.isEmpty) {
      throw ExitCode(1)
    }
  }

  func summary(_ r: BuildReport, checkOnly: Bool) -> String {
    let bytes = ByteCountFormatter()
    bytes.countStyle = .file
    let work =
      r.rendered == 0
      ? "nothing to encode (\(r.reused) image\(r.reused == 1 ? "" : "s") reused from the cache)"
      : "\(r.rendered) image\(r.rendered == 1 ? "" : "s") rendered, \(r.reused) reused"
    var line = "\(checkOnly ? "Checked" : "Built") \(r.posts) post\(r.posts == 1 ? "" : "s"), \(r.references) references, \(r.images) images, \(r.videos) videos: \(work); \(r.variants) variants (\(bytes.string(fromByteCount: r.bytesOut)) from \(bytes.string(fromByteCount: r.bytesIn)))"
    if !checkOnly { line += "; \(r.written) files written, \(r.removed) removed" }
    line += String(format: " in %.2fs", r.seconds)
    if r.errors + r.warnings > 0 { line += "; \(r.errors) error\(r.errors == 1 ? "" : "s"), \(r.warnings) warning\(r.warnings == 1 ? "" : "s")" }
    return line
  }
}
