import Foundation

/// Watch mode: one build, then a rebuild after every debounced batch of changes under the
/// content folder and the asset roots, until `stop` is called.
///
/// Each rebuild re-enters the incremental pipeline, which decodes only new or changed images
/// (the cache has the rest), and rewrites only outputs whose bytes change; a deleted post or
/// image loses its outputs, and the posts that still use a deleted image get an error.
/// A failing rebuild is reported and watching goes on. `stop` lets a running build finish, so
/// the output folder is left as one consistent build.
public final class WatchSession: @unchecked Sendable {
  /// What happened, in order: the first build, then one event per rebuild.
  public enum Event: Sendable {
    /// A build finished. `changes` are the paths that triggered it (empty for the first).
    case built(BuildReport, changes: [String])
    /// A build could not run at all (for example the output folder is not writable).
    case failed(String, changes: [String])
  }

  /// The project as last loaded: the config is read again when it changes.
  public private(set) var project: Project
  public let options: BuildOptions
  /// How long the files must be quiet before a rebuild starts.
  public var quiet: Duration = .milliseconds(30)
  private let watcher: FileWatcher
  private let configPath: String
  private var memo = PipelineMemo()

  /// Loads the config and starts watching right away, so edits made during the first build
  /// are not lost. Throws `ConfigError` for a bad config.
  public convenience init(options: BuildOptions) throws {
    try self.init(project: Project.load(configPath: options.configPath), options: options)
  }

  public init(project: Project, options: BuildOptions) throws {
    self.project = project
    var options = options
    options.checkOnly = false
    self.options = options
    configPath = FileSystem.canonical(options.configPath)
    // A root inside another is watched through it.
    let folders = [project.content] + project.assetRoots
    let roots = folders.enumerated().filter { index, folder in
      !folders.enumerated().contains { other, outer in
        other != index && FileSystem.isInside(folder, outer) && (folder != outer || other < index)
      }
    }.map(\.element)
    watcher = try FileWatcher(
      roots: roots, excluding: [project.output, project.cache], files: [configPath])
  }

  /// The folders watched, as the user knows them.
  public var watchedRoots: [String] { watcher.roots.map(project.display) }

  /// Builds, then rebuilds on every change until `stop`; calls `handle` after each build.
  public func run(_ handle: @Sendable (Event) -> Void) async {
    let pending = PendingChanges()
    let (batches, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    let thread = Thread { [watcher, quiet] in
      while let batch = watcher.next(quiet: quiet) {
        pending.add(batch)
        continuation.yield()
      }
      continuation.finish()
    }
    thread.name = "vignette-watch"
    thread.start()

    await build(changes: [], handle)
    for await _ in batches {
      guard !watcher.isStopped else { break }
      let changes = pending.take()
      guard !changes.isEmpty else { continue }
      let shown = changes.map(project.display).sorted()
      if changes.contains(configPath) {
        // New settings change every output: start from a fresh memo. Folders stay as they
        // were when watching began.
        do {
          project = try Project.load(configPath: options.configPath)
          memo = PipelineMemo()
        } catch {
          handle(.failed("\(error)", changes: shown))
          continue
        }
      }
      memo.invalidate(changes)
      await build(changes: shown, handle)
    }
  }

  /// Ends `run` once the build in progress (if any) has finished.
  public func stop() { watcher.stop() }

  private func build(changes: [String], _ handle: (Event) -> Void) async {
    do {
      handle(.built(try await Pipeline(project: project, options: options, memo: memo).run(), changes: changes))
    } catch {
      handle(.failed("\(error)", changes: changes))
    }
  }
}

/// Paths changed since the last rebuild started, shared by the watching thread and the loop.
private final class PendingChanges: @unchecked Sendable {
  private let lock = NSLock()
  private var paths = Set<String>()

  func add(_ batch: Set<String>) { lock.withLock { paths.formUnion(batch) } }

  func take() -> Set<String> {
    lock.withLock {
      defer { paths = [] }
      return paths
    }
  }
}
