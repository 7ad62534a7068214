import Foundation
import Testing
import Vips

@testable import Vignette

/// Limits short enough that retries keep the suite quick, with timeouts generous enough that a
/// loopback answer on a busy machine is never mistaken for a slow one (the connect timeout is
/// also URLSession's idle timeout: a scheduler that keeps the server's thread waiting for a
/// second must not fail a request that is answered).
private let fast = NetworkLimits(
  connectTimeout: 5, totalTimeout: 5, retries: 2, backoff: 0.05, maxRetryAfter: 0.1, concurrency: 4,
  maxMetadataBytes: 64 * 1024, maxPosterBytes: 4 * 1024 * 1024)

/// For the tests whose subject is the timeout: scripted slow answers take 3 s, far beyond it.
private let impatient = {
  var limits = fast
  limits.totalTimeout = 1
  return limits
}()

private let hostile = #"Nagareyuku "><script>alert(1)</script> & 🎵 שלום"#

private enum Posters {
  static let maxres = try! TestImages.gradient(width: 1280, height: 720, alpha: false, format: .jpeg)
  static let sd = try! TestImages.gradient(width: 640, height: 480, alpha: false, format: .jpeg)
  static let hq = try! TestImages.gradient(width: 480, height: 360, alpha: false, format: .jpeg)
  /// What YouTube sends, with a 404, for a size it does not have.
  static let missing = try! TestImages.gradient(width: 120, height: 90, alpha: false, format: .jpeg)
}

@Suite("OEmbedClient against a loopback server")
final class OEmbedClientTests {
  let server: LoopbackServer
  let client: OEmbedClient

  init() throws {
    try VipsLibrary.start()
    server = try LoopbackServer()
    var settings = YouTubeSettings()
    settings.oembed = server.base + "/oembed"
    settings.thumbnails = server.base + "/vi"
    client = OEmbedClient(settings: settings, limits: fast)
  }

  deinit {
    server.stop()
    client.shutdown()
  }

  @Test func metadataKeepsHostileTextForTheRendererToEscape() async throws {
    server.on("/oembed/aaaaaaaaaaa", .oembed(title: hostile + "\u{7}", authorURL: "javascript:alert(1)"))
    let metadata = try await client.metadata(id: "aaaaaaaaaaa")
    #expect(metadata.title == hostile)
    #expect(metadata.author == "Test Channel")
    #expect(metadata.authorURL == nil)
  }

  @Test func garbageAndOversizedAnswersAreRefused() async throws {
    server.on("/oembed/bbbbbbbbbbb", .text("{\"title\": \"unterminated", status: 200, contentType: "application/json"))
    server.on("/oembed/ccccccccccc", .text("<html>unusual traffic</html>", status: 200, contentType: "text/html"))
    server.on("/oembed/ddddddddddd", .json(["title": String(repeating: "x", count: 100_000)]))
    for id in ["bbbbbbbbbbb", "ccccccccccc", "ddddddddddd"] {
      let error = await #expect(throws: OEmbedClient.Failure.self) { _ = try await client.metadata(id: id) }
      guard case .refused(let reason) = error else {
        Issue.record("\(id): \(String(describing: error))")
        continue
      }
      #expect(
        reason.contains(
          ["bbbbbbbbbbb": "not a JSON object", "ccccccccccc": "HTML page", "ddddddddddd": "larger than 65536 bytes"][
            id]!))
    }
  }

  @Test func retriesAfter429AndAfterATimeout() async throws {
    var throttled = LoopbackServer.Reply.text("slow down", status: 429)
    throttled.headers["Retry-After"] = "1"
    server.on("/oembed/eeeeeeeeeee", throttled, .oembed(title: "After 429"))
    // The first answer comes far beyond the 5 s timeout; the retry's answer is at once, and is
    // given the same generous 5 s however busy the machine is (a 1 s limit once failed it).
    var slow = LoopbackServer.Reply.oembed(title: "too late")
    slow.delay = 15
    server.on("/oembed/fffffffffff", slow, .oembed(title: "In time"))
    #expect(try await client.metadata(id: "eeeeeeeeeee").title == "After 429")
    #expect(try await client.metadata(id: "fffffffffff").title == "In time")
    #expect(server.count("/oembed/eeeeeeeeeee") == 2)
    #expect(server.count("/oembed/fffffffffff") == 2)
  }

  @Test func aServerThatSaysNothingIsGivenUpAfterTheConnectTimeout() async throws {
    var limits = fast
    limits.connectTimeout = 1
    limits.totalTimeout = 30
    limits.retries = 0
    let patient = OEmbedClient(settings: client.settings, limits: limits)
    defer { patient.shutdown() }
    var silent = LoopbackServer.Reply.oembed(title: "too late")
    silent.delay = 4
    server.on("/oembed/kkkkkkkkkkk", silent)
    let error = await #expect(throws: OEmbedClient.Failure.self) { _ = try await patient.metadata(id: "kkkkkkkkkkk") }
    #expect(error == .unreachable("127.0.0.1 did not answer in time (1 attempt)"))
  }

  @Test(arguments: [401, 403, 404])
  func privateOrRemovedVideosAreUnavailable(status: Int) async throws {
    server.on("/oembed/ggggggggggg", .text("Unauthorized", status: status))
    await #expect(throws: OEmbedClient.Failure.unavailable(status: status)) {
      _ = try await client.metadata(id: "ggggggggggg")
    }
    #expect(server.count("/oembed/ggggggggggg") == 1)
  }

  @Test func posterSkipsYouTubesPlaceholderByStatusAndBySize() async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("posters-\(UUID().uuidString.prefix(8))")
      .path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    server.on("/vi/hhhhhhhhhhh/maxresdefault.jpg", .jpeg(Posters.missing, status: 404))
    server.on("/vi/hhhhhhhhhhh/sddefault.jpg", .jpeg(Posters.missing, status: 200))
    server.on("/vi/hhhhhhhhhhh/hqdefault.jpg", .jpeg(Posters.hq))
    let poster = try await client.poster(id: "hhhhhhhhhhh", folder: folder)
    #expect(poster.url == server.base + "/vi/hhhhhhhhhhh/hqdefault.jpg")
    #expect((poster.width, poster.height) == (480, 360))
    #expect(FileManager.default.contents(atPath: poster.file) == Data(Posters.hq))
    #expect(FileSystem.files(under: folder) == [(poster.file as NSString).lastPathComponent])
  }

  @Test func anUnreachableHostIsGivenUpOnce() async throws {
    server.stop()
    let error = await #expect(throws: OEmbedClient.Failure.self) { _ = try await client.metadata(id: "iiiiiiiiiii") }
    #expect(error == .unreachable("cannot reach 127.0.0.1: connection refused"))
    let sent = client.requestCount
    await #expect(throws: OEmbedClient.Failure.self) { _ = try await client.metadata(id: "jjjjjjjjjjj") }
    #expect(client.requestCount == sent)
  }
}

@Suite("YouTube videos in a build")
struct VideoBuildTests {
  static let first = "qnY9NL0E5ZM"
  static let second = "GBl2DSOL7bw"

  /// A site whose two posts embed two videos (one of them twice), served by `server`.
  static func site(_ server: LoopbackServer, name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    try site.config(
      #"{"images": {"widths": [480, 960], "formats": ["webp", "auto"]}, "youtube": {\#(server.youtubeConfig)}}"#)
    try site.write(
      "assets/posts/look-back.md",
      """
      +++
      title = 'Look Back'
      +++

      # Track 1

      {{< youtube id=\(first) loading=lazy >}}

      # Track 3
      {{< youtube id=\(second) start=30 end=95 title="Hachi" >}}
      """)
    try site.write("assets/posts/again.md", "Once more:\n\n{{< youtube \(first) >}}\n")
    server.on("/oembed/\(first)", .oembed(title: hostile))
    server.on("/oembed/\(second)", .oembed(title: "8の季節 - Hachi no kisetsu", author: "haruka nakamura"))
    server.on("/vi/\(first)/maxresdefault.jpg", .jpeg(Posters.maxres))
    server.on("/vi/\(second)/maxresdefault.jpg", .jpeg(Posters.missing, status: 404))
    server.on("/vi/\(second)/sddefault.jpg", .jpeg(Posters.sd))
    return site
  }

  @Test func postersAndTitlesComeFromTheNetworkOnceAndAreLocked() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let site = try Self.site(server)
    let report = try await site.build { $0.network = fast }
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    #expect(server.count("/oembed/\(Self.first)") == 1)
    #expect(server.count("/oembed/\(Self.second)") == 1)

    let manifest = try site.manifest()
    #expect(manifest.images.isEmpty)
    #expect(manifest.videos.map(\.id) == [Self.second, Self.first])
    let hachi = try #require(manifest.videos.first?.thumbnail)
    #expect(hachi.source == server.base + "/vi/\(Self.second)/sddefault.jpg")
    #expect((hachi.width, hachi.height) == (640, 480))
    #expect(hachi.variants.allSatisfy { $0.path.hasPrefix("static/videos/\(Self.second).") })
    for variant in manifest.videos.flatMap({ $0.thumbnail?.variants ?? [] }) {
      #expect(FileSystem.isFile(site.path("output/" + variant.path)), "\(variant.path)")
    }
    #expect(manifest.videos.last?.title == hostile)

    let html = try #require(site.read("output/html/look-back.html"))
    #expect(html.contains(#"data-vignette-video="\#(Self.first)""#))
    #expect(html.contains(#"data-start="30" data-end="95" data-title="Hachi""#))
    #expect(html.contains("watch?v=\(Self.second)&amp;t=30s"))
    #expect(html.contains("Nagareyuku &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; 🎵 שלום"))
    #expect(!html.contains("<script>alert"))
    #expect(!html.contains("<iframe"))
    #expect(!html.contains("ytimg") && !html.contains(server.base))
    #expect(html.contains("../static/videos/\(Self.first)."))
    let markdown = try #require(site.read("output/content/look-back.md"))
    #expect(markdown.contains("{{< youtube id=\(Self.first) loading=lazy >}}"))

    let lock = try #require(site.read("vignette.lock.json"))
    #expect(lock.contains(#""url" : "\#(server.base)/vi/\#(Self.second)/sddefault.jpg""#))
    #expect(lock.range(of: Self.second)!.lowerBound < lock.range(of: Self.first)!.lowerBound)

    // Lockfile and cache hold everything: the next build asks nothing.
    let before = server.requests.count
    let again = try await site.build { $0.network = fast }
    #expect(again.diagnostics.isEmpty)
    #expect(server.requests.count == before)
    #expect(site.read("vignette.lock.json") == lock)

    // A fresh cache with the lockfile: only the locked poster URLs are fetched, no oEmbed.
    try FileManager.default.removeItem(atPath: site.path(".vignette-cache"))
    let third = try await site.build { $0.network = fast }
    #expect(third.diagnostics.isEmpty)
    #expect(
      Array(server.requests.dropFirst(before)).sorted() == [
        "/vi/\(Self.second)/sddefault.jpg", "/vi/\(Self.first)/maxresdefault.jpg",
      ])
    #expect(site.read("vignette.lock.json") == lock)
  }

  @Test func handEntriesAreReplacedOnceYouTubeAnswers() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let site = try Self.site(server)
    try site.write(
      "vignette.lock.json", FileManager.default.contents(atPath: TestSite.repositoryRoot + "/vignette.lock.json")!)
    let report = try await site.build { $0.network = fast }
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    let lock = try VideoLockfile.load(path: site.path("vignette.lock.json"), display: "lock")
    #expect(lock.videos.values.allSatisfy { $0.origin == .oembed && $0.note == nil && $0.poster != nil })
    #expect(lock.videos[Self.second]?.author == "haruka nakamura")
  }

  @Test func anOfflineRebuildFromLockfileAndCacheIsByteIdentical() async throws {
    let server = try LoopbackServer()
    let online = try Self.site(server)
    try await online.build { $0.network = fast }
    server.stop()

    // A CI runner: the committed files and a restored cache, no network.
    let ci = try TestSite()
    for folder in ["assets", ".vignette-cache"] {
      for file in FileSystem.files(under: online.path(folder)) {
        try ci.write(folder + "/" + file, FileManager.default.contents(atPath: online.path(folder + "/" + file))!)
      }
    }
    for file in ["pipeline.json", "vignette.lock.json"] {
      try ci.write(file, FileManager.default.contents(atPath: online.path(file))!)
    }
    let report = try await ci.build {
      $0.offline = true
      $0.network = fast
    }
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    #expect(try ci.outputDigest() == online.outputDigest())
    #expect(ci.read("vignette.lock.json") == online.read("vignette.lock.json"))
  }

  @Test func refusedVideosEndInWarningsAndAWorkingPage() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [480], "formats": ["auto"]}, "youtube": {\#(server.youtubeConfig)}}"#)
    try site.write(
      "assets/posts/p.md",
      "Three videos.\n{{< youtube gonegonegon >}}\n\n{{< youtube garbagejson >}}\n\n{{< youtube id=ok_ok_ok_ok title=\"Named\" >}}\n"
    )
    server.on("/oembed/gonegonegon", .text("Not Found", status: 404))
    server.on("/oembed/garbagejson", .text("Forbidden", status: 200))
    server.on("/oembed/ok_ok_ok_ok", .oembed(title: "Fine"))
    server.on("/vi/ok_ok_ok_ok/maxresdefault.jpg", .text("down", status: 503))
    server.on("/vi/ok_ok_ok_ok/sddefault.jpg", .jpeg(Posters.missing, status: 404))
    server.on("/vi/ok_ok_ok_ok/hqdefault.jpg", .jpeg(Posters.hq))
    let report = try await site.build { $0.network = fast }
    #expect(report.errors == 0, "\(report.diagnostics)")
    let warnings = report.diagnostics.map(\.description)
    #expect(warnings.count == 2, "\(warnings)")
    #expect(warnings.contains { $0.hasPrefix("assets/posts/p.md:2:") && $0.contains("404 Not Found") })
    #expect(warnings.contains { $0.hasPrefix("assets/posts/p.md:4:") && $0.contains("not a JSON object") })
    #expect(server.count("/vi/ok_ok_ok_ok/maxresdefault.jpg") == 3)

    let html = try #require(site.read("output/html/p.html"))
    #expect(html.contains(#"<figure class="vignette-video vignette-video--link">"#))
    #expect(try site.manifest().videos.first { $0.id == "gonegonegon" }?.unavailable == true)
    #expect(!html.contains(#"data-vignette-video="gonegonegon""#))
    #expect(html.contains("https://www.youtube.com/watch?v=gonegonegon"))
    #expect(html.contains(#"data-vignette-video="garbagejson""#))
    #expect(html.contains(#"data-title="Named""#) && html.contains(">Fine</span>"))
    let lock = try VideoLockfile.load(path: site.path("vignette.lock.json"), display: "lock")
    #expect(lock.videos.keys.sorted() == ["gonegonegon", "ok_ok_ok_ok"])
    #expect(lock.videos["gonegonegon"]?.unavailable == 404)
    #expect(lock.videos["ok_ok_ok_ok"]?.poster?.url.hasSuffix("/hqdefault.jpg") == true)
  }

  @Test func aPosterAboveMaxPixelsIsNotDecoded() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let site = try TestSite()
    try site.config(
      #"{"images": {"maxPixels": 500000, "formats": ["auto"]}, "youtube": {\#(server.youtubeConfig)}}"#)
    try site.write("assets/posts/p.md", "Big.\n\n{{< youtube \(Self.first) >}}\n")
    server.on("/oembed/\(Self.first)", .oembed(title: "Huge"))
    server.on("/vi/\(Self.first)/maxresdefault.jpg", .jpeg(Posters.maxres))
    let report = try await site.build { $0.network = fast }
    #expect(
      report.diagnostics.map(\.description) == [
        "assets/posts/p.md:3:1: warning: the poster of video \(Self.first) is 1280×720 pixels, more than images.maxPixels (500000); it was not decoded; shown with its title only"
      ])
    #expect(try site.read("output/html/p.html")?.contains(">Huge</span>") == true)
  }

  @Test func withoutNetworkTheBuildSaysSoOnceAndUsesTheLockfileTitles() async throws {
    let server = try LoopbackServer()
    let site = try Self.site(server)
    server.stop()
    var lock = VideoLockfile()
    lock.videos[Self.first] = .init(title: "流れゆく季節 - Nagareyuku kisetsu", origin: .hand)
    lock.videos[Self.second] = .init(title: "8の季節 - Hachi no kisetsu", origin: .hand)
    try site.write("vignette.lock.json", lock.encoded())
    let report = try await site.build { $0.network = fast }
    #expect(report.errors == 0)
    #expect(report.diagnostics.count == 1, "\(report.diagnostics)")
    #expect(report.diagnostics.first?.description.contains("cannot reach 127.0.0.1: connection refused") == true)
    #expect(server.requests.isEmpty)
    let html = try #require(site.read("output/html/look-back.html"))
    #expect(html.contains(#"<span class="vignette-video__title" dir="auto">流れゆく季節 - Nagareyuku kisetsu</span>"#))
    #expect(html.contains(#"<span class="vignette-video__blank"></span>"#))
    #expect(site.read("vignette.lock.json") == String(decoding: lock.encoded(), as: UTF8.self))

    // A video nobody ever recorded is a content problem: exit status 1.
    try site.write("assets/posts/new.md", "New.\n\n{{< youtube newnewnewne >}}\n")
    let offline = try await site.build {
      $0.offline = true
      $0.network = fast
    }
    #expect(offline.errors == 1, "\(offline.diagnostics)")
    #expect(
      offline.diagnostics.contains {
        $0.description.hasPrefix("assets/posts/new.md:3:1: error: video newnewnewne is not in vignette.lock.json")
      }, "\(offline.diagnostics)")
  }

  @Test func eachVideoMissingOfflineHasItsOwnLocatedError() async throws {
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [480], "formats": ["auto"]}, "youtube": {"offline": true}}"#)
    try site.write("assets/posts/a.md", "A.\n\n{{< youtube aaaaaaaaaaa >}}\n")
    try site.write("assets/posts/b.md", "B.\n\nText.\n\n  {{< youtube bbbbbbbbbbb >}}\n\n{{< youtube aaaaaaaaaaa >}}\n")
    let report = try await site.build()
    let errors = report.diagnostics.filter { $0.severity == .error }.map { "\($0.file):\($0.line):\($0.column)" }
    #expect(errors == ["assets/posts/a.md:3:1", "assets/posts/b.md:5:3"], "\(report.diagnostics)")
    #expect(report.diagnostics.allSatisfy { $0.message.contains("not in vignette.lock.json") })
    #expect(report.diagnostics.first { $0.file.hasSuffix("b.md") }?.message.hasPrefix("video bbbbbbbbbbb ") == true)
  }

  @Test func anUnavailableVideoIsLockedSoTheOfflineRebuildIsTheSame() async throws {
    let server = try LoopbackServer()
    let online = try TestSite()
    try online.config(#"{"images": {"widths": [480], "formats": ["auto"]}, "youtube": {\#(server.youtubeConfig)}}"#)
    try online.write("assets/posts/p.md", "Gone.\n\n{{< youtube gonegonegon >}}\n\n{{< youtube privateprvt >}}\n")
    server.on("/oembed/gonegonegon", .text("Not Found", status: 404))
    server.on("/oembed/privateprvt", .text("Unauthorized", status: 401))
    let first = try await online.build { $0.network = fast }
    server.stop()
    #expect(first.errors == 0 && first.warnings == 2, "\(first.diagnostics)")
    let lock = try VideoLockfile.load(path: online.path("vignette.lock.json"), display: "lock")
    #expect(lock.videos.mapValues(\.unavailable) == ["gonegonegon": 404, "privateprvt": 401])

    // CI: the committed files and a restored cache, offline.
    let ci = try TestSite()
    for file in FileSystem.files(under: online.path("assets")) + ["pipeline.json", "vignette.lock.json"] {
      let relative = file.hasSuffix(".json") && !file.contains("/") ? file : "assets/" + file
      try ci.write(relative, FileManager.default.contents(atPath: online.path(relative))!)
    }
    let second = try await ci.build {
      $0.offline = true
      $0.network = fast
    }
    #expect(second.diagnostics == first.diagnostics, "\(second.diagnostics)")
    #expect(try ci.outputDigest() == online.outputDigest())
    #expect(ci.read("output/html/p.html")?.contains("vignette-video--link") == true)
  }

  @Test func anEndpointSlowerThanTheTimeoutEndsInOneWarningAndATitleFacade() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let site = try TestSite()
    try site.config(#"{"images": {"widths": [480], "formats": ["auto"]}, "youtube": {\#(server.youtubeConfig)}}"#)
    try site.write("assets/posts/p.md", "Slow.\n\n{{< youtube \(Self.first) >}}\n\n{{< youtube \(Self.second) >}}\n")
    var lock = VideoLockfile()
    lock.videos[Self.first] = .init(title: "Typed in", origin: .hand)
    lock.videos[Self.second] = .init(title: "Also typed", origin: .hand)
    try site.write("vignette.lock.json", lock.encoded())
    var slow = LoopbackServer.Reply.oembed(title: "too late")
    slow.delay = 3
    server.on("/oembed/\(Self.first)", slow)
    server.on("/oembed/\(Self.second)", slow)
    let report = try await site.build {
      $0.network = impatient
      $0.network.concurrency = 1
    }
    #expect(report.errors == 0)
    #expect(report.diagnostics.count == 1, "\(report.diagnostics)")
    #expect(report.diagnostics.first?.message.contains("did not answer in time (3 attempts)") == true)
    #expect(server.requests.count == 3)
    let html = try #require(site.read("output/html/p.html"))
    #expect(html.contains(">Typed in</span>") && html.contains(">Also typed</span>"))
  }

  @Test func theExamplePostGetsLocalPostersAndTitlesWhenTheEndpointsAnswer() async throws {
    let server = try LoopbackServer()
    defer { server.stop() }
    let site = try TestSite.example()
    let config = try #require(site.read("pipeline.json"))
      .replacingOccurrences(of: "https://www.youtube.com/oembed", with: server.base + "/oembed")
      .replacingOccurrences(of: "https://i.ytimg.com/vi", with: server.base + "/vi")
    try site.write("pipeline.json", config)
    server.on("/oembed/\(Self.first)", .oembed(title: "流れゆく季節 - Nagareyuku kisetsu", author: "haruka nakamura"))
    server.on("/oembed/\(Self.second)", .oembed(title: "8の季節 - Hachi no kisetsu", author: "haruka nakamura"))
    server.on("/vi/\(Self.first)/maxresdefault.jpg", .jpeg(Posters.maxres))
    server.on("/vi/\(Self.second)/maxresdefault.jpg", .jpeg(Posters.maxres))
    let report = try await site.build {
      $0.offline = false
      $0.network = fast
    }
    #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    let html = try #require(site.read("output/html/look-back.html"))
    for id in [Self.first, Self.second] {
      #expect(html.contains(#"data-vignette-video="\#(id)""#))
      #expect(html.contains("../static/videos/\(id).1280w."))
    }
    #expect(html.contains(#"dir="auto">8の季節 - Hachi no kisetsu</span>"#))
    #expect(
      try site.manifest().videos.allSatisfy {
        $0.thumbnail?.variants.isEmpty == false && $0.author == "haruka nakamura"
      })
  }

  @Test func theExampleSiteBuildsOfflineFromItsCommittedLockfile() async throws {
    let site = try TestSite.example()
    let report = try await site.build { $0.offline = true }
    #expect(report.errors == 0)
    let warnings = report.diagnostics.filter { $0.message.contains("offline") }
    #expect(warnings.count == 1)
    let html = try #require(site.read("output/html/look-back.html"))
    #expect(html.contains("流れゆく季節 - Nagareyuku kisetsu"))
    #expect(html.contains("8の季節 - Hachi no kisetsu"))
  }
}

@Suite("Video facade markup")
struct VideoFacadeTests {
  @Test func everythingFromTheNetworkIsEscapedAndIsolated() {
    var video = Video(id: "qnY9NL0E5ZM", title: "\"><img src=x onerror=alert(1)> مرحبا")
    let html = VideoFacade.html(
      video: video, start: 12, end: nil, shortcodeTitle: "a \"b\" <c>",
      picture: PictureMarkup(urlPrefix: "", sizes: "100vw"),
      eager: false)
    #expect(!html.contains("<img src=x"))
    #expect(html.contains(#"dir="auto">&quot;&gt;&lt;img src=x onerror=alert(1)&gt; مرحبا</span>"#))
    #expect(html.contains(#"<bdi>&quot;&gt;&lt;img"#))
    #expect(html.contains(#"data-title="a &quot;b&quot; &lt;c&gt;""#))
    #expect(html.contains(#"href="https://www.youtube.com/watch?v=qnY9NL0E5ZM&amp;t=12s""#))
    #expect(!html.contains("data-end"))

    video.unavailable = true
    let link = VideoFacade.html(
      video: video, start: nil, end: nil, shortcodeTitle: nil, picture: PictureMarkup(urlPrefix: "", sizes: "100vw"),
      eager: false)
    #expect(!link.contains("data-vignette-video") && !link.contains("vignette-video__play"))
  }
}
