import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 that plays scripted answers, standing in for
/// YouTube's oEmbed endpoint and thumbnail host. One thread accepts; each connection gets a
/// thread, one request and `Connection: close`. Every request is logged, so tests can count
/// what a build fetched.
final class LoopbackServer: @unchecked Sendable {
  /// One scripted answer.
  struct Reply: Sendable {
    var status: Int
    var contentType: String
    var body: Data
    /// Seconds to wait before answering (to be slower than a client's timeout).
    var delay: TimeInterval = 0
    var headers: [String: String] = [:]
    /// The `Content-Length` sent, when it should differ from the body's (a truncated answer).
    var declaredLength: Int?

    static func json(_ object: Any, status: Int = 200) -> Reply {
      Reply(status: status, contentType: "application/json", body: try! JSONSerialization.data(withJSONObject: object))
    }
    static func oembed(
      title: String, author: String = "Test Channel", authorURL: String = "https://www.youtube.com/@test"
    ) -> Reply {
      .json([
        "title": title, "author_name": author, "author_url": authorURL, "type": "video", "version": "1.0",
        "provider_name": "YouTube", "thumbnail_url": "https://i.ytimg.com/vi/x/hqdefault.jpg",
        "html": "<iframe></iframe>",
      ])
    }
    static func jpeg(_ bytes: [UInt8], status: Int = 200) -> Reply {
      Reply(status: status, contentType: "image/jpeg", body: Data(bytes))
    }
    static func text(_ text: String, status: Int, contentType: String = "text/plain") -> Reply {
      Reply(status: status, contentType: contentType, body: Data(text.utf8))
    }
  }

  let port: UInt16
  private let socket: Int32
  private let lock = NSLock()
  /// Answers by route; the first is used up, the last one repeats.
  private var script: [String: [Reply]] = [:]
  private var log: [String] = []
  /// The headers of the last request for each route, names in lower case.
  private var received: [String: [String: String]] = [:]
  private var stopped = false

  init() throws {
    let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 64) == 0 else {
      close(fd)
      throw POSIXError(.EADDRINUSE)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    socket = fd
    port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  deinit { stop() }

  var base: String { "http://127.0.0.1:\(port)" }

  /// A `youtube` config section pointing at this server.
  var youtubeConfig: String { #""oembed": "\#(base)/oembed", "thumbnails": "\#(base)/vi""# }

  /// Scripts the answers for a route: `/oembed/ID` for the oEmbed request about video ID,
  /// otherwise the request path (`/vi/ID/maxresdefault.jpg`).
  func on(_ route: String, _ replies: Reply...) {
    lock.withLock { script[route] = replies }
  }

  /// Routes requested so far, in order.
  var requests: [String] { lock.withLock { log } }

  func count(_ route: String) -> Int { requests.filter { $0 == route }.count }

  /// The headers of the last request for `route`, names in lower case.
  func headers(of route: String) -> [String: String] { lock.withLock { received[route] ?? [:] } }

  /// Stops listening: later connections are refused. The accept thread closes the socket
  /// when it sees this, never before: closed here, its descriptor could be reused by another
  /// test's server while this thread calls `accept` on it once more, and take that server's
  /// requests.
  func stop() {
    let first = lock.withLock {
      defer { stopped = true }
      return !stopped
    }
    guard first else { return }
    shutdown(socket, Int32(SHUT_RDWR))
  }

  private func acceptLoop() {
    while true {
      let client = accept(socket, nil, nil)
      if client < 0 {
        if lock.withLock({ stopped }) {
          close(socket)
          return
        }
        continue
      }
      Thread { [self] in serve(client) }.start()
    }
  }

  private func serve(_ client: Int32) {
    defer { close(client) }
    var request = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while request.count < 65536 {
      let count = recv(client, &buffer, buffer.count, 0)
      if count <= 0 { return }
      request += buffer[0..<count]
      if Self.endOfHead(request) { break }
    }
    let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
      .split(separator: "\r\n")
    let parts = (lines.first ?? "").split(separator: " ")
    guard parts.count >= 2 else { return }
    let route = Self.route(String(parts[1]))
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let reply: Reply = lock.withLock {
      log.append(route)
      received[route] = headers
      guard var replies = script[route], !replies.isEmpty else {
        return Reply.text("no route \(route)", status: 404)
      }
      let reply = replies.removeFirst()
      if !replies.isEmpty { script[route] = replies }
      return reply
    }
    if reply.delay > 0 { Thread.sleep(forTimeInterval: reply.delay) }
    var head =
      "HTTP/1.1 \(reply.status) Status\r\nContent-Type: \(reply.contentType)\r\nContent-Length: \(reply.declaredLength ?? reply.body.count)\r\nConnection: close\r\n"
    for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
    let bytes = Array((head + "\r\n").utf8) + Array(reply.body)
    var sent = 0
    while sent < bytes.count {
      let count = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if count <= 0 { return }
      sent += count
    }
  }

  static func endOfHead(_ bytes: [UInt8]) -> Bool {
    let end: [UInt8] = [13, 10, 13, 10]
    return bytes.count >= 4 && (0...(bytes.count - 4)).contains { Array(bytes[$0..<$0 + 4]) == end }
  }

  /// `/oembed?url=https://www.youtube.com/watch?v=ID&format=json` → `/oembed/ID`.
  static func route(_ target: String) -> String {
    guard let components = URLComponents(string: target) else { return target }
    if let url = components.queryItems?.first(where: { $0.name == "url" })?.value,
      let id = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "v" })?.value
    {
      return components.path + "/" + id
    }
    return components.path
  }
}
