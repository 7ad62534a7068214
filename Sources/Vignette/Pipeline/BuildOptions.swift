import Foundation

/// How a build runs. The CLI maps its flags onto this; tests set it directly.
public struct BuildOptions: Sendable {
  public var configPath = "pipeline.json"
  /// Images rendered at once (each on its own render thread). Default: the number of cores.
  public var jobs: Int?
  /// libvips worker threads per image. Default: 1, since `jobs` already fills the cores.
  public var vipsThreads: Int?
  /// AVIF encodes at once, at most (see `AVIFGate`). Default: the number of cores.
  public var avifJobs: Int?
  /// Megabytes of predicted AVIF encoder memory in flight at once (see `AVIFGate`). Default 360.
  public var avifMemory: Int?
  /// Overrides `youtube.offline`.
  public var offline: Bool?
  /// Check mode: verify and compare, write nothing.
  public var checkOnly = false
  /// Site mode (`--site DIR`): rewrite a generator's output folder in place. Overrides the
  /// config's `site`; relative to the current folder.
  public var site: String?
  /// Site mode: overrides the config's `baseURL`.
  public var baseURL: String?
  /// Timeouts, retries and caps for YouTube requests; tests shorten them.
  var network = NetworkLimits()
  /// Overrides `remoteCache` (`--remote-cache URL`, `--remote-cache-read-only`).
  public var remoteCache: RemoteCacheSettings?
  /// Forces read-only on whichever remote cache is configured (`--remote-cache-read-only`).
  public var remoteCacheReadOnly = false
  /// The `Name: value` header sent to the remote cache; the CLI reads it from
  /// `VIGNETTE_REMOTE_CACHE_HEADER`, never from the config file.
  public var remoteCacheHeader: String?
  /// Timeouts and caps for the remote cache; tests shorten them.
  var remoteLimits = NetworkLimits.remoteCache
  /// Render only this shard's sources, publish them to the remote cache, write no output.
  public var shard: Shard?
  /// After the build, remove local cache entries the site no longer uses (`--gc`).
  public var collectGarbage = false
  /// `vignette gc`: plan the site and collect the cache; render nothing, write no output.
  public var collectOnly = false
  /// Answer a build from the build snapshot when every file is as the last build left it
  /// (`BuildSnapshot`), and take one after it. Watch mode does neither (a change brought it).
  var usesSnapshot = true
  /// Called with progress as images finish.
  public var progress: (@Sendable (Progress) -> Void)?

  public init(configPath: String = "pipeline.json") { self.configPath = configPath }

  /// A progress event.
  public enum Progress: Sendable {
    case stage(String)
    case image(done: Int, total: Int, file: String)
  }
}

/// What a build did, for the summary line and `--json`.
public struct BuildReport: Sendable, Codable {
  public var diagnostics: [Diagnostic] = []
  public var posts = 0
  public var references = 0
  public var images = 0
  /// Sources decoded and encoded in this run.
  public var rendered = 0
  /// Sources whose variants came from the cache.
  public var reused = 0
  public var variants = 0
  public var videos = 0
  /// Output files written, and stale ones removed.
  public var written = 0
  /// Documents whose outputs were made again; the others were unchanged since the build
  /// that wrote them and were neither rendered nor compared.
  public var documentsWritten = 0
  /// Documents parsed in this run; the others were unchanged since the scan kept in the
  /// cache (or watch mode's memo) and were not parsed again.
  public var documentsParsed = 0
  public var removed = 0
  /// Bytes of the sources, and of the variants made from them.
  public var bytesIn: Int64 = 0
  public var bytesOut: Int64 = 0
  public var seconds = 0.0
  /// Answered by the build snapshot: every file the last build read and wrote was as it left
  /// them, so nothing was read, scanned or compared (the counts are that build's).
  public var upToDate: Bool?
  /// Site mode: pages read, and remote images left as written.
  public var pages: Int?
  public var remote: Int?
  /// In check mode: output files that differ from what a build would write, each with what
  /// it is made from.
  public var differences: [OutputDifference] = []
  /// Sources whose renders came from the remote cache, and renders published to it.
  public var downloaded = 0
  /// Shards: sources the remote cache already held, neither downloaded nor rendered.
  public var onRemote = 0
  public var uploaded = 0
  /// Bytes received from and sent to the remote cache.
  public var bytesDownloaded: Int64 = 0
  public var bytesUploaded: Int64 = 0
  /// `--shard K/N`: this build's shard, and the sources it left to the other shards.
  public var shard: String?
  public var otherShards = 0
  /// `gc`, `build --gc`: cache files removed and bytes freed, cache files and bytes kept.
  public var gcRemovedFiles: Int?
  public var gcFreedBytes: Int64?
  public var gcKeptFiles: Int?
  public var gcKeptBytes: Int64?

  public var errors: Int { diagnostics.filter { $0.severity == .error }.count }
  public var warnings: Int { diagnostics.filter { $0.severity == .warning }.count }
}
