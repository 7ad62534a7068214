import Foundation
import Testing

@testable import Vignette

/// `FileSystem.files(under:)` and `SortedWalk`, the `readdir` walks: the same
/// files `FileManager`'s enumerator with a `stat` per entry gave, and the same stamps as
/// `FileSystem.stamp`.
@Suite struct FileSystemWalkTests {
  /// Removing a file prunes the folders it leaves empty, up to the stop folder, and keeps
  /// every folder that still holds something.
  @Test func removingPrunesOnlyEmptyFolders() throws {
    let site = try TestSite()
    try site.write("out/static/a/b/one.webp", Data(count: 1))
    try site.write("out/static/a/two.webp", Data(count: 1))
    try site.write("out/static/c/d/three.webp", Data(count: 1))
    let stop = site.path("out")
    FileSystem.remove(site.path("out/static/a/b/one.webp"), pruningUpTo: stop)
    #expect(!FileSystem.isDirectory(site.path("out/static/a/b")))
    #expect(FileSystem.isFile(site.path("out/static/a/two.webp")))
    FileSystem.remove(site.path("out/static/c/d/three.webp"), pruningUpTo: stop)
    #expect(!FileSystem.isDirectory(site.path("out/static/c")))
    #expect(FileSystem.isDirectory(site.path("out/static")))
    FileSystem.remove(site.path("out/static/a/two.webp"), pruningUpTo: stop)
    #expect(!FileSystem.isDirectory(site.path("out/static")))
    #expect(FileSystem.isDirectory(stop))
  }

  @Test func regularFilesAndSymlinksToThemNotSymlinkedFolders() throws {
    let site = try TestSite()
    try site.write("public/index.html", Data("home".utf8))
    try site.write("public/posts/a/index.html", Data("a".utf8))
    try site.write("public/posts/a/.hidden.html", Data("h".utf8))
    try site.write("public/images/p.jpg", Data(count: 10))
    try site.write("outside/b.html", Data("b".utf8))
    try FileManager.default.createDirectory(atPath: site.path("public/empty"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: site.path("public/link.html"), withDestinationPath: "index.html")
    try FileManager.default.createSymbolicLink(atPath: site.path("public/other"), withDestinationPath: "../outside")
    try FileManager.default.createSymbolicLink(atPath: site.path("public/dangling.html"), withDestinationPath: "nope")
    let folder = site.path("public")

    // What the FileManager enumerator with a stat per entry lists.
    var enumerated: [String] = []
    let enumerator = try #require(FileManager.default.enumerator(atPath: folder))
    while let item = enumerator.nextObject() as? String {
      if FileSystem.isFile(folder + "/" + item) { enumerated.append(item) }
    }
    #expect(FileSystem.files(under: folder) == enumerated.sorted())
    #expect(
      FileSystem.files(under: folder) == [
        "images/p.jpg", "index.html", "link.html", "posts/a/.hidden.html", "posts/a/index.html",
      ])

    let walk = FileSystem.SortedWalk(folder)
    var walked: [String] = []
    while let path = walk.next() {
      walked.append(path)
      #expect(walk.stamp() == FileSystem.stamp(folder + "/" + path), "\(path)")
    }
    #expect(walked == FileSystem.files(under: folder))
    #expect(FileSystem.files(under: site.path("missing")).isEmpty)
    #expect(FileSystem.SortedWalk(site.path("missing")).next() == nil)
  }

  /// `SortedWalk` gives the files in the order of their whole paths' bytes (`precedes`), the
  /// order site mode's `pages.bin` is written and met in: a folder sorts as its name with a
  /// `/`, so `a-b/…` comes before `a/…`, and `a/…` before `a0.html`.
  @Test func theSortedWalkIsInPathOrder() throws {
    let site = try TestSite()
    let paths = [
      "a.html", "a-b/x.html", "a/b.html", "a/b/c.html", "a0.html", "ab/c.html", "B.html", "é.html", "e/f.html",
      "a/b-c.html", "a/b/c/d/e.html", "z.html",
    ]
    for path in paths { try site.write("public/" + path, Data(path.utf8)) }
    let walk = FileSystem.SortedWalk(site.path("public"))
    var walked: [String] = []
    while let path = walk.next() { walked.append(path) }
    #expect(walked == paths.sorted(by: FileSystem.precedes))
    #expect(walked.first == "B.html" && walked.last == "é.html")
    #expect(walked.firstIndex(of: "a-b/x.html")! < walked.firstIndex(of: "a/b.html")!)
    #expect(walked.firstIndex(of: "a/b/c/d/e.html")! < walked.firstIndex(of: "a0.html")!)
  }
}
