import Foundation
import Vips

/// Writes the output folder: every file atomically and only when its bytes change; at the
/// end, files in the folders Vignette owns that no longer belong to the build are removed.
/// In check mode it writes nothing and records each difference instead: the one place where
/// what a build would write is compared with what `output/` holds.
final class Emitter {
  /// The folders under `output/` that Vignette owns and cleans.
  static let ownedFolders = ["content", "static", "html", "layouts", "data"]

  let project: Project
  let cache: BuildCache
  let checkOnly: Bool
  /// Check mode: SHA-256 of the variants rendered in this run, by variant key; the others
  /// (from the cache) are compared by size.
  let digests: [String: String]
  private(set) var expected = Set<String>()
  private(set) var written = 0
  private(set) var removed = 0
  private(set) var differences: [String] = []

  init(project: Project, cache: BuildCache, checkOnly: Bool, digests: [String: String] = [:]) {
    self.project = project
    self.cache = cache
    self.checkOnly = checkOnly
    self.digests = digests
  }

  /// A generated file at `relative` (to the output folder).
  func file(_ relative: String, _ data: Data) throws {
    expected.insert(relative)
    let path = project.output + "/" + relative
    if checkOnly {
      compare(path) { FileManager.default.contents(atPath: $0) == data }
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
      compare(path) { path in
        if let digest = digests[variant.key] {
          return FileManager.default.contents(atPath: path).map(Checksum.sha256) == digest
        }
        return FileSystem.stamp(path)?.size == Int64(variant.bytes)
      }
      return
    }
    if try cache.materialize(variant, at: path) { written += 1 }
  }

  /// Check mode: records `path` as a difference unless `matches` says it holds what a build
  /// would write.
  private func compare(_ path: String, matches: (String) -> Bool) {
    if !matches(path) {
      differences.append("\(project.display(path)) is \(FileSystem.isFile(path) ? "out of date" : "missing")")
    }
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
    differences = Array(Set(differences)).sorted()
  }
}
