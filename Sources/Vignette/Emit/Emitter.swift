import Foundation

/// Writes the output folder: every file atomically and only when its bytes change; at the
/// end, files in the folders Vignette owns that no longer belong to the build are removed.
/// In check mode it writes nothing and records each difference instead.
final class Emitter {
  /// The folders under `output/` that Vignette owns and cleans.
  static let ownedFolders = ["content", "static", "html", "layouts", "data"]

  let project: Project
  let cache: BuildCache
  let checkOnly: Bool
  private(set) var expected = Set<String>()
  private(set) var written = 0
  private(set) var removed = 0
  private(set) var differences: [String] = []

  init(project: Project, cache: BuildCache, checkOnly: Bool) {
    self.project = project
    self.cache = cache
    self.checkOnly = checkOnly
  }

  /// A generated file at `relative` (to the output folder).
  func file(_ relative: String, _ data: Data) throws {
    expected.insert(relative)
    let path = project.output + "/" + relative
    if checkOnly {
      if FileManager.default.contents(atPath: path) != data {
        differences.append("\(project.display(path)) is \(FileSystem.isFile(path) ? "out of date" : "missing")")
      }
      return
    }
    if try FileSystem.writeAtomically(data, to: path) { written += 1 }
  }

  /// A file known to be up to date already (watch mode's memo): kept, not rewritten.
  func expect(_ relative: String) { expected.insert(relative) }

  /// A variant, served from its URL path under `static/`.
  func variant(_ variant: RenderedVariant) throws {
    let relative = "static" + variant.urlPath
    expected.insert(relative)
    let path = project.output + "/" + relative
    if checkOnly {
      if FileSystem.stamp(path)?.size != Int64(variant.bytes) {
        differences.append("\(project.display(path)) is \(FileSystem.isFile(path) ? "out of date" : "missing")")
      }
      return
    }
    if try cache.materialize(variant, at: path) { written += 1 }
  }

  /// Removes what no longer belongs (or, in check mode, lists it).
  func finish() throws {
    for folder in Self.ownedFolders {
      let base = project.output + "/" + folder
      for relative in FileSystem.files(under: base) {
        let key = folder + "/" + relative
        guard !expected.contains(key) else { continue }
        if checkOnly {
          differences.append("\(project.display(base + "/" + relative)) is no longer produced by the build")
        } else {
          FileSystem.remove(base + "/" + relative, pruningUpTo: project.output)
          removed += 1
        }
      }
    }
    differences.sort()
  }
}
