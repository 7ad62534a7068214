import Foundation
import Vips

/// Writes the output folder: every file atomically and only when its bytes change; at the
/// end, the files Vignette owns (`OutputLayout.owned`) that no longer belong to the build are
/// removed.
/// In check mode it writes nothing and records each difference instead: the one place where
/// what a build would write is compared with what `output/` holds.
final class Emitter {
  /// The folders under `output/` that Vignette owns and cleans.
  static let ownedFolders = ["content", "static", "html", "layouts", "data"]

  let project: Project
  let cache: BuildCache
  let checkOnly: Bool
  let layout: OutputLayout
  /// Check mode: SHA-256 of the variants rendered in this run, by variant key; the others
  /// (from the cache) are compared by size.
  let digests: [String: String]
  private(set) var expected = Set<String>()
  private(set) var written = 0
  private(set) var removed = 0
  private(set) var differences: [String] = []
  /// Size and mtime of each file written or found up to date (builds only), right after.
  private(set) var stamps: [String: FileStamp] = [:]

  init(
    project: Project, cache: BuildCache, checkOnly: Bool, layout: OutputLayout, digests: [String: String] = [:]
  ) {
    self.project = project
    self.cache = cache
    self.checkOnly = checkOnly
    self.layout = layout
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
    stamps[relative] = FileSystem.stamp(path)
  }

  /// A file known to be up to date already (watch mode's memo): kept, not rewritten.
  func expect(_ relative: String) { expected.insert(relative) }

  /// A variant, served from its URL path (under `static/` in markdown mode).
  func variant(_ variant: RenderedVariant) throws {
    let relative = layout.path(ofVariantAt: variant.urlPath)
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
    stamps[relative] = FileSystem.stamp(path)
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
    var stale: [String] = []
    switch layout.owned {
    case .folders(let folders):
      for folder in folders {
        stale += FileSystem.files(under: project.output + "/" + folder).map { folder + "/" + $0 }
      }
    case .files(let files):
      // Only what Vignette wrote and nothing has written since.
      stale = files.filter { FileSystem.stamp(project.output + "/" + $0.key) == $0.value }.map(\.key)
    }
    for relative in stale where !expected.contains(relative) {
      let path = project.output + "/" + relative
      if checkOnly {
        differences.append("\(project.display(path)) is no longer produced by the build")
      } else {
        FileSystem.remove(path, pruningUpTo: project.output)
        removed += 1
      }
    }
    differences = Array(Set(differences)).sorted()
  }

}
