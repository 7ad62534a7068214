import Foundation
import Testing
import Vips

@testable import Vignette

/// Short limits for a cache on loopback: a generous total for a busy machine, except where
/// the timeout is the subject.
let loopbackCacheLimits = {
  var limits = NetworkLimits.remoteCache
  limits.connectTimeout = 5
  limits.totalTimeout = 20
  return limits
}()

/// One source rendered into a local cache, as a build would, on a render thread.
struct LocalRender {
  var plan: RenderPlan
  var image: RenderedImage

  static func make(_ site: TestSite, _ relative: String, cache: BuildCache) async throws -> LocalRender {
    let workers = RenderWorkers(count: 1)
    defer { workers.shutdown() }
    let file = FileSystem.canonical(site.path(relative))
    var settings = ImageSettings()
    settings.widths = [64, 128]
    settings.formats = [.webp, .jpeg]
    return try await workers.run { [settings] in
      let plan = VariantPlanner.plan(try cache.source(file: file, urlPath: "/images/x.png"), settings: settings)
      let image = try ImageRenderer.render(plan) { try cache.storeObject($0, $1) }
      try cache.storeRender(image, for: plan.key)
      return LocalRender(plan: plan, image: image)
    }
  }
}

/// A test site with pictures rendered into its local cache `.cache-a`.
struct CacheFixture {
  let site: TestSite
  let local: BuildCache
  let renders: [LocalRender]
  var source: LocalRender { renders[0] }

  /// One picture per name, `assets/images/<name>.png`, each of a different size.
  static func make(_ names: [String] = ["x"], name: String = #function) async throws -> CacheFixture {
    let site = try TestSite(name)
    let local = BuildCache(folder: site.path(".cache-a"))
    var renders: [LocalRender] = []
    for (index, image) in names.enumerated() {
      try site.image("assets/images/\(image).png", width: 200 - 20 * index, height: 120)
      renders.append(try await LocalRender.make(site, "assets/images/\(image).png", cache: local))
    }
    return CacheFixture(site: site, local: local, renders: renders)
  }

  /// A new, empty local cache.
  func empty(_ name: String = "b") -> BuildCache { BuildCache(folder: site.path(".cache-\(name)")) }
}

@Suite("Remote cache client (Bazel HTTP layout)")
struct RemoteCacheTests {
  func client(_ url: String, readOnly: Bool = false, limits: NetworkLimits = loopbackCacheLimits) throws -> RemoteCache
  {
    try RemoteCache(settings: RemoteCacheSettings(url: url, readOnly: readOnly), header: nil, limits: limits)
  }

  @Test("a render published to nginx comes back byte for byte into an empty cache")
  func roundTrip() async throws {
    let server = try WebDAVServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    let remote = try client(server.url + "/")
    #expect(await remote.publish(source.plan, source.image, from: local))
    // Objects under the SHA-256 of their bytes, the record under the plan key.
    let stored = server.stored
    #expect(stored.contains("ac/\(source.plan.key)"))
    #expect(stored.filter { $0.hasPrefix("cas/") }.count == source.image.variants.count)
    for name in stored where name.hasPrefix("cas/") {
      let data = try Data(contentsOf: URL(fileURLWithPath: server.store + "/" + name))
      #expect(name == "cas/" + Checksum.sha256(data))
    }
    // Publishing again sends nothing: the server already has the record.
    #expect(await remote.publish(source.plan, source.image, from: local) == false)

    let empty = fixture.empty("b")
    let fetched = await remote.fetch(source.plan, into: empty)
    #expect(fetched == source.image)
    for variant in source.image.variants {
      let a = FileManager.default.contents(atPath: local.objectPath(variant.key, variant.format))
      let b = FileManager.default.contents(atPath: empty.objectPath(variant.key, variant.format))
      #expect(a != nil && a == b)
    }
    #expect(empty.render(for: source.plan) == source.image)
    #expect(remote.warning == nil)
    #expect(remote.statistics.downloaded == 1 && remote.statistics.uploaded == 1)
  }

  @Test("a tampered object is refused with a warning and nothing is stored")
  func tamperedObject() async throws {
    let server = try WebDAVServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    let remote = try client(server.url)
    #expect(await remote.publish(source.plan, source.image, from: local))
    // Same length, different bytes: only the hash can tell.
    let object = server.stored.first { $0.hasPrefix("cas/") }!
    var data = try Data(contentsOf: URL(fileURLWithPath: server.store + "/" + object))
    data[data.count / 2] ^= 0xFF
    try data.write(to: URL(fileURLWithPath: server.store + "/" + object))

    let empty = fixture.empty("b")
    #expect(await remote.fetch(source.plan, into: empty) == nil)
    #expect(empty.render(for: source.plan) == nil)
    #expect(remote.warning?.contains("does not match its hash") == true)
  }

  @Test("a record that names variants the source does not plan is refused")
  func foreignRecord() async throws {
    let server = try WebDAVServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make(["x", "y"])
    let (local, x, y) = (fixture.local, fixture.renders[0], fixture.renders[1])
    let remote = try client(server.url)
    #expect(await remote.publish(y.plan, y.image, from: local))
    // The record of y stored where x's should be.
    try FileManager.default.copyItem(
      atPath: server.store + "/ac/" + y.plan.key, toPath: server.store + "/ac/" + x.plan.key)
    #expect(await remote.fetch(x.plan, into: fixture.empty("b")) == nil)
    #expect(remote.warning?.contains("does not plan") == true)
  }

  @Test("a server that is down costs one failure, then is not asked again")
  func serverDown() async throws {
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    let remote = try client("http://127.0.0.1:\(try WebDAVServer.freePort())")
    #expect(await remote.fetch(source.plan, into: fixture.empty("b")) == nil)
    #expect(await remote.publish(source.plan, source.image, from: local) == false)
    #expect(remote.warning?.contains("connection refused") == true)
    #expect(remote.warning?.contains("problems in all") == false)
  }

  @Test("500 answers: the cache is given up after the first, with one warning")
  func serverErrors() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    server.on("/ac/\(source.plan.key)", .text("boom", status: 500))
    let remote = try client(server.base)
    #expect(await remote.fetch(source.plan, into: fixture.empty("b")) == nil)
    #expect(await remote.fetch(source.plan, into: fixture.empty("c")) == nil)
    #expect(await remote.publish(source.plan, source.image, from: local) == false)
    #expect(server.requests == ["/ac/\(source.plan.key)"])
    #expect(remote.warning?.contains("answered 500") == true)
  }

  @Test("a server that never answers is given up after the timeout", .timeLimit(.minutes(2)))
  func neverAnswers() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    var silent = LoopbackServer.Reply.text("", status: 200)
    silent.delay = 40
    server.on("/ac/\(source.plan.key)", silent)
    var limits = loopbackCacheLimits
    limits.connectTimeout = 1
    limits.totalTimeout = 2
    let remote = try client(server.base, limits: limits)
    #expect(await remote.fetch(source.plan, into: fixture.empty("b")) == nil)
    #expect(await remote.fetch(source.plan, into: fixture.empty("c")) == nil)
    #expect(server.requests.count == 1)
    #expect(remote.warning?.contains("no answer in time") == true)
  }

  @Test("a truncated object is refused and nothing is stored")
  func truncatedBody() async throws {
    let nginx = try WebDAVServer()
    defer { nginx.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    #expect(await (try client(nginx.url)).publish(source.plan, source.image, from: local))
    // A server that sends the real record, then half of each object.
    let server = try LoopbackServer()
    defer { server.stop() }
    for name in nginx.stored {
      let data = try Data(contentsOf: URL(fileURLWithPath: nginx.store + "/" + name))
      var reply = LoopbackServer.Reply(status: 200, contentType: "application/octet-stream", body: data)
      if name.hasPrefix("cas/") {
        reply.body = data.prefix(data.count / 2)
        reply.declaredLength = data.count
      }
      server.on("/" + name, reply)
    }
    let remote = try client(server.base)
    let empty = fixture.empty("b")
    #expect(await remote.fetch(source.plan, into: empty) == nil)
    #expect(empty.render(for: source.plan) == nil)
    #expect(remote.warning != nil)
  }

  @Test("read-only: fetches, never uploads")
  func readOnly() async throws {
    let server = try WebDAVServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    let remote = try client(server.url, readOnly: true)
    #expect(await remote.publish(source.plan, source.image, from: local) == false)
    #expect(server.stored.isEmpty)
    #expect(server.count("PUT") == 0)
    #expect(remote.warning == nil)
  }

  @Test("the auth header comes from VIGNETTE_REMOTE_CACHE_HEADER as Name: value")
  func authHeader() throws {
    #expect(try RemoteCache.parseHeader("Authorization: Bearer abc") == ["Authorization": "Bearer abc"])
    #expect(try RemoteCache.parseHeader(nil) == [:])
    #expect(try RemoteCache.parseHeader("  ") == [:])
    for bad in ["Bearer abc", ": x", "Bad Name: x", "X-A: b\r\nX-B: c"] {
      let error = #expect(throws: RemoteCacheError.self) { try RemoteCache.parseHeader(bad) }
      #expect(error?.message.contains("VIGNETTE_REMOTE_CACHE_HEADER") == true)
      #expect(error?.message.contains("abc") == false)
    }
  }

  @Test("the header is sent with every request")
  func headerSent() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let fixture = try await CacheFixture.make()
    let (local, source) = (fixture.local, fixture.source)
    let remote = try RemoteCache(
      settings: RemoteCacheSettings(url: server.base), header: "X-Cache-Token: s3cret", limits: loopbackCacheLimits)
    _ = await remote.fetch(source.plan, into: fixture.empty("b"))
    #expect(server.headers(of: "/ac/\(source.plan.key)")["x-cache-token"] == "s3cret")
  }
}
