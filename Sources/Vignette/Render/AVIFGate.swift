import Foundation
import Vips

/// The AVIF encodes allowed to run at once, process-wide, and the memory they leave behind.
///
/// libaom's encoder is the largest user of memory in a build: 100–350 MB for a 2-megapixel
/// picture (more for flat, synthetic pictures, where it searches for repeated blocks), freed at
/// the end of the encode into glibc's per-thread arena, which keeps it. Without a release, the
/// next AVIF encode, on another render thread with its own arena, would stack its peak on top
/// of the memory the last one left behind. So a place in the gate is handed on only after that
/// memory has gone back to the system: the peak is bounded by `count` encodes in flight plus
/// what the other render threads decode, never by the number of AVIF files a build makes.
public final class AVIFGate: Sendable {
  /// Encodes allowed at once.
  public let count: Int
  private let places: DispatchSemaphore
  private let release: @Sendable () -> Void

  /// Half the cores, at least one: the other render threads decode and encode WebP and JPEG
  /// meanwhile, so the cores stay busy.
  public static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / 2) }

  /// `release` gives freed memory back (glibc's `malloc_trim`); tests watch it.
  public init(count: Int, release: @escaping @Sendable () -> Void = VipsLibrary.releaseMemory) {
    self.count = max(1, count)
    places = DispatchSemaphore(value: self.count)
    self.release = release
  }

  /// Runs `encode` holding a place; gives the freed memory back before handing the place on.
  public func run<T>(_ encode: () throws -> T) rethrows -> T {
    places.wait()
    defer {
      release()
      places.signal()
    }
    return try encode()
  }
}
