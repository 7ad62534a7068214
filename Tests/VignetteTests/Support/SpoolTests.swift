import Foundation
import Testing

@testable import Vignette

/// `Spool`: records appended from one thread read back from many, whether they are still in
/// memory or already in its file (which is never seen in the folder), and the same without a
/// folder to put the file in.
@Suite struct SpoolTests {
  func fill(_ spool: Spool, _ count: Int) -> [Int] {
    (0..<count).map { index in
      spool.append { writer in
        writer.string("posts/post-\(index)/index.html")
        writer.int(index)
        // Some records longer than a read's first guess (512 bytes).
        if index % 97 == 0 { writer.string(String(repeating: "x", count: 3000 + index)) }
      }
    }
  }

  func check(_ spool: Spool, _ positions: [Int]) async {
    // Read back on several threads at once, in an order of their own.
    await withTaskGroup(of: Bool.self) { group in
      for start in 0..<4 {
        group.addTask {
          (try? await onOwnThread {
            stride(from: start, to: positions.count, by: 4).reversed().allSatisfy { index in
              let (name, number, long) = spool.read(at: positions[index]) { reader in
                (
                  try reader.string(), try reader.int(),
                  index % 97 == 0 ? try reader.string().count : 0
                )
              }
              return name == "posts/post-\(index)/index.html" && number == index
                && long == (index % 97 == 0 ? 3000 + index : 0)
            }
          }) ?? false
        }
      }
      for await ok in group { #expect(ok) }
    }
  }

  @Test func recordsReadBackFromFileAndMemory() async throws {
    let site = try TestSite()
    let spool = Spool(folder: site.path(""))
    let positions = fill(spool, 5_000)
    // Far more than is kept in memory (64 KiB), and nothing left in the folder.
    #expect(positions.last! > 1 << 18)
    #expect(try FileManager.default.contentsOfDirectory(atPath: site.path("")).allSatisfy { !$0.contains("spool") })
    await check(spool, positions)
    // More records after reading: still found.
    let more = fill(spool, 300)
    await check(spool, more)
  }

  @Test func withoutTheFolderItUsesTheTemporaryFolder() async throws {
    let spool = Spool(folder: "/nonexistent-\(UUID())")
    let positions = fill(spool, 2_000)
    await check(spool, positions)
  }

  /// Where no file can be made at all, every record stays in memory, and reads back.
  @Test func withNoFileItKeepsRecordsInMemory() async throws {
    let spool = Spool(folders: ["/nonexistent-\(UUID())"])
    let positions = fill(spool, 2_000)
    await check(spool, positions)
  }
}
