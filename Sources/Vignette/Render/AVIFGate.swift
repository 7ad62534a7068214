import Foundation
import Synchronization
import Vips

/// The AVIF encodes allowed to run at once, process-wide, weighed by the memory each needs.
///
/// libaom's encoder is the largest user of memory in a build, and how much it takes depends
/// on the picture: about 25 bytes a pixel for a photo, but about 110 for flat artwork, where
/// it turns on intra block copy and keeps hash tables of every block position (measured on
/// the wallpaper corpus at effort 2: 55 MB against 215 MB for 2 megapixels, and six times the
/// CPU). A gate that counted encodes had to pick between two photos at once (fast) and two
/// artworks at once (over budget). So each encode asks for its predicted memory
/// (`estimate`), and the gate admits it while the encodes in flight stay within `budget`, and
/// always when none is in flight (a picture larger than the budget still gets made, alone).
/// Places are handed out in arrival order, so a large encode is never starved by small ones.
///
/// The memory freed at the end of an encode goes into glibc's per-thread arena, which keeps
/// it; the next encode, on another render thread with its own arena, would stack its peak on
/// top. So a place is handed on only after that memory has gone back to the system.
public final class AVIFGate: Sendable {
  /// Encodes allowed at once, whatever their weight.
  public let count: Int
  /// Predicted encoder memory, in bytes, allowed in flight at once.
  public let budget: Int
  private let state = Mutex(State())
  private let release: @Sendable () -> Void

  private struct State {
    var running = 0
    var bytes = 0
    /// Encodes waiting, in arrival order, with the semaphore that admits each.
    var waiting: [(bytes: Int, wake: DispatchSemaphore)] = []

    func admits(_ bytes: Int, count: Int, budget: Int) -> Bool {
      running == 0 || (running < count && self.bytes + bytes <= budget)
    }
  }

  /// One encode per core: the budget, not the count, is what bounds the peak.
  public static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
  /// 360 MB: two photos of 2 megapixels at once, or a flat artwork beside a photo, never two
  /// artworks (on the wallpaper corpus with the default formats: as fast as no bound, and
  /// peaks of 444–464 MB against 556–617 MB without it; README "Performance").
  public static let defaultBudget = 360 << 20

  /// `release` gives freed memory back (glibc's `malloc_trim`); tests watch it.
  public init(
    count: Int, budget: Int = AVIFGate.defaultBudget,
    release: @escaping @Sendable () -> Void = VipsLibrary.releaseMemory
  ) {
    self.count = max(1, count)
    self.budget = max(0, budget)
    self.release = release
  }

  /// The memory libaom needs to encode `image` (8-bit, as Vignette encodes), from its size
  /// and whether libaom will code it as screen content with intra block copy. Where that
  /// cannot be measured, the picture counts as artwork (the larger weight): a failed guess
  /// must neither fail the encode nor let it in under a smaller share of the budget.
  public static func estimate(_ image: VipsImage) -> Int {
    let pixels = image.width * image.height
    let artwork = (try? image.av1IntraCopyShare()).map { $0 > 1.0 / 12 } ?? true
    return (8 << 20) + pixels * (artwork ? 120 : 30)
  }

  /// Encodes waiting for a place (for tests).
  var waitingCount: Int { state.withLock { $0.waiting.count } }

  /// Runs `encode` holding a place worth `bytes`; gives the freed memory back before handing
  /// the place on.
  public func run<T>(bytes: Int, _ encode: () throws -> T) rethrows -> T {
    let wake = state.withLock { state -> DispatchSemaphore? in
      if state.waiting.isEmpty && state.admits(bytes, count: count, budget: budget) {
        state.running += 1
        state.bytes += bytes
        return nil
      }
      let wake = DispatchSemaphore(value: 0)
      state.waiting.append((bytes, wake))
      return wake
    }
    // Admitted by the encode that left: it has already counted this one in.
    wake?.wait()
    defer {
      release()
      let woken = state.withLock { state -> [DispatchSemaphore] in
        state.running -= 1
        state.bytes -= bytes
        var woken: [DispatchSemaphore] = []
        while let next = state.waiting.first, state.admits(next.bytes, count: count, budget: budget) {
          state.waiting.removeFirst()
          state.running += 1
          state.bytes += next.bytes
          woken.append(next.wake)
        }
        return woken
      }
      for wake in woken { wake.signal() }
    }
    return try encode()
  }
}
