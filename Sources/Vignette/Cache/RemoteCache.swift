import Foundation
import Synchronization
import Vips

/// The shared HTTP cache behind the local `cache` folder, in the layout of Bazel's HTTP remote
/// cache (and bazel-remote): `GET`/`HEAD`/`PUT` on `<url>/cas/<sha256>` for a variant's bytes,
/// addressed by the SHA-256 of those bytes, and on `<url>/ac/<plan key>` for the render
/// record (a `RemoteRecord` in JSON). Any server that speaks it works: bazel-remote (with
/// `--disable_http_ac_validation`, since the record is not a Bazel ActionResult), nginx with
/// WebDAV, an object store behind a proxy.
///
/// Nothing that comes from it is trusted: every object is checked against its hash and size,
/// and a record must match the plan it is fetched for. A miss is not a problem. Anything else
/// (unreachable, a timeout, an error status, a corrupt object or record) is recorded, and once
/// the server itself has failed it is not asked again in this build, so a dead or hanging
/// server costs one timeout. The build then renders locally and reports one warning.
final class RemoteCache: Sendable {
  /// Base URL without a trailing slash.
  let base: String
  let readOnly: Bool
  private let headers: [String: String]
  private let http: HTTPClient
  private let state = Mutex(State())

  /// What this build's requests found, shared by the requests in flight.
  private struct State {
    var problems: [String] = []
    var failed = false
    var counts = Counts()
  }

  /// What went over the wire in this build.
  struct Counts: Sendable, Equatable {
    /// Renders taken from the cache, and the objects and bytes they needed.
    var downloaded = 0
    var downloadedObjects = 0
    var downloadedBytes: Int64 = 0
    /// Renders published, and the objects and bytes sent for them.
    var uploaded = 0
    var uploadedObjects = 0
    var uploadedBytes: Int64 = 0
  }

  /// The environment variable holding the header sent with every request, as
  /// `Name: value` (for example `Authorization: Bearer …`). Never read from `pipeline.json`,
  /// so a committed config cannot hold a secret.
  static let headerVariable = "VIGNETTE_REMOTE_CACHE_HEADER"

  init(settings: RemoteCacheSettings, header: String?, limits: NetworkLimits) throws(RemoteCacheError) {
    if let problem = RemoteCacheSettings.problem(url: settings.url) { throw RemoteCacheError(message: problem) }
    var base = settings.url
    while base.hasSuffix("/") { base.removeLast() }
    self.base = base
    readOnly = settings.readOnly
    headers = try Self.parseHeader(header)
    http = HTTPClient(limits: limits, userAgent: "Vignette remote cache")
  }

  deinit { http.shutdown() }

  /// `Name: value` as a header, or none for nil or empty text.
  static func parseHeader(_ text: String?) throws(RemoteCacheError) -> [String: String] {
    guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [:] }
    guard let colon = text.firstIndex(of: ":") else {
      throw RemoteCacheError(message: "\(headerVariable) must be \"Name: value\" (its value is not shown)")
    }
    let name = text[..<colon].trimmingCharacters(in: .whitespaces)
    let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    let token = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-.^_`|~"))
    guard !name.isEmpty, name.unicodeScalars.allSatisfy(token.contains),
      !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" })
    else {
      throw RemoteCacheError(message: "\(headerVariable) must be \"Name: value\" (its value is not shown)")
    }
    return [name: value]
  }

  var statistics: Counts { state.withLock { $0.counts } }

  /// The one warning for this build, or nil when nothing went wrong.
  var warning: String? {
    state.withLock { state in
      guard let first = state.problems.first else { return nil }
      let more = state.problems.count > 1 ? " (\(state.problems.count) problems in all)" : ""
      return "remote cache \(base): \(first)\(more); what it could not give was rendered locally"
    }
  }

  private var usable: Bool { state.withLock { !$0.failed } }

  private func note(_ problem: String, serverFailed: Bool) {
    state.withLock { state in
      if serverFailed {
        // Requests in flight when the server failed report the same outage: say it once.
        if state.failed { return }
        state.failed = true
      }
      state.problems.append(problem)
    }
  }

  private enum Answer {
    case found(Data)
    case missing
    case failed
  }

  /// One request; a miss is `.missing`, anything but a usable answer `.failed` (recorded).
  private func request(_ method: String, _ path: String, body: Data? = nil, limit: Int) async -> Answer {
    guard usable, let url = URL(string: base + "/" + path) else { return .failed }
    do {
      let response = try await http.send(method, url, headers: headers, body: body, limit: limit)
      switch response.status {
      case 200...299: return .found(response.body)
      case 404: return .missing
      default:
        note(
          "\(method) /\(path) answered \(response.status) \(HTTPURLResponseStatus.text(response.status))",
          serverFailed: true)
        return .failed
      }
    } catch let failure as HTTPFailure {
      // An answer larger than the object it claims to be is bad content, not a bad server.
      if case .tooLarge = failure {
        note("\(method) /\(path): \(failure)", serverFailed: false)
      } else {
        note("\(method) /\(path): \(failure)", serverFailed: true)
      }
      return .failed
    } catch {
      note("\(method) /\(path): \(error)", serverFailed: true)
      return .failed
    }
  }

  /// Whether the cache holds a record for `plan` (nil when it could not say).
  func hasRender(_ plan: RenderPlan) async -> Bool? {
    switch await request("HEAD", "ac/\(plan.key)", limit: 0) {
    case .found: true
    case .missing: false
    case .failed: nil
    }
  }

  /// Downloads the render of `plan` into `cache`: the record, then each variant's bytes,
  /// checked against their SHA-256 and size before they are stored. Returns the render named
  /// for `plan`, or nil when the remote cache cannot give all of it.
  func fetch(_ plan: RenderPlan, into cache: BuildCache) async -> RenderedImage? {
    guard case .found(let data) = await request("GET", "ac/\(plan.key)", limit: 1 << 20) else { return nil }
    guard let record = try? JSONDecoder().decode(RemoteRecord.self, from: data) else {
      note("the record /ac/\(plan.key) is not a render record", serverFailed: false)
      return nil
    }
    if let problem = record.problem(for: plan) {
      note("the record /ac/\(plan.key) \(problem)", serverFailed: false)
      return nil
    }
    var bytes: Int64 = 0
    for variant in record.image.variants {
      let digest = record.objects[variant.key]!
      guard case .found(let object) = await request("GET", "cas/\(digest)", limit: variant.bytes) else {
        return nil
      }
      guard object.count == variant.bytes, Checksum.sha256(object) == digest else {
        note("the object /cas/\(digest) does not match its hash", serverFailed: false)
        return nil
      }
      do {
        try cache.storeObject(plan.outputs.first { $0.key == variant.key }!, object)
      } catch {
        note("cannot store /cas/\(digest) in the local cache: \(error.localizedDescription)", serverFailed: false)
        return nil
      }
      bytes += Int64(object.count)
    }
    do {
      try cache.storeRender(record.image, for: plan.key)
    } catch {
      note("cannot store the record in the local cache: \(error.localizedDescription)", serverFailed: false)
      return nil
    }
    guard let rendered = cache.render(for: plan) else { return nil }
    state.withLock {
      $0.counts.downloaded += 1
      $0.counts.downloadedObjects += record.image.variants.count
      $0.counts.downloadedBytes += bytes
    }
    return rendered
  }

  /// Uploads the render of `plan` from `cache` unless the server already has it: the objects
  /// first, then the record, so a record never names an object the server lacks. Returns
  /// whether anything was sent; a read-only cache sends nothing.
  @discardableResult
  func publish(_ plan: RenderPlan, _ rendered: RenderedImage, from cache: BuildCache) async -> Bool {
    guard !readOnly, usable, await hasRender(plan) == false else { return false }
    var objects: [String: String] = [:]
    var bytes: Int64 = 0
    for variant in rendered.variants {
      guard let data = FileManager.default.contents(atPath: cache.objectPath(variant.key, variant.format)),
        data.count == variant.bytes
      else { return false }
      let digest = Checksum.sha256(data)
      guard case .found = await request("PUT", "cas/\(digest)", body: data, limit: 64 * 1024) else { return false }
      objects[variant.key] = digest
      bytes += Int64(data.count)
    }
    let record = RemoteRecord(image: rendered, objects: objects)
    guard case .found = await request("PUT", "ac/\(plan.key)", body: record.encoded(), limit: 64 * 1024) else {
      return false
    }
    state.withLock {
      $0.counts.uploaded += 1
      $0.counts.uploadedObjects += objects.count
      $0.counts.uploadedBytes += bytes
    }
    return true
  }

  /// Runs `work` for each item, `http.limits.concurrency` at a time.
  func forEach<Item: Sendable>(_ items: [Item], _ work: @escaping @Sendable (Item) async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
      var iterator = items.makeIterator()
      for _ in 0..<max(1, http.limits.concurrency) {
        guard let item = iterator.next() else { break }
        group.addTask { await work(item) }
      }
      while await group.next() != nil {
        guard let item = iterator.next() else { continue }
        group.addTask { await work(item) }
      }
    }
  }
}

/// A bad `--remote-cache`, `remoteCache` or `VIGNETTE_REMOTE_CACHE_HEADER` (exit status 2).
struct RemoteCacheError: Error, Sendable, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// What `/ac/<plan key>` holds: the render (as in the local `renders/` folder) and the
/// SHA-256 of each variant's bytes, by variant key, which names it under `/cas/`.
struct RemoteRecord: Codable, Sendable, Equatable {
  var version = 1
  var image: RenderedImage
  var objects: [String: String]

  /// Sorted keys, so the same render always makes the same record.
  func encoded() -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(self)) ?? Data()
  }

  /// Why this record cannot be the render of `plan`, or nil when it can.
  func problem(for plan: RenderPlan) -> String? {
    guard version == 1 else { return "has version \(version), not 1" }
    guard !image.variants.isEmpty else { return "lists no variants" }
    for variant in image.variants {
      guard let planned = plan.outputs.first(where: { $0.key == variant.key }), planned.format == variant.format
      else { return "lists a variant this source does not plan" }
      guard let digest = objects[variant.key], digest.count == 64,
        digest.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
      else { return "lacks the SHA-256 of a variant" }
      guard variant.bytes > 0 else { return "lists an empty variant" }
    }
    return nil
  }
}
