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
            gate.run(bytes: 1) {
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

  /// Encodes weighed by their predicted memory: two that fit the budget run together, two
  /// that do not take turns, one larger than the whole budget still runs (alone), and places
  /// go in arrival order, so small encodes arriving later never starve a large one. Each
  /// encode runs on a thread of its own and holds its place until the test lets it go.
  @Test("the AVIF gate admits encodes while their predicted memory fits its budget, in arrival order")
  func avifGateBudget() throws {
    let gate = AVIFGate(count: 4, budget: 100) {}
    func waiting(_ count: Int) -> Bool {
      for _ in 0..<6000 where gate.waitingCount != count { Thread.sleep(forTimeInterval: 0.01) }
      return gate.waitingCount == count
    }
    let a = HeldEncode(gate, bytes: 40)
    let b = HeldEncode(gate, bytes: 40)
    #expect(a.admitted() && b.admitted(), "40 + 40 fits 100")
    a.finish()
    b.finish()
    let c = HeldEncode(gate, bytes: 60)
    #expect(c.admitted())
    let d = HeldEncode(gate, bytes: 60)
    #expect(waiting(1) && !d.hasStarted, "60 + 60 does not fit 100")
    let e = HeldEncode(gate, bytes: 10)
    #expect(waiting(2) && !e.hasStarted, "10 fits beside the first 60, but arrived after the second")
    c.finish()
    #expect(d.admitted() && e.admitted(), "60 + 10 fits once the first has left")
    d.finish()
    e.finish()
    let f = HeldEncode(gate, bytes: 500)
    #expect(f.admitted(), "an encode larger than the budget runs when it is alone")
    let g = HeldEncode(gate, bytes: 1)
    #expect(waiting(1) && !g.hasStarted)
    f.finish()
    #expect(g.admitted())
    g.finish()
  }

  /// An encode holding a place in a gate until `finish`.
  final class HeldEncode: Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let proceed = DispatchSemaphore(value: 0)
    private let left = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    init(_ gate: AVIFGate, bytes: Int) {
      Thread { [self] in
        gate.run(bytes: bytes) {
          started.store(true, ordering: .sequentiallyConsistent)
          entered.signal()
          proceed.wait()
        }
        left.signal()
      }.start()
    }
    var hasStarted: Bool { started.load(ordering: .sequentiallyConsistent) }
    func admitted() -> Bool { entered.wait(timeout: .now() + 60) == .success }
    func finish() {
      proceed.signal()
      _ = left.wait(timeout: .now() + 60)
    }
  }

  @Test("flat artwork is predicted to need more AVIF encoder memory than a photo of its size")
  func avifEstimate() throws {
    try VipsLibrary.start()
    let side = 256
    // Three greys in 2-pixel stripes: every 16×16 block holds 3 values with high variance,
    // which libaom codes with intra block copy.
    let stripes = (0..<side * side).flatMap { index -> [UInt8] in
      let value: UInt8 = [40, 120, 200][(index % side / 2) % 3]
      return [value, value, value]
    }
    var generator = SystemRandomNumberGenerator()
    let noise = (0..<side * side * 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let artwork = try VipsImage.fromPixels(stripes, width: side, height: side, bands: 3)
    let photo = try VipsImage.fromPixels(noise, width: side, height: side, bands: 3)
    let gradient = try VipsImage.testPattern(width: side, height: side)
    #expect(try artwork.av1IntraCopyShare() > 0.9)
    #expect(try photo.av1IntraCopyShare() == 0)
    #expect(try gradient.av1IntraCopyShare() < 1.0 / 12)
    #expect(AVIFGate.estimate(artwork) > 3 * AVIFGate.estimate(photo) - (24 << 20))
    #expect(AVIFGate.estimate(photo) == AVIFGate.estimate(gradient))
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
