import Foundation
import Synchronization

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Time, size and concurrency limits for the requests a build makes (to YouTube, and to the
/// remote cache with `NetworkLimits.remoteCache`). Builds use the defaults; tests shorten
/// them so a scripted slow server does not slow the suite.
struct NetworkLimits: Sendable {
  /// Seconds with no progress at all (connecting included) before a request is given up.
  /// URLSession on Linux counts this in whole seconds, so it is rounded up to at least 1.
  var connectTimeout: TimeInterval = 4
  /// Seconds one request may take from start to last byte.
  var totalTimeout: TimeInterval = 20
  /// Further attempts after the first, on 429, 5xx, timeouts and dropped connections.
  var retries = 2
  /// Pause before the first retry; it doubles for each further one.
  var backoff: TimeInterval = 0.5
  /// The longest `Retry-After` that is honoured; longer ones are cut to this.
  var maxRetryAfter: TimeInterval = 8
  /// Videos fetched at once.
  var concurrency = 4
  /// Largest oEmbed answer accepted (real ones are about 1 KB).
  var maxMetadataBytes = 64 * 1024
  /// Largest thumbnail accepted (a 1280×720 maxresdefault is about 100–250 KB).
  var maxPosterBytes = 4 * 1024 * 1024

  /// The remote cache's: no retries (a failing cache is given up for the build and the work
  /// done locally), 8 transfers at once, objects up to 256 MiB.
  static let remoteCache = NetworkLimits(
    connectTimeout: 5, totalTimeout: 60, retries: 0, backoff: 0, maxRetryAfter: 0, concurrency: 8,
    maxMetadataBytes: 1024 * 1024, maxPosterBytes: 256 * 1024 * 1024)
}

/// One HTTP answer, whatever its status.
struct HTTPResponse: Sendable {
  var status: Int
  /// Header names in lower case.
  var headers: [String: String]
  var body: Data
}

/// Why a request produced no answer.
enum HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
  /// The host could not be reached at all: no DNS answer, connection refused, TLS failure.
  case unreachable(String)
  /// No answer within the connect or total timeout.
  case timedOut
  /// The connection broke after it was made.
  case dropped(String)
  /// The body was larger than allowed; the transfer was stopped.
  case tooLarge(limit: Int)

  var description: String {
    switch self {
    case .unreachable(let reason): reason
    case .timedOut: "no answer in time"
    case .dropped(let reason): "the connection broke (\(reason))"
    case .tooLarge(let limit): "the answer is larger than \(limit) bytes"
    }
  }
}

/// A small client over URLSession (libcurl on Linux) that enforces a total timeout and a byte
/// cap while the body arrives, instead of buffering whatever a server sends. YouTube's oEmbed
/// and thumbnails use its `get`, the remote cache `send` with `HEAD` and `PUT`.
///
/// `@unchecked Sendable` because URLSession takes its delegate (this object) only after
/// `super.init`, so `session` is a `var`: assigned once, in `init`, and only read after. The
/// requests in flight are in a `Mutex`.
final class HTTPClient: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  let limits: NetworkLimits
  let userAgent: String
  private var session: URLSession!
  private let pending = Mutex<[Int: Pending]>([:])

  private struct Pending: Sendable {
    var continuation: CheckedContinuation<HTTPResponse, Error>
    var limit: Int
    var body = Data()
  }

  init(limits: NetworkLimits, userAgent: String = "Vignette (+https://github.com/) oEmbed client") {
    self.limits = limits
    self.userAgent = userAgent
    super.init()
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = max(1, limits.connectTimeout.rounded(.up))
    configuration.timeoutIntervalForResource = max(1, limits.totalTimeout.rounded(.up))
    configuration.httpMaximumConnectionsPerHost = max(1, limits.concurrency)
    configuration.urlCache = nil
    configuration.httpCookieAcceptPolicy = .never
    configuration.httpShouldSetCookies = false
    session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
  }

  /// Ends the session once its requests are done (the session holds its delegate strongly).
  func shutdown() { session.finishTasksAndInvalidate() }

  /// One `GET` of `url`; see `send`.
  func get(_ url: URL, limit: Int) async throws -> HTTPResponse {
    try await send("GET", url, limit: limit)
  }

  /// One attempt at `method` on `url` with `headers` and `body`, stopped when the answer's
  /// body passes `limit` bytes or the total timeout passes. Any status is returned; failures
  /// to get one are thrown as `HTTPFailure`.
  func send(
    _ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil, limit: Int
  ) async throws -> HTTPResponse {
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.timeoutInterval = max(1, limits.connectTimeout.rounded(.up))
    request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if let body {
      request.httpBody = body
      request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
    }
    let task = session.dataTask(with: request)
    let id = task.taskIdentifier
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        pending.withLock { $0[id] = Pending(continuation: continuation, limit: limit) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limits.totalTimeout) { [weak self] in
          if self?.finish(id, .failure(HTTPFailure.timedOut)) == true { task.cancel() }
        }
        task.resume()
      }
    } onCancel: {
      if finish(id, .failure(CancellationError())) { task.cancel() }
    }
  }

  /// Resumes the waiting request once; returns false when it had already been resumed.
  @discardableResult
  private func finish(_ id: Int, _ result: Result<HTTPResponse, Error>) -> Bool {
    guard let entry = pending.withLock({ $0.removeValue(forKey: id) }) else { return false }
    entry.continuation.resume(with: result)
    return true
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    let id = dataTask.taskIdentifier
    let expected = (dataTask.response as? HTTPURLResponse).flatMap {
      Int($0.value(forHTTPHeaderField: "Content-Length") ?? "")
    }
    let overflow: Int? = pending.withLock { pending in
      guard pending[id] != nil else { return nil }
      pending[id]!.body.append(data)
      let (count, limit) = (pending[id]!.body.count, pending[id]!.limit)
      return count > limit || (expected ?? 0) > limit ? limit : nil
    }
    if let overflow, finish(id, .failure(HTTPFailure.tooLarge(limit: overflow))) { dataTask.cancel() }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    let id = task.taskIdentifier
    if let error {
      finish(id, .failure(Self.failure(error)))
      return
    }
    guard let response = task.response as? HTTPURLResponse else {
      finish(id, .failure(HTTPFailure.dropped("no HTTP response")))
      return
    }
    var headers: [String: String] = [:]
    for (name, value) in response.allHeaderFields {
      if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
    }
    let body = pending.withLock { $0[id]?.body } ?? Data()
    finish(id, .success(HTTPResponse(status: response.statusCode, headers: headers, body: body)))
  }

  /// Sorts URLSession's errors into what a build does next: give up on the host, or retry.
  static func failure(_ error: Error) -> HTTPFailure {
    let code = (error as NSError).code
    switch code {
    case NSURLErrorTimedOut: return .timedOut
    case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return .unreachable("cannot resolve the host name")
    case NSURLErrorCannotConnectToHost: return .unreachable("connection refused")
    case NSURLErrorNotConnectedToInternet: return .unreachable("not connected to a network")
    case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
      NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid:
      return .unreachable("the secure connection failed")
    case NSURLErrorNetworkConnectionLost: return .dropped("connection lost")
    default: return .dropped("URL error \(code)")
    }
  }
}
