import Foundation

@testable import Vignette

/// A task executor with one thread of its own, for the watch tests: a watch session started
/// on it (`Task(executorPreference:)`) runs its builds there and in its child tasks, so it
/// never waits for Swift's cooperative pool, which has only as many threads as the machine
/// has cores and which every other test's builds, renders and checks keep busy at once.
/// Written by hand because neither the standard library nor a listed package offers an
/// executor backed by a dedicated thread on Linux.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
  // @unchecked: `jobs` and `stopped` are only touched with `condition` held.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []
  private var stopped = false

  init(name: String) {
    let thread = Thread { [self] in run() }
    thread.name = name
    thread.stackSize = 8 << 20
    thread.start()
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.withLock {
      jobs.append(job)
      condition.signal()
    }
  }

  /// Ends the thread once the jobs already queued have run.
  func shutdown() {
    condition.withLock {
      stopped = true
      condition.signal()
    }
  }

  private func run() {
    while true {
      condition.lock()
      while jobs.isEmpty && !stopped { condition.wait() }
      if jobs.isEmpty {
        condition.unlock()
        return
      }
      let job = jobs.removeFirst()
      condition.unlock()
      job.runSynchronously(on: asUnownedTaskExecutor())
    }
  }
}

extension WatchSession {
  /// Runs the session on a thread of its own (see `ThreadExecutor`) until it is stopped,
  /// calling `handle` after each build.
  func runOnOwnThread(_ handle: @escaping @Sendable (WatchSession.Event) -> Void) -> Task<Void, Never> {
    let executor = ThreadExecutor(name: "vignette-test-watch")
    return Task(executorPreference: executor) { [self] in
      await run(handle)
      executor.shutdown()
    }
  }
}
