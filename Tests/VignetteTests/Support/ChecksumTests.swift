import Foundation
import Testing

@testable import Vignette

@Suite struct ChecksumTests {
  /// `Checksum.Running` hashes its parts as they pile up: the digest is the one of the parts
  /// joined, also across the point where it hashes what it holds, and for no parts at all.
  @Test func aRunningDigestIsTheDigestOfThePartsJoined() {
    #expect(Checksum.Running().hex == Checksum.sha256(""))
    var running = Checksum.Running()
    var joined = ""
    for index in 0..<5_000 {
      let part = "part \(index) " + String(repeating: "é", count: index % 37)
      running.add(part)
      joined += part
      if index == 10 { #expect(running.hex == Checksum.sha256(joined)) }
    }
    #expect(joined.utf8.count > 3 << 16)
    #expect(running.hex == Checksum.sha256(joined))
    #expect(running.hex != Checksum.sha256(joined + "x"))
  }
}
