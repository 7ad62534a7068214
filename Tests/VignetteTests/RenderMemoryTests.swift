import Foundation
import Synchronization
import Testing
import Vips

@testable import Vignette

/// How a render spends work and memory: each width computed once, AVIF encodes bounded and
/// their memory handed back before the next one starts (issue 14).
@Suite("Image engine: work and memory")
struct RenderMemoryTests {
  @Test("every smaller width is resized once, into memory, before its encoders read it")
  func widthsInMemory() throws {
    try VipsLibrary.start()
    let base = try VipsImage.testPattern(width: 400, height: 300).inMemory()
    #expect(try ImageRenderer.working(base, width: 400) === base)
    for width in [200, 100, 16] {
      let image = try ImageRenderer.working(base, width: width)
      #expect(image.width == width)
      // A lazy resize would be recomputed by the WebP, JPEG and AVIF encoders each.
      #expect(image.isInMemory, "the \(width)-px working image is computed on demand")
    }
    #expect(try !base.resized(width: 200).isInMemory, "the check cannot tell a lazy image")
  }

  @Test("the placeholder is the same whether made from the largest or the smallest width")
  func placeholderFromSmallest() throws {
    try VipsLibrary.start()
    let large = try VipsImage.testPattern(width: 1200, height: 800).inMemory()
    let small = try ImageRenderer.working(large, width: 300)
    let fromLarge = try ImageRenderer.makePlaceholder(large)
    let fromSmall = try ImageRenderer.makePlaceholder(small)
    let a = fromLarge.color.dropFirst().split(by: 2)
    let b = fromSmall.color.dropFirst().split(by: 2)
    for (x, y) in zip(a, b) {
      #expect(abs(Int(x, radix: 16)! - Int(y, radix: 16)!) <= 2, "\(fromLarge.color) against \(fromSmall.color)")
    }
    #expect(fromSmall.preview?.hasPrefix("data:image/webp;base64,") == true)
  }

  /// Two render threads encoding AVIF through a gate of one: the encodes never overlap, and
  /// the memory the first leaves behind is given back before the second begins.
  @Test("AVIF encodes wait for a place, and memory is released before a place is handed on")
  func avifGate() async throws {
    let log = GateLog()
    let gate = AVIFGate(count: 1) { log.append("release") }
    let workers = RenderWorkers(count: 2)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for index in 0..<4 {
        group.addTask {
          try await workers.run {
            gate.run {
              let now = log.running.add(1, ordering: .sequentiallyConsistent).newValue
              _ = log.most.max(now, ordering: .sequentiallyConsistent)
              log.append("encode \(index)")
              Thread.sleep(forTimeInterval: 0.02)
              log.running.subtract(1, ordering: .sequentiallyConsistent)
            }
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(log.most.load(ordering: .sequentiallyConsistent) == 1)
    let events = log.events.withLock { $0 }
    #expect(events.count == 8)
    for (position, event) in events.enumerated() where event.hasPrefix("encode") {
      #expect(events.indices.contains(position + 1) && events[position + 1] == "release", "\(events)")
    }
  }

  /// What the gate test's encodes and releases did, in order.
  final class GateLog: Sendable {
    let events = Mutex<[String]>([])
    let running = Atomic<Int>(0)
    let most = Atomic<Int>(0)
    func append(_ event: String) { events.withLock { $0.append(event) } }
  }
}

extension Substring {
  fileprivate func split(by size: Int) -> [Substring] {
    stride(from: 0, to: count, by: size).map { offset in
      let start = index(startIndex, offsetBy: offset)
      return self[start..<index(start, offsetBy: size)]
    }
  }
}
