import Foundation

/// `vignette gc` and `build --gc`: removes from the local cache what the current site no
/// longer uses, as Hugo's `--gc` does, so the cache does not grow without bound across builds.
/// What is live comes from planning the current site: its render records, the variant
/// objects they can name, the source index entries of its files, and its video posters.
/// Files whose names start with a dot (another build's temporary files) are left alone.
struct CacheCollector {
  /// The cache entries the current site uses.
  struct Live: Sendable {
    /// Plan keys (`renders/<key>.json`).
    var renders = Set<String>()
    /// Variant keys (`objects/<xx>/<key>.<ext>`).
    var objects = Set<String>()
    /// Source files kept in `sources.json`.
    var sources = Set<String>()
    /// Poster files (`posters/…`).
    var posters = Set<String>()

    mutating func insert(_ plan: RenderPlan) {
      renders.insert(plan.key)
      objects.formUnion(plan.outputs.map(\.key))
      sources.insert(plan.source.file)
    }
  }

  /// What a collection did.
  struct Outcome: Sendable, Codable, Equatable {
    var removedFiles = 0
    var freedBytes: Int64 = 0
    var keptFiles = 0
    var keptBytes: Int64 = 0
  }

  /// Removes every entry of `cache` that `live` does not name.
  static func collect(_ cache: BuildCache, live: Live) throws -> Outcome {
    var outcome = Outcome()
    func sweep(_ folder: String, keep: (String) -> Bool) {
      let base = cache.folder + "/" + folder
      for relative in FileSystem.files(under: base) {
        let name = (relative as NSString).lastPathComponent
        guard !name.hasPrefix(".") else { continue }
        let path = base + "/" + relative
        let bytes = FileSystem.stamp(path)?.size ?? 0
        if keep(path) {
          outcome.keptFiles += 1
          outcome.keptBytes += bytes
        } else {
          FileSystem.remove(path, pruningUpTo: base)
          outcome.removedFiles += 1
          outcome.freedBytes += bytes
        }
      }
    }
    func key(_ path: String) -> String {
      String((path as NSString).lastPathComponent.prefix { $0 != "." })
    }
    sweep("objects") { live.objects.contains(key($0)) }
    sweep("renders") { live.renders.contains(key($0)) }
    sweep("posters") { live.posters.contains($0) }
    try cache.retainSources(live.sources)
    return outcome
  }
}
