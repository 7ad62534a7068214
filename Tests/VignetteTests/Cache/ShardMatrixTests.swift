import Foundation
import Testing
import Vips

@testable import Vignette

/// A site of ten pictures in five posts (a page bundle among them), small widths so the
/// suite stays quick.
func matrixSite(_ name: String = #function) throws -> TestSite {
  let site = try TestSite(name)
  try site.config(
    #"{"images": {"widths": [64, 160], "formats": ["webp", "auto"]}, "youtube": {"offline": true}}"#)
  for index in 0..<9 {
    let ext = index % 3 == 0 ? "png" : "jpg"
    try site.image(
      "assets/images/pic\(index).\(ext)", width: 120 + 17 * index, height: 80 + 5 * index, alpha: index == 3)
  }
  try site.image("assets/posts/bundle/cover.jpg", width: 200, height: 100)
  for post in 0..<4 {
    var text = "---\ntitle: Post \(post)\n---\n\n"
    for index in [post, post + 4, (post * 3 + 1) % 9] {
      let ext = index % 3 == 0 ? "png" : "jpg"
      text += "{{< figure src=\"/images/pic\(index).\(ext)\" alt=\"Picture \(index)\" >}}\n\n"
    }
    try site.write("assets/posts/post\(post).md", text)
  }
  try site.write("assets/posts/bundle/index.md", "# Bundle\n\n![cover](cover.jpg)\n\n![last](/images/pic8.jpg)\n")
  return site
}

/// A copy of `site`'s folder, as another CI runner's checkout would be (removed with the value).
final class SiteClone {
  let root: String

  init(_ site: TestSite, _ name: String) throws {
    root = site.root + "-" + name
    try? FileManager.default.removeItem(atPath: root)
    try FileManager.default.copyItem(atPath: site.root, toPath: root)
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  /// Runs the built `vignette` here with `--json` and returns its status and report.
  func vignette(_ arguments: [String], environment: [String: String] = [:]) async throws -> (
    Int32, [String: Any], String
  ) {
    let result = try await Self.run(arguments + ["--json"], in: root, environment: environment)
    let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
    return (result.status, report, result.stderr)
  }

  /// `CLI.run`, which waits on a thread of its own: a build takes many seconds on a busy
  /// machine, and waiting for it on Swift's cooperative pool (two threads on two cores) would
  /// starve every other test running meanwhile.
  static func run(_ arguments: [String], in folder: String, environment: [String: String] = [:]) async throws
    -> CLI.Result
  {
    try await CLI.run(arguments, in: folder, environment: environment)
  }

  /// Every file under `folder` with its bytes.
  func tree(_ folder: String) -> [String: Data] {
    var files: [String: Data] = [:]
    for relative in FileSystem.files(under: root + "/" + folder) {
      files[relative] = FileManager.default.contents(atPath: root + "/" + folder + "/" + relative)
    }
    return files
  }
}

/// The two `vignette build` lines of the README's "Past one machine" workflow, so the test
/// runs what users are told to run.
enum ReadmeWorkflow {
  static let lines: [String] = {
    let readme = (try? String(contentsOfFile: TestSite.repositoryRoot + "/README.md", encoding: .utf8)) ?? ""
    let section =
      readme.components(separatedBy: "## Past one machine").dropFirst().first?
      .components(separatedBy: "\n## ").first ?? ""
    return section.split(separator: "\n").compactMap { line in
      guard let range = line.range(of: ".build/release/vignette build") else { return nil }
      return String(line[range.lowerBound...].dropFirst(".build/release/vignette ".count))
    }
  }()

  /// The shard job's command for shard `index` against `url`.
  static func shard(_ index: Int, url: String) -> [String] {
    arguments(
      lines.first { $0.contains("--shard") } ?? "", ["${{ matrix.shard }}": "\(index)", "\"$VIGNETTE_CACHE\"": url])
  }

  /// The assemble job's command against `url`, as a fork's pull request runs it or not.
  static func assemble(url: String, fork: Bool) -> [String] {
    arguments(
      lines.first { !$0.contains("--shard") } ?? "",
      ["\"$VIGNETTE_CACHE\"": url, "$read_only": fork ? "--remote-cache-read-only" : ""])
  }

  private static func arguments(_ line: String, _ substitutions: [String: String]) -> [String] {
    var line = line
    for (name, value) in substitutions { line = line.replacingOccurrences(of: name, with: value) }
    return line.split(separator: " ").map(String.init)
  }
}

@Suite("Simulated CI matrix: 4 shards and an assemble sharing one nginx")
struct ShardMatrixTests {
  @Test("each source is rendered once across the shards; the assemble encodes nothing and matches a single build")
  func fourShardsThenAssemble() async throws {
    let site = try matrixSite()
    let server = try WebDAVServer()
    defer { server.stop() }
    let total = 10

    let single = try SiteClone(site, "single")
    let (singleStatus, singleReport, singleErrors) = try await single.vignette(["build"])
    #expect(singleStatus == 0, "\(singleErrors)")
    #expect(singleReport["rendered"] as? Int == total)

    var renderedByShards: [Int] = []
    var keysByShard: [Set<String>] = []
    var shards: [SiteClone] = []
    for index in 1...4 {
      let shard = try SiteClone(site, "shard\(index)")
      shards.append(shard)
      let (status, report, errors) = try await shard.vignette([
        "build", "--shard", "\(index)/4", "--remote-cache", server.url,
      ])
      #expect(status == 0, "\(errors)")
      #expect(report["shard"] as? String == "\(index)/4")
      #expect(report["rendered"] as? Int == report["uploaded"] as? Int)
      #expect((report["rendered"] as? Int ?? 0) + (report["otherShards"] as? Int ?? 0) == total)
      renderedByShards.append(report["rendered"] as? Int ?? -1)
      // A shard writes no site output.
      #expect(!FileManager.default.fileExists(atPath: shard.root + "/output"))
      keysByShard.append(Set(shard.tree(".vignette-cache/renders").keys))
    }
    #expect(renderedByShards.reduce(0, +) == total)
    #expect(keysByShard.reduce(Set<String>()) { $0.union($1) }.count == total)
    #expect(keysByShard.map(\.count).reduce(0, +) == total, "a source was rendered by two shards")
    #expect(server.stored.filter { $0.hasPrefix("ac/") }.count == total)

    // A shard re-run on a fresh runner (no local cache) finds its share on the server with
    // HEAD requests: it downloads, renders and uploads nothing.
    let rerun = try SiteClone(site, "rerun1")
    let (gets, putsBefore) = (server.count("GET"), server.count("PUT"))
    let (rerunStatus, rerunReport, rerunErrors) = try await rerun.vignette([
      "build", "--shard", "1/4", "--remote-cache", server.url,
    ])
    #expect(rerunStatus == 0, "\(rerunErrors)")
    #expect(rerunReport["rendered"] as? Int == 0)
    #expect(rerunReport["downloaded"] as? Int == 0)
    #expect(rerunReport["onRemote"] as? Int == renderedByShards[0])
    #expect(server.count("GET") == gets)
    #expect(server.count("PUT") == putsBefore)

    let assemble = try SiteClone(site, "assemble")
    let (status, report, errors) = try await assemble.vignette(ReadmeWorkflow.assemble(url: server.url, fork: false))
    #expect(status == 0, "\(errors)")
    #expect(report["rendered"] as? Int == 0)
    #expect(report["downloaded"] as? Int == total)
    #expect(report["warnings"] as? Int == 0)
    let expected = single.tree("output")
    let actual = assemble.tree("output")
    #expect(expected.count > total)
    #expect(actual.keys.sorted() == expected.keys.sorted())
    for (path, data) in expected where actual[path] != data {
      Issue.record("output/\(path) differs from the single-machine build")
    }
    // The assemble's PUTs: none (it rendered nothing, and the shards published everything).
    #expect(server.count("PUT") == server.stored.count)

    // A fork's pull request, with one picture changed: it reads the rest, renders the new
    // one itself and uploads nothing.
    let fork = try SiteClone(site, "fork")
    try Data(TestImages.gradient(width: 150, height: 90, alpha: false, format: .jpeg))
      .write(to: URL(fileURLWithPath: fork.root + "/assets/images/pic1.jpg"))
    let puts = server.count("PUT")
    let (forkStatus, forkReport, forkErrors) = try await fork.vignette(
      ReadmeWorkflow.assemble(url: server.url, fork: true))
    #expect(forkStatus == 0, "\(forkErrors)")
    #expect(forkReport["rendered"] as? Int == 1)
    #expect(forkReport["downloaded"] as? Int == total - 1)
    #expect(server.count("PUT") == puts)
  }
}

@Suite("Builds with a remote cache")
struct RemoteBuildTests {
  /// A single-machine build's output, for comparison.
  func reference(_ site: TestSite) async throws -> [String: Data] {
    let single = try SiteClone(site, "reference")
    let (status, _, errors) = try await single.vignette(["build"])
    #expect(status == 0, "\(errors)")
    return single.tree("output")
  }

  @Test("a tampered object: rendered locally, one warning, the output still right")
  func tamperedObject() async throws {
    let site = try matrixSite()
    let server = try WebDAVServer()
    defer { server.stop() }
    let publisher = try SiteClone(site, "publisher")
    let published = try await publisher.vignette(["build", "--remote-cache", server.url])
    #expect(published.0 == 0, "\(published.2)")
    for name in server.stored where name.hasPrefix("cas/") {
      var data = try Data(contentsOf: URL(fileURLWithPath: server.store + "/" + name))
      data[data.count - 1] ^= 0x55
      try data.write(to: URL(fileURLWithPath: server.store + "/" + name))
    }
    let clone = try SiteClone(site, "consumer")
    let (status, report, errors) = try await clone.vignette(["build", "--remote-cache", server.url])
    #expect(status == 0)
    #expect(report["downloaded"] as? Int == 0)
    #expect(report["rendered"] as? Int == 10)
    #expect(report["warnings"] as? Int == 1)
    #expect(errors.contains("does not match its hash"))
    #expect(clone.tree("output") == (try await reference(site)))
  }

  @Test("a server that is down: the build renders everything locally and warns once")
  func serverDown() async throws {
    let site = try matrixSite()
    let clone = try SiteClone(site, "down")
    let (status, report, errors) = try await clone.vignette([
      "build", "--remote-cache", "http://127.0.0.1:\(try WebDAVServer.freePort())",
    ])
    #expect(status == 0)
    #expect(report["rendered"] as? Int == 10)
    #expect(report["warnings"] as? Int == 1)
    #expect(errors.components(separatedBy: "remote cache").count == 2, "\(errors)")
    #expect(clone.tree("output") == (try await reference(site)))
  }

  @Test("read-only, from the flag or the config: renders locally, uploads nothing")
  func readOnly() async throws {
    let site = try matrixSite()
    let server = try WebDAVServer()
    defer { server.stop() }
    let flag = try SiteClone(site, "flag")
    let (status, report, _) = try await flag.vignette([
      "build", "--remote-cache", server.url, "--remote-cache-read-only",
    ])
    #expect(status == 0)
    #expect(report["rendered"] as? Int == 10)
    #expect(report["uploaded"] as? Int == 0)
    let config = try SiteClone(site, "config")
    try Data(
      #"{"images": {"widths": [64, 160], "formats": ["webp", "auto"]}, "youtube": {"offline": true}, "remoteCache": {"url": "\#(server.url)", "readOnly": true}}"#
        .utf8
    )
    .write(to: URL(fileURLWithPath: config.root + "/pipeline.json"))
    #expect(try await config.vignette(["build"]).0 == 0)
    #expect(server.stored.isEmpty)
    #expect(server.count("PUT") == 0)
    // A read-only shard would publish nothing: refused as bad usage.
    let (shardStatus, _, shardErrors) = try await flag.vignette([
      "build", "--shard", "1/2", "--remote-cache", server.url, "--remote-cache-read-only",
    ])
    #expect(shardStatus == 2)
    #expect(shardErrors.contains("not read-only"))
  }

  @Test("bad flags and a bad header variable exit 2 and name what is wrong")
  func badUsage() async throws {
    let site = try matrixSite()
    let clone = try SiteClone(site, "usage")
    for (arguments, message) in [
      (["build", "--shard", "5/4", "--remote-cache", "http://127.0.0.1:9"], "--shard"),
      (["build", "--shard", "1/4"], "needs a remote cache"),
      (["build", "--remote-cache", "ftp://cache"], "--remote-cache"),
    ] {
      let (status, _, errors) = try await clone.vignette(arguments)
      #expect(status == 2, "\(arguments)")
      #expect(errors.contains(message), "\(errors)")
    }
    let (status, _, errors) = try await clone.vignette(
      ["build", "--remote-cache", "http://127.0.0.1:9"], environment: ["VIGNETTE_REMOTE_CACHE_HEADER": "secret-token"])
    #expect(status == 2)
    #expect(errors.contains("VIGNETTE_REMOTE_CACHE_HEADER") && !errors.contains("secret-token"))
  }

  @Test("gc removes what the site no longer uses and reports it; build --gc does the same after building")
  func garbageCollection() async throws {
    let site = try matrixSite()
    let clone = try SiteClone(site, "gc")
    #expect(try await clone.vignette(["build"]).0 == 0)
    let before = clone.tree(".vignette-cache/renders").count
    #expect(before == 10)
    // Nothing to collect on an unchanged site.
    let (_, idle, _) = try await clone.vignette(["gc"])
    #expect(idle["command"] as? String == "gc")
    #expect(idle["gcRemovedFiles"] as? Int == 0)
    // Drop two pictures from their posts: their renders and objects go, the rest stay.
    try Data("# No pictures any more\n".utf8).write(
      to: URL(fileURLWithPath: clone.root + "/assets/posts/bundle/index.md"))
    let (status, report, _) = try await clone.vignette(["gc"])
    #expect(status == 0)
    #expect((report["gcRemovedFiles"] as? Int ?? 0) > 2)
    #expect((report["gcFreedBytes"] as? Int ?? 0) > 0)
    #expect(clone.tree(".vignette-cache/renders").count == 8)
    // The collected cache still serves the site: nothing to encode.
    let (_, rebuilt, _) = try await clone.vignette(["build", "--gc"])
    #expect(rebuilt["rendered"] as? Int == 0)
    #expect(rebuilt["gcRemovedFiles"] as? Int == 0)
    let text = try await SiteClone.run(["gc"], in: clone.root)
    #expect(text.stdout.contains("Collected the cache: removed 0 files"))
  }
}
