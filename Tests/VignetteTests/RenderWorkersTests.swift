import Foundation
import Testing

@testable import Vignette

@Suite("render threads")
struct RenderWorkersTests {
  @Test("jobs run on at most `count` threads of their own and hand back results and errors")
  func runsJobs() async throws {
    let workers = RenderWorkers(count: 2)
    let caller = UInt(pthread_self())
    let threads = try await withThrowingTaskGroup(of: UInt.self) { group in
      for _ in 0..<16 {
        group.addTask {
          try await workers.run {
            Thread.sleep(forTimeInterval: 0.002)
            return UInt(pthread_self())
          }
        }
      }
      return try await group.reduce(into: Set<UInt>()) { $0.insert($1) }
    }
    #expect((1...2).contains(threads.count))
    #expect(!threads.contains(caller))
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
