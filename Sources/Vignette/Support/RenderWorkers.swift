import Foundation
import Vips

/// A fixed set of threads for libvips work, so heavy calls never block Swift's cooperative
/// pool. The number of threads is the number of images in flight; libvips' own thread count
/// inside each image is set separately (`VipsLibrary.start(threads:)`).
///
/// The threads hold the shared queue strongly, never the `RenderWorkers` object: when the
/// object goes away its `deinit` tells them to stop, and each finishes the queued work and
/// returns without touching anything that has been freed.
public final class RenderWorkers: Sendable {
  private let queue = JobQueue()
  public let count: Int

  public init(count: Int) {
    self.count = max(1, count)
    for index in 0..<self.count {
      let queue = self.queue
      VipsLibrary.startThread(name: "vg-render-\(index)") { queue.drain() }
    }
  }

  deinit { shutdown() }

  /// Stops the threads once queued work has run.
  public func shutdown() { queue.stop() }

  /// Runs `job` on a render thread and returns its result. With `releasingMemory`, the memory
  /// the job freed goes back to the system before the thread takes its next job (for jobs
  /// with an AVIF encode, whose memory would otherwise stay in this thread's glibc arena while
  /// the other threads' encoders allocate theirs).
  public func run<T: Sendable>(releasingMemory: Bool = false, _ job: @escaping @Sendable () throws -> T)
    async throws -> T
  {
    try await withCheckedThrowingContinuation { continuation in
      queue.add {
        let result = Result { try job() }
        if releasingMemory { VipsLibrary.releaseMemory() }
        continuation.resume(with: result)
      }
    }
  }

  /// `items` cut into batches for `forEach`, about four per thread and at most 64 items
  /// each: where one item is cheap (a `stat` and a look-up, reading a small file), one job
  /// and one hand-over per item would cost more than the work itself.
  public func batches<Item>(_ items: [Item]) -> [ArraySlice<Item>] {
    let size = max(1, min(64, items.count / (count * 4)))
    return stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
  }

  /// Runs `body` on each item on the render threads, as many at once as there are threads,
  /// and hands each result to `receive` on the calling task as it comes back (in no fixed
  /// order), so no more than a few results are held at once. The items are taken from `items`
  /// on the calling task as threads come free, so a sequence that makes them as it goes
  /// never holds them all.
  public func forEach<Item: Sendable, Result: Sendable>(
    _ items: some Sequence<Item>, _ body: @escaping @Sendable (Item) throws -> Result, receive: (Result) throws -> Void
  ) async throws {
    try await withThrowingTaskGroup(of: Result.self) { group in
      var iterator = items.makeIterator()
      func submit() {
        guard let item = iterator.next() else { return }
        group.addTask { try await self.run { try body(item) } }
      }
      for _ in 0..<count { submit() }
      while let result = try await group.next() {
        try receive(result)
        submit()
      }
    }
  }
}

/// The jobs waiting for a render thread, and whether the threads should stop.
///
/// `@unchecked Sendable` because idle threads must sleep until a job arrives, which takes a
/// condition variable (`NSCondition`: a lock with wait and signal); `Mutex` has no wait. Every
/// access to `jobs` and `stopping` holds the condition's lock.
private final class JobQueue: @unchecked Sendable {
  private let condition = NSCondition()
  private var jobs: [@Sendable () -> Void] = []
  private var stopping = false

  func add(_ job: @escaping @Sendable () -> Void) {
    condition.lock()
    jobs.append(job)
    condition.signal()
    condition.unlock()
  }

  func stop() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
  }

  /// A render thread's whole life: run jobs until told to stop and nothing is left.
  func drain() {
    while true {
      condition.lock()
      while jobs.isEmpty && !stopping { condition.wait() }
      if jobs.isEmpty && stopping {
        condition.unlock()
        VipsLibrary.threadDidFinishWork()
        return
      }
      let job = jobs.removeFirst()
      condition.unlock()
      job()
      // Release libvips' per-thread state for the job's images. Freed memory stays with
      // glibc for the next job: trimming after every job made each job fault its pages in
      // again (+1.2 s of kernel time on the wallpaper corpus, bench/run.sh) without lowering
      // the peak; AVIF, whose encoder peaks high, trims where it matters (`AVIFGate`).
      VipsLibrary.threadDidFinishWork()
    }
  }
}

extension RenderWorkers {
  /// Runs `job` on a thread of its own and returns its result: for the few libvips calls made
  /// outside a build's render threads (starting libvips, reading a downloaded poster's
  /// header), so that no libvips call ever runs on Swift's cooperative pool.
  public static func runDetached<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      VipsLibrary.startThread(name: "vg-vips") {
        continuation.resume(with: Result { try job() })
        VipsLibrary.threadDidFinishWork()
      }
    }
  }
}
