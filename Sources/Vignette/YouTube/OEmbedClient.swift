import Foundation
import Synchronization
import Vips

/// Fetches a video's oEmbed metadata and its best thumbnail from the configured endpoints,
/// with bounded retries. Once the network proves unreachable, every later call fails at
/// once with the same reason, so a build without internet says so once and goes on quickly.
final class OEmbedClient: Sendable {
  let settings: YouTubeSettings
  let limits: NetworkLimits
  /// Made at the first request: a build that asks nothing (offline, or every video in the
  /// lockfile and cache) never sets up a URL session.
  private let session = Mutex<HTTPClient?>(nil)
  /// Why the network is down (once it proved so), and the requests made.
  private let state = Mutex<(down: String?, requests: Int)>((nil, 0))

  /// Thumbnail names tried in order, best first.
  static let posterNames = ["maxresdefault", "sddefault", "hqdefault"]

  /// The oEmbed fields Vignette keeps, already cleaned.
  struct Metadata: Sendable, Equatable {
    var title: String
    var author: String?
    var authorURL: String?
  }

  /// A thumbnail that passed every check, saved in the cache.
  struct Poster: Sendable, Equatable {
    var url: String
    var sha256: String
    var width: Int
    var height: Int
    var file: String
  }

  /// Why there is no metadata or poster.
  enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400, 401, 403 or 404: removed, private, or embedding turned off.
    case unavailable(status: Int)
    /// The answer could not be used: not JSON, malformed, too large, or an error status
    /// that persisted through the retries.
    case refused(String)
    /// The network or the host cannot be reached; nothing more is tried this run.
    case unreachable(String)

    var description: String {
      switch self {
      case .unavailable(let status):
        "YouTube answers \(status) \(HTTPURLResponseStatus.text(status)) (the video is private, removed, or does not allow embedding)"
      case .refused(let reason): reason
      case .unreachable(let reason): reason
      }
    }
  }

  init(settings: YouTubeSettings, limits: NetworkLimits) {
    self.settings = settings
    self.limits = limits
  }

  private var http: HTTPClient {
    session.withLock { client in
      if let client { return client }
      let made = HTTPClient(limits: limits)
      client = made
      return made
    }
  }

  func shutdown() { session.withLock { $0?.shutdown() } }

  /// Requests sent so far (each attempt counts).
  var requestCount: Int { state.withLock { $0.requests } }

  /// Why the network was given up on, if it was.
  var unreachableReason: String? { state.withLock { $0.down } }

  /// `oembed?url=https://www.youtube.com/watch?v=ID&format=json`, decoded and checked.
  func metadata(id: String) async throws(Failure) -> Metadata {
    guard var components = URLComponents(string: settings.oembed) else { throw .refused("youtube.oembed is not a URL") }
    components.queryItems =
      (components.queryItems ?? []) + [
        URLQueryItem(name: "url", value: "https://www.youtube.com/watch?v=\(id)"),
        URLQueryItem(name: "format", value: "json"),
      ]
    guard let url = components.url else { throw .refused("youtube.oembed is not a URL") }
    let response = try await fetch(url, limit: limits.maxMetadataBytes)
    switch response.status {
    case 200: break
    case 400, 401, 403, 404: throw .unavailable(status: response.status)
    default: throw .refused("oEmbed answers HTTP \(response.status)")
    }
    return try Self.decodeMetadata(response)
  }

  /// The best thumbnail: `maxresdefault`, then `sddefault`, then `hqdefault`. YouTube
  /// answers a missing size with a 404 whose body is a valid 120×90 JPEG, so a candidate
  /// counts only with status 200 and a JPEG header that libvips reads at another size.
  func poster(id: String, folder: String) async throws(Failure) -> Poster {
    var rejected: [String] = []
    for name in Self.posterNames {
      let url =
        "\(settings.thumbnails.hasSuffix("/") ? String(settings.thumbnails.dropLast()) : settings.thumbnails)/\(id)/\(name).jpg"
      do throws(Failure) {
        switch try await poster(url: url, id: id, folder: folder) {
        case .success(let poster): return poster
        case .failure(let reason): rejected.append("\(name): \(reason)")
        }
      } catch {
        guard case .refused(let reason) = error else { throw error }
        rejected.append("\(name): \(reason)")
      }
    }
    throw .refused("no usable thumbnail (\(rejected.joined(separator: "; ")))")
  }

  /// One thumbnail URL, judged and stored as `<folder>/<id>.<hash>.jpg`.
  func poster(url: String, id: String, folder: String) async throws(Failure) -> Result<Poster, PosterRejection> {
    guard let address = URL(string: url) else { throw .refused("\(url) is not a URL") }
    let response = try await fetch(address, limit: limits.maxPosterBytes)
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw .refused("cannot create \(folder): \(error.localizedDescription)")
    }
    let temporary = folder + "/.\(id).\(UUID().uuidString.prefix(8)).tmp"
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    guard FileManager.default.createFile(atPath: temporary, contents: response.body) else {
      throw .refused("cannot write \(temporary)")
    }
    // libvips, so off the cooperative pool.
    let header = try? await RenderWorkers.runDetached { try ImageHeader(path: temporary) }
    if let rejection = PosterRejection(status: response.status, header: header) { return .failure(rejection) }
    let hash = Checksum.sha256(response.body)
    let file = Self.posterFile(folder: folder, id: id, sha256: hash)
    guard rename(temporary, file) == 0 else { throw .refused("cannot store the poster at \(file)") }
    return .success(Poster(url: url, sha256: hash, width: header!.width, height: header!.height, file: file))
  }

  /// Where the poster with this hash lives in the cache.
  static func posterFile(folder: String, id: String, sha256: String) -> String {
    "\(folder)/\(id).\(sha256.prefix(16)).jpg"
  }

  /// Why a thumbnail answer is not a poster.
  enum PosterRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case status(Int, placeholder: Bool)
    case notJPEG
    case placeholder

    init?(status: Int, header: ImageHeader?) {
      let isPlaceholder = header.map { $0.width == 120 && $0.height == 90 } ?? false
      if status != 200 {
        self = .status(status, placeholder: isPlaceholder)
      } else if let header, header.loader.hasPrefix("jpegload") {
        if isPlaceholder { self = .placeholder } else { return nil }
      } else {
        self = .notJPEG
      }
    }

    var description: String {
      switch self {
      case .status(let status, let placeholder): "HTTP \(status)\(placeholder ? " with the 120×90 placeholder" : "")"
      case .notJPEG: "not a JPEG"
      case .placeholder: "the 120×90 placeholder"
      }
    }
  }

  /// Parses an oEmbed answer. Strings are stripped of control characters and trimmed; an
  /// author URL is kept only when it is http or https, since it may end up in an `href`.
  static func decodeMetadata(_ response: HTTPResponse) throws(Failure) -> Metadata {
    if let type = response.headers["content-type"]?.lowercased(), type.contains("html") {
      throw .refused("oEmbed answered with an HTML page, not JSON (YouTube does this when it rate-limits)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: response.body), let fields = object as? [String: Any]
    else {
      throw .refused("oEmbed answered with something that is not a JSON object")
    }
    guard let rawTitle = fields["title"] as? String, let title = clean(rawTitle) else {
      throw .refused("oEmbed answer has no title")
    }
    let author = (fields["author_name"] as? String).flatMap(clean)
    var authorURL = (fields["author_url"] as? String).flatMap(clean)
    if let url = authorURL, !(url.hasPrefix("https://") || url.hasPrefix("http://")) || URL(string: url) == nil {
      authorURL = nil
    }
    return Metadata(title: title, author: author, authorURL: authorURL)
  }

  /// Text from the network made safe to store: no control characters, trimmed, at most
  /// 300 characters; nil when nothing is left.
  static func clean(_ text: String) -> String? {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars where scalar.properties.generalCategory != .control || scalar == " " {
      scalars.append(scalar)
    }
    let trimmed = String(scalars).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { return nil }
    return trimmed.count > 300 ? String(trimmed.prefix(300)) + "…" : trimmed
  }

  /// GET with bounded retries and exponential backoff on 429, 5xx, timeouts and dropped
  /// connections. A host that cannot be reached stops all later requests of this run.
  private func fetch(_ url: URL, limit: Int) async throws(Failure) -> HTTPResponse {
    var attempt = 0
    while true {
      if let down = unreachableReason { throw .unreachable(down) }
      state.withLock { $0.requests += 1 }
      var pause = limits.backoff * pow(2, Double(attempt))
      let retryReason: String
      do {
        let response = try await http.get(url, limit: limit)
        guard response.status == 429 || (500...599).contains(response.status) else { return response }
        retryReason = "HTTP \(response.status)"
        if let after = response.headers["retry-after"].flatMap(TimeInterval.init) { pause = max(pause, after) }
      } catch let failure as HTTPFailure {
        switch failure {
        case .unreachable(let reason):
          let message = "cannot reach \(url.host ?? url.absoluteString): \(reason)"
          state.withLock { if $0.down == nil { $0.down = message } }
          throw .unreachable(unreachableReason ?? message)
        case .tooLarge: throw .refused("\(url.absoluteString): \(failure)")
        case .timedOut, .dropped: retryReason = failure.description
        }
      } catch {
        throw .refused("\(url.absoluteString): cancelled")
      }
      guard attempt < limits.retries else {
        if retryReason == HTTPFailure.timedOut.description {
          // A host that never answers in time is as good as unreachable for this run.
          let message =
            "\(url.host ?? url.absoluteString) did not answer in time (\(Self.attempts(attempt + 1)))"
          state.withLock { if $0.down == nil { $0.down = message } }
          throw .unreachable(unreachableReason ?? message)
        }
        throw .refused("\(url.absoluteString): \(retryReason) after \(Self.attempts(attempt + 1))")
      }
      attempt += 1
      try? await Task.sleep(for: .seconds(min(pause, limits.maxRetryAfter)))
    }
  }
}

extension OEmbedClient {
  static func attempts(_ count: Int) -> String { count == 1 ? "1 attempt" : "\(count) attempts" }
}

/// Reason phrases for the statuses a build reports.
enum HTTPURLResponseStatus {
  static func text(_ status: Int) -> String {
    switch status {
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 429: "Too Many Requests"
    default: ""
    }
  }
}
