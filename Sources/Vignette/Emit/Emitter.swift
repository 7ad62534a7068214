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
  private(set) var differences: [OutputDifference] = []
  /// Size and mtime of each file written or found up to date (builds only), right after.
  private(set) var stamps: [String: FileStamp] = [:]
  /// The full stamp of each file this build wrote (absolute path), taken right after the
  /// write, for the build snapshot: a file written again by someone else since then no
  /// longer matches.
  private(set) var writtenStamps: [String: FullStamp] = [:]

  init(
    project: Project, cache: BuildCache, checkOnly: Bool, layout: OutputLayout, digests: [String: String] = [:]
  ) {
    self.project = project
    self.cache = cache
    self.checkOnly = checkOnly
    self.layout = layout
    self.digests = digests
  }

  /// A generated file at `relative` (to the output folder), made from `source` (a post, as
  /// the user knows it; nil for files of the whole site).
  func file(_ relative: String, _ data: Data, from source: String? = nil) throws {
    expected.insert(relative)
    let path = project.output + "/" + relative
    if checkOnly {
      if FileManager.default.contents(atPath: path) != data {
        differences.append(OutputDifference(path: path, display: project.display(path), source: source, expected: data))
      }
      return
    }
    if try FileSystem.writeAtomically(data, to: path) {
      written += 1
      writtenStamps[path] = FullStamp.of(path)
    }
    stamps[relative] = FileSystem.stamp(path)
  }

  /// A file outside the output folder this build wrote (site mode's manifest, at the absolute
  /// `path`), for the build snapshot.
  func wrote(_ path: String) { writtenStamps[path] = FullStamp.of(path) }

  /// A file known to be up to date already (watch mode's memo): kept, not rewritten.
  func expect(_ relative: String) { expected.insert(relative) }

  /// A variant, served from its URL path (under `static/` in markdown mode), made from
  /// `source` (the image, as the user knows it).
  func variant(_ variant: RenderedVariant, from source: String) throws {
    let relative = layout.path(ofVariantAt: variant.urlPath)
    expected.insert(relative)
    let path = project.output + "/" + relative
    if checkOnly {
      let matches =
        if let digest = digests[variant.key] {
          FileManager.default.contents(atPath: path).map(Checksum.sha256) == digest
        } else {
          FileSystem.stamp(path)?.size == Int64(variant.bytes)
        }
      if !matches { differences.append(OutputDifference(path: path, display: project.display(path), source: source)) }
      return
    }
    let (made, stamp) = try cache.materialize(variant, at: path)
    if made {
      written += 1
      writtenStamps[path] = FullStamp.of(path)
    }
    stamps[relative] = stamp
  }

  /// Files no longer made that `stillNamed` said are still pointed at, and so kept.
  private(set) var keptNamed: [String] = []

  /// Removes what no longer belongs (or, in check mode, lists it), apart from the files that
  /// `stillNamed` says outputs the build did not remake still point at: those stay, and
  /// stay recorded as Vignette's, so a later build removes them once nothing names them.
  /// `previous` (watch mode) is every file the previous build of this session produced: then
  /// those the build no longer produces are removed without walking the owned folders, which
  /// nothing else is meant to write (the next `vignette build` removes anything else).
  func finish(stillNamed: ([String]) -> Set<String> = { _ in [] }, previous: Set<String>? = nil) throws {
    var stale: [String] = []
    switch layout.owned {
    case .folders(let folders) where previous != nil:
      stale = previous!.filter { path in
        !expected.contains(path) && folders.contains { path.hasPrefix($0) && path.dropFirst($0.count).first == "/" }
      }
    case .folders(let folders):
      // One `readdir` pass, no `stat` and no sort: only what the build did not produce.
      for folder in folders {
        FileSystem.walk(project.output + "/" + folder) { relative, _ in
          let path = folder + "/" + relative
          if !expected.contains(path) { stale.append(path) }
        }
      }
    case .files(let files):
      // Only what Vignette wrote and nothing has written since.
      stale = files.filter { FileSystem.stamp(project.output + "/" + $0.key) == $0.value }.map(\.key)
    }
    stale.removeAll { expected.contains($0) }
    if !stale.isEmpty {
      keptNamed = stillNamed(stale).sorted()
      for relative in keptNamed {
        expected.insert(relative)
        if !checkOnly { stamps[relative] = FileSystem.stamp(project.output + "/" + relative) }
      }
    }
    for relative in stale.sorted() where !expected.contains(relative) {
      let path = project.output + "/" + relative
      if checkOnly {
        differences.append(OutputDifference(file: project.display(path), state: .leftOver))
      } else {
        FileSystem.remove(path, pruningUpTo: project.output)
        removed += 1
      }
    }
    differences = Array(Set(differences)).sorted()
  }

}
