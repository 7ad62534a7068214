import Foundation
import Synchronization

/// Watch mode: one build, then a rebuild after every debounced batch of changes under the
/// content folder and the asset roots (in site mode, under the site folder), until `stop` is
/// called.
///
/// Each rebuild re-enters the incremental pipeline, which decodes only new or changed images
/// (the cache has the rest), and rewrites only outputs whose bytes change; a deleted post or
/// image loses its outputs, and the posts that still use a deleted image get an error.
/// A failing rebuild is reported and watching goes on. `stop` lets a running build finish, so
/// the output folder is left as one consistent build.
public final class WatchSession: Sendable {
  /// What happened, in order: the first build, then one event per rebuild.
  public enum Event: Sendable {
    /// A build finished. `changes` are the paths that triggered it (empty for the first).
    case built(BuildReport, changes: [String])
    /// A build could not run at all (for example the output folder is not writable).
    case failed(String, changes: [String])
  }

  /// What changes while the session runs: the project (the config is read again when it
  /// changes), the memo that goes with it, the debounce, and the paths changed since the
  /// last rebuild started (added by the watching thread, taken by the build loop).
  private struct State: Sendable {
    var project: Project
    var memo = PipelineMemo()
    var quiet: Duration = .milliseconds(30)
    var pending = Set<String>()
    /// Site mode's configured base URL, if any.
    var siteBase: SiteBase?
  }

  private let state: Mutex<State>
  public let options: BuildOptions
  private let watcher: FileWatcher
  private let configPath: String
  /// Site mode (`watch --site DIR`).
  private let siteMode: Bool

  /// The project as last loaded: the config is read again when it changes.
  public var project: Project { state.withLock { $0.project } }

  /// How long the files must be quiet before a rebuild starts.
  public var quiet: Duration {
    get { state.withLock { $0.quiet } }
    set { state.withLock { $0.quiet = newValue } }
  }

  /// Loads the config and starts watching right away, so edits made during the first build
  /// are not lost. Throws `ConfigError` for a bad config.
  public convenience init(options: BuildOptions) throws {
    if let (project, base) = try Pipeline.siteProject(options) {
      try self.init(project: project, options: options, site: true, base: base)
    } else {
      try self.init(project: Project.load(configPath: options.configPath), options: options)
    }
  }

  /// Watches `project`; with `site`, its output folder is the generator's output that site
  /// mode rewrites (Vignette's own writes there cause one more run, which changes nothing).
  public init(project: Project, options: BuildOptions, site: Bool = false, base: SiteBase? = nil) throws {
    state = Mutex(State(project: project, siteBase: base))
    siteMode = site
    var options = options
    options.checkOnly = false
    // Each rebuild follows a change the watcher saw; the memo keeps what did not change.
    options.usesSnapshot = false
    self.options = options
    configPath = FileSystem.canonical(options.configPath)
    // A root inside another is watched through it.
    let folders = site ? [project.output] : [project.content] + project.assetRoots
    let roots = folders.enumerated().filter { index, folder in
      !folders.enumerated().contains { other, outer in
        other != index && FileSystem.isInside(folder, outer) && (folder != outer || other < index)
      }
    }.map(\.element)
    watcher = try FileWatcher(
      roots: roots, excluding: site ? [project.cache] : [project.output, project.cache], files: [configPath])
  }

  /// The folders watched, as the user knows them.
  public var watchedRoots: [String] {
    let project = self.project
    return watcher.roots.map(project.display)
  }

  /// Builds, then rebuilds on every change until `stop`; calls `handle` after each build.
  public func run(_ handle: @Sendable (Event) -> Void) async {
    let (batches, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    let quiet = self.quiet
    let thread = Thread { [self] in
      while let batch = watcher.next(quiet: quiet) {
        state.withLock { $0.pending.formUnion(batch) }
        continuation.yield()
      }
      continuation.finish()
    }
    thread.name = "vignette-watch"
    thread.start()

    await build(changes: [], handle)
    for await _ in batches {
      guard !watcher.isStopped else { break }
      let changes = state.withLock { state in
        defer { state.pending = [] }
        return state.pending
      }
      guard !changes.isEmpty else { continue }
      let shown = changes.map(project.display).sorted()
      if changes.contains(configPath) {
        // New settings change every output: start from a fresh memo. Folders stay as they
        // were when watching began.
        do {
          let loaded = siteMode ? try Pipeline.siteProject(options) : nil
          let project = try loaded?.0 ?? Project.load(configPath: options.configPath)
          state.withLock {
            $0.project = project
            $0.siteBase = loaded?.1
            $0.memo = PipelineMemo()
          }
        } catch {
          handle(.failed("\(error)", changes: shown))
          continue
        }
      }
      state.withLock { $0.memo }.invalidate(changes)
      await build(changes: shown, handle)
    }
  }

  /// Ends `run` once the build in progress (if any) has finished.
  public func stop() { watcher.stop() }

  private func build(changes: [String], _ handle: (Event) -> Void) async {
    let (project, memo, base) = state.withLock { ($0.project, $0.memo, $0.siteBase) }
    do {
      let pipeline = Pipeline(project: project, options: options, memo: siteMode ? nil : memo)
      let report =
        try await siteMode ? pipeline.run(SiteFrontEnd(project: project, base: base)) : pipeline.run()
      handle(.built(report, changes: changes))
    } catch {
      handle(.failed("\(error)", changes: changes))
    }
  }
}
