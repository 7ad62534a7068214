import Foundation
import Testing

@testable import Vignette

/// Watch mode through the library: a session runs in a task while the test edits the site
/// like a writer would, and waits (with a generous deadline) for the output to follow.
@Suite("Watch session")
struct WatchSessionTests {
  /// A session over `site`, running until the returned handle is stopped.
  final class Running: @unchecked Sendable {
    let session: WatchSession
    let task: Task<Void, Never>
    private let box = EventBox()

    init(_ site: TestSite) throws {
      var options = BuildOptions(configPath: site.path("pipeline.json"))
      options.jobs = 2
      session = try WatchSession(options: options)
      task = session.runOnOwnThread { [box] in box.append($0) }
    }

    var failures: [String] {
      box.all.compactMap { if case .failed(let message, _) = $0 { message } else { nil } }
    }

    var reports: [BuildReport] {
      box.all.compactMap { if case .built(let report, _) = $0 { report } else { nil } }
    }

    func stop() async {
      session.stop()
      await task.value
    }
  }

  final class EventBox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [WatchSession.Event] = []
    func append(_ event: WatchSession.Event) { lock.withLock { events.append(event) } }
    var all: [WatchSession.Event] { lock.withLock { events } }
  }

  func makeSite(_ name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    try site.config()
    try site.image("assets/images/a.png", width: 64, height: 48)
    try site.image("assets/images/b.jpg", width: 80, height: 40)
    try site.write("assets/posts/one.md", TestSite.post("One", images: ["a.png"]))
    try site.write("assets/posts/two.md", TestSite.post("Two", images: ["a.png", "b.jpg"]))
    return site
  }

  @Test("edits saved by rename or in place are rebuilt; other posts are left alone")
  func edits() async throws {
    let site = try makeSite()
    let watch = try Running(site)
    #expect(await eventually { watch.reports.count >= 1 })
    #expect(site.read("output/content/one.md")?.contains("# One") == true)
    let untouched = FileSystem.stamp(site.path("output/html/two.html"))

    try site.save("assets/posts/one.md", TestSite.post("One, renamed over", images: ["a.png"]))
    #expect(await eventually { site.read("output/content/one.md")?.contains("renamed over") == true })
    try site.overwrite("assets/posts/one.md", TestSite.post("One, rewritten in place", images: ["a.png"]))
    #expect(await eventually { site.read("output/html/one.html")?.contains("rewritten in place") == true })
    #expect(FileSystem.stamp(site.path("output/html/two.html")) == untouched)

    await watch.stop()
    #expect(watch.reports.allSatisfy { $0.errors == 0 })
  }

  @Test("a post in a new folder is built, and a post moved away loses its outputs")
  func foldersAndRenames() async throws {
    let site = try makeSite()
    let watch = try Running(site)
    #expect(await eventually { watch.reports.count >= 1 })

    try FileManager.default.createDirectory(
      atPath: site.path("assets/posts/2024/trips"), withIntermediateDirectories: true)
    try site.write("assets/posts/2024/trips/three.md", TestSite.post("Three", images: ["b.jpg"]))
    #expect(await eventually { site.exists("output/html/2024/trips/three.html") })
    #expect(site.read("output/html/2024/trips/three.html")?.contains("../../../static/") == true)

    try FileManager.default.moveItem(atPath: site.path("assets/posts/2024"), toPath: site.path("assets/posts/2025"))
    #expect(await eventually { site.exists("output/html/2025/trips/three.html") && !site.exists("output/html/2024") })

    try site.write("assets/posts/2025/trips/four.md", TestSite.post("Four"))
    #expect(await eventually { site.exists("output/content/2025/trips/four.md") })

    try site.remove("assets/posts/one.md")
    #expect(await eventually { !site.exists("output/content/one.md") && !site.exists("output/html/one.html") })
    await watch.stop()
    #expect(
      try site.manifest().posts.map(\.source).sorted() == [
        "assets/posts/2025/trips/four.md", "assets/posts/2025/trips/three.md", "assets/posts/two.md",
      ])
  }

  @Test("a replaced image is rendered again; a deleted one loses its variants and its posts report it")
  func images() async throws {
    let site = try makeSite()
    let watch = try Running(site)
    #expect(await eventually { watch.reports.count >= 1 })
    #expect(try site.manifest().images.first { $0.source == "assets/images/b.jpg" }?.width == 80)

    let temporary = site.path("assets/images/.b.jpg.tmp")
    try Data(TestImages.gradient(width: 120, height: 30, alpha: false, format: .jpeg)).write(
      to: URL(fileURLWithPath: temporary))
    #expect(rename(temporary, site.path("assets/images/b.jpg")) == 0)
    #expect(
      await eventually { (try? site.manifest())?.images.first { $0.source == "assets/images/b.jpg" }?.width == 120 })
    #expect(site.read("output/html/two.html")?.contains("height=\"30\"") == true)

    let variants = try site.manifest().images.first { $0.source == "assets/images/a.png" }!.variants.map(\.path)
    try site.remove("assets/images/a.png")
    #expect(await eventually { watch.reports.last?.errors == 2 })
    await watch.stop()
    for variant in variants { #expect(!site.exists("output/" + variant)) }
    let missing = watch.reports.last!.diagnostics.filter { $0.severity == .error }
    #expect(missing.map(\.file) == ["assets/posts/one.md", "assets/posts/two.md"])
    #expect(missing.allSatisfy { $0.line == 7 && $0.message.contains("/images/a.png") })
  }

  @Test("an image written slowly in place is rebuilt once it is complete, never half-written")
  func slowWrite() async throws {
    let site = try makeSite()
    let watch = try Running(site)
    #expect(await eventually { watch.reports.count >= 1 })
    let bytes = try TestImages.gradient(width: 96, height: 96, alpha: false, format: .png)
    // Written from a thread of its own: a task sleeping on Swift's cooperative pool can wake
    // seconds late while other tests keep the pool busy, past the watcher's 2 s limit for a
    // file left open, and the test would then measure the machine's load, not the watcher.
    let path = site.path("assets/images/a.png")
    try await onOwnThread {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      try handle.truncate(atOffset: 0)
      try handle.write(contentsOf: Data(bytes.prefix(bytes.count / 2)))
      Thread.sleep(forTimeInterval: 0.3)
      try handle.write(contentsOf: Data(bytes.dropFirst(bytes.count / 2)))
      try handle.close()
    }
    #expect(
      await eventually { (try? site.manifest())?.images.first { $0.source == "assets/images/a.png" }?.width == 96 })
    await watch.stop()
    #expect(watch.reports.allSatisfy { $0.errors == 0 }, "\(watch.reports.flatMap(\.diagnostics))")
  }

  @Test("a rebuild with problems keeps watching, and fixing them is picked up")
  func keepsRunning() async throws {
    let site = try makeSite()
    let watch = try Running(site)
    #expect(await eventually { watch.reports.count >= 1 })
    try site.save("assets/posts/one.md", TestSite.post("One", images: ["nowhere.png"]))
    #expect(await eventually { watch.reports.last?.errors == 1 })
    try site.image("assets/images/nowhere.png", width: 32, height: 32)
    #expect(
      await eventually {
        watch.reports.last?.errors == 0 && site.read("output/html/one.html")?.contains("nowhere") == true
      })
    await watch.stop()
  }

  @Test("a changed config is read again and applied; a broken one is reported and the old one kept")
  func config() async throws {
    let site = try makeSite()
    let watch = try Running(site)
    #expect(await eventually { watch.reports.count >= 1 })
    #expect(try site.manifest().images.allSatisfy { $0.variants.contains { $0.format != .webp } })
    try site.save("pipeline.json", #"{"images": {"formats": ["webp"]}}"#)
    #expect(
      await eventually {
        (try? site.manifest())?.images.allSatisfy { $0.variants.allSatisfy { $0.format == .webp } } == true
      })
    try site.save("pipeline.json", #"{"images": {"widths": [0]}}"#)
    #expect(await eventually { watch.failures.contains { $0.contains("images.widths[0]") } })
    try site.save("assets/posts/one.md", TestSite.post("One, still built", images: ["a.png"]))
    #expect(await eventually { site.read("output/html/one.html")?.contains("still built") == true })
    await watch.stop()
    #expect(try site.manifest().images.allSatisfy { $0.variants.allSatisfy { $0.format == .webp } })
  }

  @Test("scratch files of editors are ignored")
  func scratchNames() {
    for name in [".one.md.swp", "one.md~", "4913", ".#one.md", "#one.md#", ".one.md.1a2b.tmp"] {
      #expect(FileWatcher.isScratch(name), "\(name)")
    }
    #expect(!FileWatcher.isScratch("one.md"))
    #expect(!FileWatcher.isScratch(".hidden.png"))
  }
}
