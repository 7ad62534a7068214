import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A real nginx (Debian's, with its built-in WebDAV module) serving a temporary folder on
/// 127.0.0.1 with `PUT` allowed: a remote cache in the Bazel HTTP layout, as CI would run
/// bazel-remote or nginx. Each instance has its own config, logs and store under a temporary
/// folder, runs in the foreground as a child of the test process, and is stopped (and the
/// folder removed) by `stop()` or when the value goes away. When the tests run as root, the
/// workers run as root too, so they can write the store the tests made.
final class WebDAVServer: @unchecked Sendable {
  let folder: String
  let port: UInt16
  private let process = Process()

  /// Where the cache's objects land: `store/cas/<sha256>`, `store/ac/<key>`.
  var store: String { folder + "/store" }
  var url: String { "http://127.0.0.1:\(port)" }

  /// Starts nginx on a free port and waits (up to 30 s, for a busy machine) until it accepts.
  init() throws {
    folder =
      FileManager.default.temporaryDirectory.appendingPathComponent("vignette-nginx-\(UUID().uuidString.prefix(8))")
      .path
    for sub in ["store", "tmp", "logs"] {
      try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
    }
    guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: FileManager.default.isExecutableFile) else {
      throw WebDAVServerError("nginx is not installed (scripts/setup.sh installs it)")
    }
    port = try Self.freePort()
    let user = geteuid() == 0 ? "user root;" : ""
    let config = """
      \(user)
      daemon off;
      master_process on;
      worker_processes 1;
      pid \(folder)/nginx.pid;
      error_log \(folder)/logs/error.log warn;
      events { worker_connections 256; }
      http {
        access_log \(folder)/logs/access.log;
        client_body_temp_path \(folder)/tmp/body;
        proxy_temp_path \(folder)/tmp/proxy;
        fastcgi_temp_path \(folder)/tmp/fastcgi;
        uwsgi_temp_path \(folder)/tmp/uwsgi;
        scgi_temp_path \(folder)/tmp/scgi;
        client_max_body_size 256m;
        default_type application/octet-stream;
        server {
          listen 127.0.0.1:\(port);
          root \(folder)/store;
          location / {
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
          }
        }
      }
      """
    try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/nginx.conf"))
    process.executableURL = URL(fileURLWithPath: nginx)
    process.arguments = ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/logs/error.log"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(30)
    while !Self.accepts(port) {
      guard process.isRunning, Date() < deadline else {
        let log = (try? String(contentsOfFile: folder + "/logs/error.log", encoding: .utf8)) ?? ""
        stop()
        throw WebDAVServerError("nginx did not start: \(log)")
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
  }

  deinit { stop() }

  /// Stops nginx (fast shutdown), waits for it, and removes its folder.
  func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: folder)
  }

  /// Requests logged so far, as `METHOD /path status`.
  var requests: [String] {
    let log = (try? String(contentsOfFile: folder + "/logs/access.log", encoding: .utf8)) ?? ""
    return log.split(separator: "\n").compactMap { line in
      // combined format: … "METHOD /path HTTP/1.1" STATUS …
      let quoted = line.split(separator: "\"")
      guard quoted.count >= 3 else { return nil }
      let request = quoted[1].split(separator: " ")
      let status = quoted[2].split(separator: " ").first ?? ""
      guard request.count >= 2 else { return nil }
      return "\(request[0]) \(request[1]) \(status)"
    }
  }

  func count(_ method: String) -> Int { requests.filter { $0.hasPrefix(method + " ") }.count }

  /// Files in the store, relative to it (`cas/<sha256>`, `ac/<key>`).
  var stored: [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: store) else { return [] }
    var files: [String] = []
    while let item = enumerator.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: store + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue {
        files.append(item)
      }
    }
    return files.sorted()
  }

  /// A port nothing listens on right now (the kernel's choice for port 0).
  static func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw WebDAVServerError("no socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw WebDAVServerError("cannot bind a port") }
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
  }

  /// Whether something accepts connections on 127.0.0.1:`port`.
  static func accepts(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}

struct WebDAVServerError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
