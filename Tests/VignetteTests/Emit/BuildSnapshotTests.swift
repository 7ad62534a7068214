import Foundation
import Testing

@testable import Vignette

/// The build snapshot answers a build only when every file is as the last build left it:
/// each test makes one change that a wrong snapshot would miss, and checks that the build
/// after it saw the change, by running one more build through every stage (no snapshot),
/// which must then find nothing to write or remove, and report what the first did.
@Suite struct BuildSnapshotTests {
  /// A markdown site of three posts (one a page bundle, one showing a picture that is not
  /// there yet), two pictures, and a Hugo config beside it.
  func site(_ name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    try site.config(#"{"images": {"widths": [160, 320], "formats": ["webp", "auto"]}}"#)
    try site.image("assets/images/wide.jpg", width: 640, height: 400)
    try site.image("assets/posts/bundle/leaf.png", width: 300, height: 200, alpha: true)
    try site.write("assets/posts/a.md", "# A\n\n![Wide](/images/wide.jpg)\n")
    try site.write("assets/posts/bundle/index.md", "# Bundle\n\n{{< figure src=\"leaf.png\" alt=\"Leaf\" >}}\n")
    try site.write("assets/posts/later.md", "# Later\n\n![Soon](/images/later.jpg)\n")
    return site
  }

  /// Builds `site` until a build takes a snapshot (the files it read were last changed
  /// long enough before it started), and checks the next build is answered by it.
  func snapshotted(_ site: TestSite) async throws -> BuildReport {
    let first = try await site.build()
    // A file changed within a clock tick of a build's start makes it take no snapshot.
    try await Task.sleep(for: .milliseconds(250))
    // Through every stage, unless the first build already took a snapshot (it does when the
    // files it read were written a tick before it started).
    let full = try await site.build()
    #expect(FileSystem.isFile(site.path(".vignette-cache/snapshot.bin")))
    let answered = try await site.build()
    #expect(answered.upToDate == true)
    #expect(answered.written == 0 && answered.removed == 0 && answered.documentsParsed == 0)
    #expect(answered.posts == first.posts && answered.references == first.references)
    #expect(answered.images == first.images && answered.variants == first.variants)
    #expect(answered.reused == first.rendered + first.reused && answered.rendered == 0)
    #expect(answered.diagnostics == full.diagnostics)
    return answered
  }

  /// Builds after a change: not answered by the snapshot, and right, as a build through
  /// every stage afterwards finds nothing to do and reports the same.
  @discardableResult
  func buildSeeing(_ site: TestSite, _ what: Comment) async throws -> BuildReport {
    let report = try await site.build()
    #expect(report.upToDate == nil, what)
    let full = try await site.build { $0.usesSnapshot = false }
    #expect(full.written == 0 && full.removed == 0 && full.documentsWritten == 0, what)
    #expect(full.diagnostics == report.diagnostics, what)
    #expect(full.posts == report.posts && full.images == report.images && full.variants == report.variants, what)
    return report
  }

  /// Sets the mtime of `path` back to `stamp`'s, leaving the new bytes (the ctime moves).
  func restoreModified(_ path: String, to stamp: FileStamp) {
    let time = timespec(tv_sec: Int(stamp.modified / 1_000_000_000), tv_nsec: Int(stamp.modified % 1_000_000_000))
    #expect(utimensat(AT_FDCWD, path, [time, time], 0) == 0)
  }

  @Test func aNoOpIsAnsweredWithTheLastBuildsCountsAndDiagnostics() async throws {
    let site = try site()
    let answered = try await snapshotted(site)
    #expect(answered.posts == 3 && answered.images == 2)
    #expect(answered.diagnostics.map(\.message).contains { $0.contains("later.jpg") })
  }

  @Test func aPostEditedToTheSameSizeAndMtimeIsSeen() async throws {
    let site = try site()
    try await snapshotted(site)
    let file = site.path("assets/posts/a.md")
    let before = try #require(FileSystem.stamp(file))
    try site.write("assets/posts/a.md", "# B\n\n![Wide](/images/wide.jpg)\n")
    restoreModified(file, to: before)
    #expect(FileSystem.stamp(file) == before)
    try await buildSeeing(site, "a same-size edit under the old mtime")
    #expect(site.read("output/content/a.md")?.hasPrefix("# B") == true)
  }

  @Test func aPictureReplacedUnderTheSameNameIsSeen() async throws {
    let site = try site()
    try await snapshotted(site)
    let before = try #require(FileSystem.stamp(site.path("assets/images/wide.jpg")))
    try site.image("assets/images/wide.jpg", width: 500, height: 500)
    restoreModified(site.path("assets/images/wide.jpg"), to: before)
    try await buildSeeing(site, "a replaced picture")
    #expect(site.read("output/html/a.html")?.contains(#"width="320" height="320""#) == true)
  }

  @Test func aBrokenPictureMendedInPlaceIsSeen() async throws {
    let site = try site()
    try site.write("assets/images/broken.jpg", "not a picture")
    try site.write("assets/posts/broken.md", "# Broken\n\n![Broken](/images/broken.jpg)\n")
    let answered = try await snapshotted(site)
    #expect(answered.diagnostics.hasErrors)
    // Written over in place (no new inode, no change to its folder).
    let handle = try #require(FileHandle(forWritingAtPath: site.path("assets/images/broken.jpg")))
    try handle.write(contentsOf: try TestImages.gradient(width: 200, height: 100, alpha: false, format: .jpeg))
    try handle.close()
    let report = try await buildSeeing(site, "a broken picture mended in place")
    #expect(!report.diagnostics.contains { $0.file.contains("broken") }, "\(report.diagnostics)")
  }

  @Test func aPictureThatNowExistsWhereAPostLookedIsSeen() async throws {
    let site = try site()
    try await snapshotted(site)
    try site.image("assets/images/later.jpg", width: 400, height: 300)
    let report = try await buildSeeing(site, "a missing picture created")
    #expect(!report.diagnostics.map(\.message).contains { $0.contains("later.jpg") })
    #expect(report.images == 3)
  }

  @Test func postsAddedAndRemovedAreSeen() async throws {
    let site = try site()
    try await snapshotted(site)
    try site.write("assets/posts/deep/new/c.md", "# C\n\n![Wide](/images/wide.jpg)\n")
    #expect(try await buildSeeing(site, "a new post in a new folder").posts == 4)
    #expect(site.read("output/html/deep/new/c.html") != nil)
    try await Task.sleep(for: .milliseconds(250))
    try await site.build()
    #expect(try await site.build().upToDate == true)
    try FileManager.default.removeItem(atPath: site.path("assets/posts/bundle"))
    #expect(try await buildSeeing(site, "a bundle removed").posts == 3)
    #expect(site.read("output/html/bundle/index.html") == nil)
  }

  @Test func outputsRemovedEditedOrAddedAreSeen() async throws {
    let site = try site()
    try await snapshotted(site)
    try FileManager.default.removeItem(atPath: site.path("output/html/a.html"))
    try await buildSeeing(site, "an output removed")
    #expect(site.read("output/html/a.html") != nil)

    try await Task.sleep(for: .milliseconds(250))
    try await site.build()
    #expect(try await site.build().upToDate == true)
    let page = site.path("output/content/a.md")
    let before = try #require(FileSystem.stamp(page))
    try site.write("output/content/a.md", "# Z\n\n![Wide](/images/wide.jpg)\n")
    restoreModified(page, to: before)
    try await buildSeeing(site, "an output edited")
    #expect(site.read("output/content/a.md")?.hasPrefix("# A") == true)

    try await Task.sleep(for: .milliseconds(250))
    try await site.build()
    #expect(try await site.build().upToDate == true)
    let variants = try #require(FileSystem.folders(under: site.path("output/static")).last)
    try site.write(FileSystem.relative(variants, to: site.root) + "/stray.webp", "not Vignette's")
    try await buildSeeing(site, "a stray file in a folder Vignette owns")
    #expect(!FileSystem.isFile(variants + "/stray.webp"))
  }

  @Test func aChangedConfigOrLockfileIsSeen() async throws {
    let site = try site()
    try await snapshotted(site)
    try site.config(#"{"images": {"widths": [160, 320], "formats": ["webp", "auto"], "sizes": "50vw"}}"#)
    try await buildSeeing(site, "new settings")
    #expect(site.read("output/html/a.html")?.contains(#"sizes="50vw""#) == true)

    try await Task.sleep(for: .milliseconds(250))
    try await site.build()
    #expect(try await site.build().upToDate == true)
    try site.write("vignette.lock.json", "not json")
    let report = try await buildSeeing(site, "a lockfile written")
    #expect(report.diagnostics.hasErrors)
  }

  /// The theme check reads templates the snapshot does not stamp: its warnings are made
  /// afresh even for a build the snapshot answers.
  @Test func aThemeTemplateAddedIsWarnedAboutEvenWhenUpToDate() async throws {
    let site = try site()
    try site.write("hugo.toml", "title = \"T\"\n")
    let answered = try await snapshotted(site)
    #expect(!answered.diagnostics.map(\.file).contains("layouts/shortcodes/figure.html"))
    try site.write("layouts/shortcodes/figure.html", "<figure>{{ .Get \"src\" }}</figure>\n")
    let report = try await site.build()
    #expect(report.upToDate == true)
    #expect(report.diagnostics.map(\.file).contains("layouts/shortcodes/figure.html"))
  }

  /// Offline, a video the lockfile knows without a poster stays so: answered by the snapshot,
  /// with the same warning. Online, a YouTube that cannot be reached is tried again next time.
  @Test func videosOfflineAreAnsweredButUnreachableOnesAreTriedAgain() async throws {
    let site = try site()
    try site.write("assets/posts/video.md", "# Video\n\n{{< youtube GBl2DSOL7bw >}}\n")
    try site.write(
      "vignette.lock.json",
      #"{"version": 1, "videos": {"GBl2DSOL7bw": {"title": "A video", "author": "someone", "origin": "hand"}}}"#)
    try site.config(#"{"images": {"widths": [160, 320], "formats": ["webp", "auto"]}, "youtube": {"offline": true}}"#)
    let answered = try await snapshotted(site)
    #expect(answered.videos == 1 && answered.diagnostics.contains { $0.message.contains("no poster for GBl2DSOL7bw") })

    try site.config(
      #"{"images": {"widths": [160, 320], "formats": ["webp", "auto"]}, "youtube": {"oembed": "http://127.0.0.1:9/oembed", "thumbnails": "http://127.0.0.1:9/vi"}}"#
    )
    try await site.build()
    try await Task.sleep(for: .milliseconds(250))
    let online = try await site.build()
    #expect(online.diagnostics.contains { $0.message.contains("cannot reach") }, "\(online.diagnostics)")
    #expect(!FileSystem.isFile(site.path(".vignette-cache/snapshot.bin")))
    #expect(try await site.build().upToDate == nil)
  }

  @Test func aDamagedSnapshotIsNone() async throws {
    let site = try site()
    try await snapshotted(site)
    let file = site.path(".vignette-cache/snapshot.bin")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
    try await buildSeeing(site, "half a snapshot")
    var flipped = [UInt8](bytes)
    flipped[flipped.count - 3] ^= 1
    try Data(flipped).write(to: URL(fileURLWithPath: file))
    #expect(try await site.build().upToDate == nil)
  }

  /// A check never takes the snapshot's word, and watch mode neither reads nor keeps one.
  @Test func checksAndWatchBuildsRunEveryStage() async throws {
    let site = try site()
    try await snapshotted(site)
    try site.write("output/html/a.html", "edited by hand")
    let check = try await site.build(check: true)
    #expect(check.upToDate == nil && check.differences.map(\.file) == ["output/html/a.html"])
    try await site.build { $0.usesSnapshot = false }
    #expect(!FileSystem.isFile(site.path(".vignette-cache/snapshot.bin")))
  }

  /// Site mode: a page the generator writes again (as it was before Vignette rewrote it), or
  /// a page it adds, is rewritten.
  @Test func siteModeSeesPagesWrittenAgainOrAdded() async throws {
    let site = try SiteBuildTests().site()
    try await site.build()
    try await Task.sleep(for: .milliseconds(250))
    let full = try await site.build()
    #expect(FileSystem.isFile(site.path(".vignette-cache/site/snapshot.bin")))
    let answered = try await site.build()
    #expect(answered.upToDate == true && answered.pages == 2 && answered.diagnostics == full.diagnostics)
    let rewritten = try #require(site.read("public/posts/a/index.html"))

    try site.write("public/posts/a/index.html", SiteBuildTests.post)
    try site.write("public/b/index.html", "<p><img src=\"../images/wide.jpg\" alt=\"b\"></p>\n")
    let report = try await buildSeeing(site, "a page written again and a page added")
    #expect(report.pages == 3 && report.documentsWritten == 2)
    #expect(site.read("public/posts/a/index.html") == rewritten)
    #expect(site.read("public/b/index.html")?.contains("<picture") == true)
  }

  @Test func aFileChangedCloseToTheBuildsStartIsRacy() throws {
    let site = try site()
    let snapshot = BuildSnapshot(path: site.path("snapshot.bin"), context: "c", root: site.root)
    let stored = BuildSnapshot.Stored(report: BuildReport(), kinds: [])
    let started = BuildSnapshot.now()
    try site.write("assets/posts/fresh.md", "# Fresh\n")
    try snapshot.record(
      stored, started: started, inputs: SnapshotInputs(read: [site.path("assets/posts/fresh.md")]),
      outputs: EmittedOutputs())
    #expect(!FileSystem.isFile(site.path("snapshot.bin")), "changed after the build started")
    // The snapshot is written as it is stamped: the file it had begun is gone too, also when
    // the racy file is one of many read one by one.
    var inputs = SnapshotInputs(read: (0..<3).map { _ in site.path("assets/posts/fresh.md") })
    inputs.eachRead = { read in for _ in 0..<50_000 { read(site.path("assets/posts/old.md"), nil) } }
    try site.write("assets/posts/old.md", "# Old\n")
    try snapshot.record(stored, started: started, inputs: inputs, outputs: EmittedOutputs())
    #expect(!FileSystem.isFile(site.path("snapshot.bin")))
    #expect(try FileManager.default.contentsOfDirectory(atPath: site.root).filter { $0.hasSuffix(".tmp") }.isEmpty)
    // As if the build had started a second later: nothing is racy.
    try snapshot.record(
      stored, started: BuildSnapshot.now() + 1_000_000_000,
      inputs: SnapshotInputs(read: [site.path("assets/posts/fresh.md"), site.path("absent.md")]),
      outputs: EmittedOutputs())
    #expect(snapshot.replay() != nil)
    try site.write("absent.md", "now here")
    #expect(snapshot.replay() == nil)
    // What was read is no longer what the build saw, found once everything is stamped: no
    // snapshot, and no temporary file left.
    snapshot.discard()
    var changed = SnapshotInputs(read: [site.path("assets/posts/fresh.md")]) { false }
    changed.eachOutputFolder = { stamp in stamp(site.path("assets")) }
    try snapshot.record(
      stored, started: BuildSnapshot.now() + 1_000_000_000, inputs: changed, outputs: EmittedOutputs())
    #expect(!FileSystem.isFile(site.path("snapshot.bin")))
    #expect(try FileManager.default.contentsOfDirectory(atPath: site.root).filter { $0.hasSuffix(".tmp") }.isEmpty)
  }

  @Test func aStampIsRacyWithinATickOfTheStart() throws {
    let fine = FullStamp(size: 1, modified: 5_000_000_123, changed: 5_000_000_123, inode: 1, device: 1)
    #expect(fine.isRacy(started: 5_050_000_000))
    #expect(!fine.isRacy(started: 5_200_000_000))
    // A whole-second ctime: a file system that keeps no fraction, whose tick is a second or two.
    let coarse = FullStamp(size: 1, modified: 5_000_000_000, changed: 5_000_000_000, inode: 1, device: 1)
    #expect(coarse.isRacy(started: 6_500_000_000))
    #expect(!coarse.isRacy(started: 7_100_000_000))
  }
}
