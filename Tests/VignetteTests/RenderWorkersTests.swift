import Foundation
import Testing

@testable import Vignette

@Suite("render threads")
struct RenderWorkersTests {
  @Test("jobs run on the render threads and hand back their results and errors")
  func runsJobs() async throws {
    let workers = RenderWorkers(count: 2)
    let names = try await withThrowingTaskGroup(of: String.self) { group in
      for _ in 0..<8 {
        group.addTask { try await workers.run { Thread.current.name ?? "" } }
      }
      return try await group.reduce(into: Set<String>()) { $0.insert($1) }
    }
    #expect(!names.isEmpty)
    #expect(names.allSatisfy { $0.hasPrefix("vg-render-") }, "\(names)")
    struct Refused: Error {}
    await #expect(throws: Refused.self) { try await workers.run { throw Refused() } }
  }

  /// A build with nothing to render (`check --skip-output`, a no-op rebuild) lets go of its
  /// workers at once, often before their threads have started. The threads must not reach
  /// back into the freed object (they once did, and the process aborted).
  @Test("workers dropped before their threads start are stopped safely")
  func droppedAtOnce() async throws {
    for _ in 0..<200 {
      _ = RenderWorkers(count: 2)
    }
    let last = RenderWorkers(count: 1)
    #expect(try await last.run { 42 } == 42)
  }
}
