import Foundation
import Vips

/// A fixed set of threads for libvips work, so heavy calls never block Swift's cooperative
/// pool. The number of threads is the number of images in flight; libvips' own thread count
/// inside each image is set separately (`VipsLibrary.start(threads:)`).
public final class RenderWorkers: @unchecked Sendable {
  private let condition = NSCondition()
  private var queue: [@Sendable () -> Void] = []
  private var stopping = false
  private var threads: [Thread] = []
  public let count: Int

  public init(count: Int) {
    self.count = max(1, count)
    for index in 0..<self.count {
      let thread = Thread { [unowned self] in self.loop() }
      thread.name = "vignette-render-\(index)"
      thread.stackSize = 8 << 20
      threads.append(thread)
      thread.start()
    }
  }

  deinit { shutdown() }

  /// Stops the threads once queued work has run.
  public func shutdown() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
  }

  private func loop() {
    while true {
      condition.lock()
      while queue.isEmpty && !stopping { condition.wait() }
      if queue.isEmpty && stopping {
        condition.unlock()
        VipsLibrary.threadDidFinishWork()
        return
      }
      let job = queue.removeFirst()
      condition.unlock()
      job()
      // libvips keeps per-thread buffers for threads it did not create; release them, and
      // give the image's memory back so the peak follows the images in flight.
      VipsLibrary.threadDidFinishWork()
      VipsLibrary.releaseMemory()
    }
  }

  /// Runs `job` on a render thread and returns its result.
  public func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      condition.lock()
      queue.append { continuation.resume(with: Result { try job() }) }
      condition.signal()
      condition.unlock()
    }
  }
}
