import Crypto
import Foundation

/// SHA-256 for content keys and integrity checks, through swift-crypto (BoringSSL's
/// assembly, which uses the CPU's SHA extensions where it has them: several times faster
/// than glib's portable C, which hashed every source before).
public enum Checksum {
  /// Lower-case hex SHA-256 of `bytes`.
  public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
    hex(SHA256.hash(data: bytes))
  }

  /// Lower-case hex SHA-256 of `data`.
  public static func sha256(_ data: Data) -> String {
    data.withUnsafeBytes { sha256($0) }
  }

  /// Lower-case hex SHA-256 of the UTF-8 bytes of `string`.
  public static func sha256(_ string: String) -> String {
    sha256(Data(string.utf8))
  }

  /// SHA-256 of a long text handed over in parts, hashed as they come so that the whole text
  /// is never held: the digest of the parts joined, as `sha256(_:)` would give it.
  public struct Running {
    private var state = SHA256()
    private var pending = ""

    public init() {}

    /// Appends `text`, hashing what has piled up once it is large.
    public mutating func add(_ text: String) {
      pending += text
      if pending.utf8.count >= 1 << 16 { flush() }
    }

    private mutating func flush() {
      state.update(data: Data(pending.utf8))
      pending = ""
    }

    /// Lower-case hex SHA-256 of everything added.
    public var hex: String {
      var copy = self
      copy.flush()
      return Checksum.hex(copy.state.finalize())
    }
  }

  private static let digits = Array("0123456789abcdef".utf8)

  static func hex(_ digest: SHA256.Digest) -> String {
    String(unsafeUninitializedCapacity: SHA256.byteCount * 2) { buffer in
      var index = 0
      for byte in digest {
        buffer[index] = digits[Int(byte >> 4)]
        buffer[index + 1] = digits[Int(byte & 0x0f)]
        index += 2
      }
      return index
    }
  }
}
