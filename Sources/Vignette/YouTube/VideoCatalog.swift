import Foundation
import Vips

/// One place a post embeds a video, for diagnostics that name the post and line.
struct VideoEmbed: Sendable, Hashable {
  var id: String
  var file: String
  var line: Int
  var column: Int
  /// The post the page was made from (site mode), named in diagnostics.
  var madeFrom: String? = nil

  /// A diagnostic at this embed.
  func diagnostic(_ severity: Diagnostic.Severity, _ message: String) -> Diagnostic {
    Diagnostic(severity, file: file, line: line, column: column, message).madeFrom(madeFrom)
  }
}

/// The "videos" stage: for every embedded video, metadata and a poster from the lockfile and
/// the cache when they have them, otherwise from the network (unless offline). Each video is
/// looked up once however many posts embed it; failures become diagnostics and a facade
/// that still works (title and link), never a failed build.
struct VideoCatalog {
  var settings: YouTubeSettings
  /// Absolute path of `vignette.lock.json`, and how to show it.
  var lockfilePath: String
  var lockfileDisplay: String
  /// Where posters are kept (`<cache>/posters`).
  var posterFolder: String
  /// Use only the lockfile and the cache.
  var offline: Bool
  /// Why the run is offline, for the one message that says so.
  var offlineReason = "offline"
  var limits = NetworkLimits()

  struct Outcome {
    var videos: [String: Video] = [:]
    /// The poster file of each video that has one.
    var posters: [String: String] = [:]
    /// Where each video is first embedded, for later diagnostics about it.
    var firstEmbeds: [String: VideoEmbed] = [:]
    var lockfile = VideoLockfile()
    /// Whether `lockfile` should be written (it differs from the file and may replace it).
    var lockfileChanged = false
    var diagnostics: [Diagnostic] = []
    /// Every video came from the lockfile and the cache, as the next build's would: nothing
    /// looked up on the network or missed because it could not be reached (offline, what they
    /// lack stays missing), so a build snapshot can stand for this.
    var settled = true
  }

  /// What became of one video.
  private struct Lookup: Sendable {
    var id: String
    var entry: VideoLockfile.Entry?
    var posterFile: String?
    var unavailable = false
    /// A failure that names this video's embeds.
    var problem: String?
    /// Videos left without a poster because the network was unreachable or we are offline.
    var missedPoster = false
    /// Taken from the lockfile and the cache alone (offline: also when they lack it).
    var fromLockfile = false
    var warnings: [String] = []
  }

  func resolve(_ embeds: [VideoEmbed]) async -> Outcome {
    var outcome = Outcome()
    var lockfileReadable = true
    do {
      outcome.lockfile = try VideoLockfile.load(path: lockfilePath, display: lockfileDisplay)
    } catch {
      outcome.diagnostics.append(Diagnostic(.error, file: error.file, error.message))
      lockfileReadable = false
    }
    let locked = outcome.lockfile
    let places = Dictionary(
      grouping: embeds.sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }, by: \.id)
    let ids = places.keys.sorted()
    guard !ids.isEmpty || !locked.videos.isEmpty else { return outcome }

    let client = OEmbedClient(settings: settings, limits: limits)
    defer { client.shutdown() }
    var results: [String: Lookup] = [:]
    await withTaskGroup(of: Lookup.self) { group in
      var iterator = ids.makeIterator()
      func submit() {
        guard let id = iterator.next() else { return }
        group.addTask { await lookUp(id, entry: locked.videos[id], client: client) }
      }
      for _ in 0..<max(1, limits.concurrency) { submit() }
      while let result = await group.next() {
        results[result.id] = result
        submit()
      }
    }

    var missed: [String] = []
    var unknown: [String] = []
    var updated = VideoLockfile()
    for id in ids {
      let result = results[id]!
      let first = places[id]!.first!
      for embed in places[id]! {
        if let problem = result.problem {
          outcome.diagnostics.append(
            embed.diagnostic(.warning, "video \(id): \(problem)"))
        }
      }
      for warning in result.warnings {
        outcome.diagnostics.append(
          first.diagnostic(.warning, "video \(id): \(warning)"))
      }
      if result.missedPoster { missed.append(id) }
      if !result.fromLockfile { outcome.settled = false }
      if result.missedPoster && result.entry == nil { unknown.append(id) }
      if let entry = result.entry { updated.videos[id] = entry }
      var video = Video(
        id: id, title: result.entry?.title, author: result.entry?.author, authorURL: result.entry?.authorURL)
      video.posterURL = result.entry?.poster?.url
      video.unavailable = result.unavailable
      outcome.videos[id] = video
      if let file = result.posterFile { outcome.posters[id] = file }
      outcome.firstEmbeds[id] = first
    }

    // Network trouble is said once, at the first embed it affects, for the videos the
    // lockfile knows; each video it does not know is an error at its own first embed.
    let why =
      offline
      ? "\(offlineReason): only \(lockfileDisplay) and the cache are used"
      : "cannot reach YouTube (\(client.unreachableReason ?? "no answer"))"
    let known = missed.filter { !unknown.contains($0) }
    if let first = known.compactMap({ places[$0]?.first }).min(by: { ($0.file, $0.line) < ($1.file, $1.line) }) {
      let names = known.map { id in outcome.videos[id]?.title.map { "\(id) (\"\($0)\")" } ?? id }
      outcome.diagnostics.append(
        first.diagnostic(
          .warning,
          "\(why)\(offline ? ", and the cache has" : ";") no poster for \(names.joined(separator: ", ")); shown with the title only"
        ))
    }
    for id in unknown {
      let embed = places[id]!.first!
      outcome.diagnostics.append(
        embed.diagnostic(
          .error,
          "video \(id) is not in \(lockfileDisplay) (\(why)); shown without title or poster; build once with network access to record it"
        ))
    }

    // Offline runs and unreadable lockfiles never rewrite the lockfile; entries for videos no
    // post embeds any more are dropped.
    if !offline && lockfileReadable && updated != locked {
      outcome.lockfile = updated
      outcome.lockfileChanged = true
    }
    return outcome
  }

  /// One video: the lockfile and cache first, the network only for what they lack.
  private func lookUp(_ id: String, entry: VideoLockfile.Entry?, client: OEmbedClient) async -> Lookup {
    var result = Lookup(id: id, entry: entry)
    if let status = entry?.unavailable {
      // Recorded as refused: the same link and warning as the build that recorded it.
      result.unavailable = true
      result.problem = Self.unavailableProblem(status)
      result.fromLockfile = true
      return result
    }
    if let poster = entry?.poster { result.posterFile = cachedPoster(id: id, poster) }
    let complete = entry?.origin == .oembed && (entry?.poster == nil || result.posterFile != nil)
    if complete {
      result.fromLockfile = true
      return result
    }
    if offline {
      // What the lockfile and cache lack stays missing until a build goes online, which
      // is another context for a build snapshot.
      result.missedPoster = true
      result.fromLockfile = true
      return result
    }
    do throws(OEmbedClient.Failure) {
      if let entry, entry.origin == .oembed, let locked = entry.poster {
        // Metadata is locked; only the poster is missing from this cache.
        try await fetchLockedPoster(id, locked: locked, result: &result, client: client)
        return result
      }
      let metadata = try await client.metadata(id: id)
      var fresh = VideoLockfile.Entry(
        title: metadata.title, author: metadata.author, authorURL: metadata.authorURL, origin: .oembed)
      do throws(OEmbedClient.Failure) {
        let poster = try await client.poster(id: id, folder: posterFolder)
        fresh.poster = VideoLockfile.Poster(
          url: poster.url, sha256: poster.sha256, width: poster.width, height: poster.height)
        result.posterFile = poster.file
      } catch {
        guard case .refused(let reason) = error else { throw error }
        result.warnings.append("\(reason); shown with its title only")
      }
      result.entry = fresh
    } catch {
      switch error {
      case .unavailable(let status):
        result.unavailable = true
        result.problem = Self.unavailableProblem(status)
        // Locked, so an offline rebuild (CI) shows the same link with the same warning.
        result.entry = VideoLockfile.Entry(
          title: entry?.title, author: entry?.author, authorURL: entry?.authorURL, origin: .oembed,
          unavailable: status)
      case .refused(let reason):
        result.problem =
          "\(reason); \(entry?.title != nil ? "using \(lockfileDisplay)" : "shown without title or poster")"
      case .unreachable:
        result.missedPoster = result.posterFile == nil
      }
    }
    return result
  }

  static func unavailableProblem(_ status: Int) -> String {
    "\(OEmbedClient.Failure.unavailable(status: status)); shown as a link to YouTube"
  }

  /// Downloads the poster the lockfile names; a changed picture is accepted and reported.
  private func fetchLockedPoster(
    _ id: String, locked: VideoLockfile.Poster, result: inout Lookup, client: OEmbedClient
  ) async throws(OEmbedClient.Failure) {
    switch try await client.poster(url: locked.url, id: id, folder: posterFolder) {
    case .success(let poster):
      result.posterFile = poster.file
      if poster.sha256 != locked.sha256 {
        result.entry?.poster = VideoLockfile.Poster(
          url: poster.url, sha256: poster.sha256, width: poster.width, height: poster.height)
        result.warnings.append(
          "the thumbnail at \(locked.url) changed since \(lockfileDisplay) was written; the lockfile now records the new one"
        )
      }
    case .failure(let rejection):
      result.warnings.append(
        "the locked thumbnail \(locked.url) is no longer usable (\(rejection)); shown with its title only")
    }
  }

  /// The locked poster's file when the cache has it with the right bytes.
  private func cachedPoster(id: String, _ poster: VideoLockfile.Poster) -> String? {
    let file = OEmbedClient.posterFile(folder: posterFolder, id: id, sha256: poster.sha256)
    guard let data = FileManager.default.contents(atPath: file), Checksum.sha256(data) == poster.sha256 else {
      return nil
    }
    return file
  }
}
