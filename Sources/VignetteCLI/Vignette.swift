import ArgumentParser
import Foundation
import Vignette

@main
struct VignetteCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vignette",
    abstract: "Responsive images and private YouTube facades for Hugo-style markdown blogs.",
    subcommands: [Build.self, Watch.self, Check.self, GC.self],
    defaultSubcommand: Build.self)

  /// Runs the command line, mapping ArgumentParser's usage errors (EX_USAGE, 64) onto the
  /// documented exit status 2 for bad usage.
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      let code = exitCode(for: error)
      if code.rawValue == 64 {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      exit(withError: error)
    }
  }
}

/// Flags every command shares.
struct CommonOptions: ParsableArguments {
  @Option(name: .long, help: "The pipeline config.")
  var config = "pipeline.json"

  @Option(
    name: .long,
    help: "Site mode: rewrite this generator output folder (e.g. public) in place, after the generator ran.")
  var site: String?

  @Option(
    name: .customLong("base-url"),
    help: "Site mode: where the site is served (e.g. https://example.com/blog/); default: each page's canonical link.")
  var baseURL: String?

  @Option(name: .long, help: "Images processed at once (default: number of cores).")
  var jobs: Int?

  @Option(name: .customLong("vips-threads"), help: "libvips threads per image (default: 1).")
  var vipsThreads: Int?

  @Option(name: .customLong("avif-jobs"), help: "AVIF encodes at once, at most (default: number of cores).")
  var avifJobs: Int?

  @Option(
    name: .customLong("avif-memory"),
    help: "Megabytes of AVIF encoder memory in flight at once, predicted per picture (default: 360).")
  var avifMemory: Int?

  @Flag(name: .long, help: "Use only the lockfile and the cache for YouTube metadata.")
  var offline = false

  @Flag(name: .long, help: "Treat warnings as errors.")
  var strict = false

  @Flag(name: .long, help: "Print one machine-readable JSON report on standard output.")
  var json = false

  @Flag(name: [.short, .long], help: "Print errors only.")
  var quiet = false

  func buildOptions(checkOnly: Bool) throws -> BuildOptions {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    if let vipsThreads, vipsThreads < 1 { throw ValidationError("--vips-threads must be at least 1") }
    if let avifJobs, avifJobs < 1 { throw ValidationError("--avif-jobs must be at least 1") }
    if let avifMemory, avifMemory < 0 { throw ValidationError("--avif-memory must not be negative") }
    var options = BuildOptions(configPath: config)
    options.jobs = jobs
    options.vipsThreads = vipsThreads
    options.avifJobs = avifJobs
    options.avifMemory = avifMemory
    options.offline = offline ? true : nil
    options.checkOnly = checkOnly
    options.site = site
    options.baseURL = baseURL
    return options
  }
}

/// The remote cache's flags (build and watch). The auth header comes from the environment.
struct RemoteCacheOptions: ParsableArguments {
  @Option(
    name: .customLong("remote-cache"),
    help: ArgumentHelp(
      "HTTP cache in the Bazel remote-cache layout, behind the local cache (overrides remoteCache.url).",
      discussion: "A header for it (such as authorization) is read from VIGNETTE_REMOTE_CACHE_HEADER as 'Name: value'.",
      valueName: "url"))
  var url: String?

  @Flag(name: .customLong("remote-cache-read-only"), help: "Download from the remote cache, never upload.")
  var readOnly = false

  func apply(to options: inout BuildOptions) throws {
    if let url {
      if let problem = RemoteCacheSettings.problem(url: url) { throw ValidationError("--remote-cache \(problem)") }
      options.remoteCache = RemoteCacheSettings(url: url, readOnly: readOnly)
    }
    options.remoteCacheReadOnly = readOnly
    options.remoteCacheHeader = ProcessInfo.processInfo.environment["VIGNETTE_REMOTE_CACHE_HEADER"]
  }
}

extension VignetteCommand {
  struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build everything that changed.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var remote: RemoteCacheOptions

    @Option(
      help: ArgumentHelp(
        "Render only shard K of N (by content hash) and publish it to the remote cache; writes no output.",
        valueName: "K/N"))
    var shard: String?

    @Flag(name: .customLong("gc"), help: "Then remove local cache entries the site no longer uses.")
    var collectGarbage = false

    func run() async throws {
      var options = try common.buildOptions(checkOnly: false)
      try remote.apply(to: &options)
      if let shard {
        switch Shard.parse(shard) {
        case .success(let parsed): options.shard = parsed
        case .failure(let error): throw ValidationError("--shard \(error)")
        }
      }
      options.collectGarbage = collectGarbage
      try await Console(common: common).run(options)
    }
  }

  struct GC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "gc",
      abstract: "Remove local cache entries the current site no longer uses, and report what was freed.")
    @OptionGroup var common: CommonOptions

    func run() async throws {
      var options = try common.buildOptions(checkOnly: false)
      options.collectGarbage = true
      options.collectOnly = true
      try await Console(common: common).run(options)
    }
  }

  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Verify references, images and that output/ is up to date, writing nothing.")
    @OptionGroup var common: CommonOptions

    @Flag(
      name: .customLong("skip-output"),
      help: "Verify references and images only; do not compare output/ (for CI that does not commit it).")
    var skipOutput = false

    func run() async throws {
      var console = Console(common: common)
      console.compareOutput = !skipOutput
      try await console.run(try common.buildOptions(checkOnly: true))
    }
  }
}
