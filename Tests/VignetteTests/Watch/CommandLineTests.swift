import Foundation
import Testing

@testable import Vignette

/// The `vignette` executable as writers and CI jobs use it: `watch` with real edits and
/// signals, `check` on clean and stale output, GitHub annotations, `--json` and `--strict`.
@Suite("Command line")
struct CommandLineTests {
  func makeSite(_ name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    try site.config()
    try site.image("assets/images/a.png", width: 64, height: 48)
    try site.write("assets/posts/one.md", TestSite.post("One", images: ["a.png"]))
    return site
  }

  @Test("watch follows edits, renames, deletes and new folders, and stops on SIGTERM with 130")
  func watch() async throws {
    let site = try makeSite()
    let run = try CommandRun(["watch", "--jobs", "2"], in: site.root)
    #expect(await eventually { run.standardError.contains("watching") })
    #expect(site.read("output/html/one.html")?.contains("<h1>One</h1>") == true)

    try site.save("assets/posts/one.md", TestSite.post("One, edited", images: ["a.png"]))
    #expect(await eventually { site.read("output/html/one.html")?.contains("One, edited") == true })

    try FileManager.default.createDirectory(
      atPath: site.path("assets/posts/new/deeper"), withIntermediateDirectories: true)
    try site.write("assets/posts/new/deeper/two.md", TestSite.post("Two", images: ["a.png"]))
    #expect(await eventually { site.exists("output/html/new/deeper/two.html") })

    try FileManager.default.moveItem(atPath: site.path("assets/posts/one.md"), toPath: site.path("assets/posts/uno.md"))
    #expect(await eventually { site.exists("output/html/uno.html") && !site.exists("output/html/one.html") })

    try site.remove("assets/images/a.png")
    #expect(await eventually { run.standardError.contains("assets/posts/uno.md:7:1: error:") })
    #expect(await eventually { run.standardError.contains("assets/posts/new/deeper/two.md:7:1: error:") })
    #expect(run.process.isRunning)

    run.process.terminate()
    #expect(await run.finish() == 130)
    // What is left is one whole build: the manifest lists exactly the posts there are.
    let manifest = try site.manifest()
    #expect(manifest.posts.map(\.html).sorted() == ["html/new/deeper/two.html", "html/uno.html"])
    #expect(manifest.images.isEmpty)
    #expect(FileSystem.files(under: site.path("output/static")).isEmpty)
  }

  @Test("watch --json prints a JSON line per build; Ctrl-C (SIGINT) stops it with 130")
  func watchJSONAndInterrupt() async throws {
    let site = try makeSite()
    let run = try CommandRun(["watch", "--json"], in: site.root)
    #expect(await eventually { run.standardOutput.contains("\n") })
    try site.save("assets/posts/one.md", TestSite.post("One, edited", images: ["a.png"]))
    #expect(await eventually { run.standardOutput.split(separator: "\n").count == 2 })
    kill(run.process.processIdentifier, SIGINT)
    #expect(await run.finish() == 130)
    let lines = run.standardOutput.split(separator: "\n").map {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(lines.count == 2)
    #expect(lines.allSatisfy { $0?["command"] as? String == "watch" })
    #expect(lines.last??["changes"] as? [String] == ["assets/posts/one.md"])
    #expect(lines.last??["written"] as? Int == 2)
    #expect((lines.last??["stageSeconds"] as? [String: Double])?.keys.contains("write") == true)
  }

  @Test("check passes on fresh output and lists each difference on stale output, writing nothing")
  func check() async throws {
    let site = try makeSite()
    #expect(try await CommandRun.run(["build"], in: site.root).status == 0)
    let clean = try await CommandRun.run(["check"], in: site.root)
    #expect(clean.status == 0)
    #expect(clean.out.contains("Checked 1 post"))

    try site.write("output/content/one.md", "edited by hand\n")
    try site.remove("output/html/one.html")
    try site.write("output/html/extra.html", "left over\n")
    let before = FileSystem.files(under: site.path("output")).map { ($0, site.read("output/" + $0)) }
    let stale = try await CommandRun.run(["check"], in: site.root)
    #expect(stale.status == 1)
    #expect(stale.err.contains("output/content/one.md:1:1: error: out of date (made from assets/posts/one.md)"))
    #expect(stale.err.contains("output/html/one.html:1:1: error: missing (made from assets/posts/one.md)"))
    #expect(stale.err.contains("output/html/extra.html:1:1: error: no longer produced by the build"))
    let after = FileSystem.files(under: site.path("output")).map { ($0, site.read("output/" + $0)) }
    #expect(after.map(\.0) == before.map(\.0))
    #expect(after.map(\.1) == before.map(\.1))

    // Where output/ is not committed, CI checks the sources alone.
    try FileManager.default.removeItem(atPath: site.path("output"))
    let sources = try await CommandRun.run(["check", "--skip-output"], in: site.root)
    #expect(sources.status == 0, "\(sources.err)")
    try site.write("assets/posts/two.md", TestSite.post("Two", images: ["gone.png"]))
    #expect(try await CommandRun.run(["check", "--skip-output"], in: site.root).status == 1)
    #expect(!site.exists("output"))
  }

  @Test("check without a cache renders in memory, compares bytes and writes no cache")
  func checkCold() async throws {
    let site = try makeSite()
    #expect(try await CommandRun.run(["build"], in: site.root).status == 0)
    try FileManager.default.removeItem(atPath: site.path(".vignette-cache"))
    let clean = try await CommandRun.run(["check"], in: site.root)
    #expect(clean.status == 0, "\(clean.err)")
    #expect(!site.exists(".vignette-cache"))

    let variant = try #require(try site.manifest().images.first?.variants.first?.path)
    // Same size, different bytes: only a byte comparison notices.
    let url = URL(fileURLWithPath: site.path("output/" + variant))
    var bytes = try Data(contentsOf: url)
    bytes[bytes.count / 2] ^= 0xFF
    try bytes.write(to: url)
    let stale = try await CommandRun.run(["check"], in: site.root)
    #expect(stale.status == 1)
    #expect(stale.err.contains("output/\(variant):1:1: error: out of date (made from assets/images/"), "\(stale.err)")
  }

  @Test("under GitHub Actions problems are also workflow annotations")
  func annotations() async throws {
    let site = try makeSite()
    try site.write(
      "assets/posts/two.md",
      TestSite.post("Two", images: ["gone.png"], extra: "`{{< figure src=\"/images/a.png\" >}}`\n"))
    let result = try await CommandRun.run(["check"], in: site.root, environment: ["GITHUB_ACTIONS": "true"])
    #expect(result.status == 1)
    let lines = result.out.split(separator: "\n").map(String.init)
    #expect(
      lines.contains {
        $0.hasPrefix("::error file=assets/posts/two.md,line=7,col=1::") && $0.contains("/images/gone.png")
      })
    #expect(
      lines.contains {
        $0.hasPrefix("::warning file=assets/posts/two.md,line=9,col=2::Hugo runs this shortcode even inside code")
      })
    #expect(lines.contains { $0.hasPrefix("::error file=output/html/one.html,line=1,col=1::missing (made from ") })
    #expect(result.err.contains("assets/posts/two.md:7:1: error:"))
    // Paths are relative to the workspace, also when the site is in a subfolder of it.
    let parent = (site.root as NSString).deletingLastPathComponent
    let name = (site.root as NSString).lastPathComponent
    let nested = try await CommandRun.run(
      ["check", "--config", name + "/pipeline.json"], in: parent, environment: ["GITHUB_ACTIONS": "true"])
    #expect(nested.out.contains("::error file=\(name)/assets/posts/two.md,line=7,col=1::"))
    #expect(nested.err.contains("assets/posts/two.md:7:1: error:"))
    // Outside GitHub Actions, none.
    let plain = try await CommandRun.run(["check"], in: site.root)
    #expect(!plain.out.contains("::error"))
  }

  @Test("--json prints one report; --strict makes warnings fail")
  func jsonAndStrict() async throws {
    let site = try makeSite()
    try site.write("assets/posts/two.md", TestSite.post("Two", extra: "`{{< figure src=\"/images/a.png\" >}}`\n"))
    let build = try await CommandRun.run(["build", "--json"], in: site.root)
    #expect(build.status == 0)
    let report = try #require(try JSONSerialization.jsonObject(with: Data(build.out.utf8)) as? [String: Any])
    #expect(report["command"] as? String == "build")
    #expect(report["posts"] as? Int == 2)
    #expect(report["warnings"] as? Int == 1)
    #expect(report["rendered"] as? Int == 1)
    #expect((report["stageSeconds"] as? [String: Double])?.keys.contains("render") == true)
    #expect((report["diagnostics"] as? [[String: Any]])?.first?["severity"] as? String == "warning")

    let strict = try await CommandRun.run(["check", "--strict", "--json"], in: site.root)
    #expect(strict.status == 1)
    let checked = try #require(try JSONSerialization.jsonObject(with: Data(strict.out.utf8)) as? [String: Any])
    #expect(checked["command"] as? String == "check")
    #expect(checked["errors"] as? Int == 1)
    #expect(checked["status"] as? Int == 1)
    #expect(strict.err.contains("assets/posts/two.md:7:2: error: Hugo runs this shortcode"))
  }

  @Test("off a terminal: a line per stage and a summary; --quiet prints errors only; no colour")
  func plainOutput() async throws {
    let site = try makeSite()
    try site.write("assets/posts/two.md", TestSite.post("Two", images: ["gone.png"]))
    let loud = try await CommandRun.run(["build"], in: site.root)
    #expect(loud.err.contains("vignette: render\n"))
    #expect(loud.out.contains("Built 2 posts"))
    #expect(!loud.err.contains("\u{1B}["))
    let quiet = try await CommandRun.run(["build", "--quiet"], in: site.root)
    #expect(quiet.status == 1)
    #expect(quiet.out.isEmpty)
    #expect(quiet.err.split(separator: "\n").count == 1)
    #expect(quiet.err.hasPrefix("assets/posts/two.md:7:1: error: "))
  }
}
