import Foundation
import Vips

/// One machine's share of a build split over N machines (`vignette build --shard K/N`).
/// A source belongs to the shard picked by its content hash, never by its name or folder, so
/// renaming or moving a file does not move its work to another shard, and every source is in
/// exactly one shard.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
  /// 1-based, as CI matrices count: `1/4` … `4/4`.
  public let index: Int
  public let count: Int

  /// The most shards a build can be split into.
  public static let maximumCount = 4096

  public init?(index: Int, count: Int) {
    guard (1...Self.maximumCount).contains(count), (1...count).contains(index) else { return nil }
    self.index = index
    self.count = count
  }

  /// Parses `K/N` (`--shard 2/4`).
  public static func parse(_ text: String) -> Result<Shard, ShardError> {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
      return .failure(ShardError(message: "\"\(text)\" is not K/N (for example 2/4)"))
    }
    guard let shard = Shard(index: index, count: count) else {
      return .failure(
        ShardError(message: "\"\(text)\": N must be 1…\(maximumCount) and K must be 1…N"))
    }
    return .success(shard)
  }

  /// The shard (1…`count`) that renders the source whose SHA-256 (hex) is `hash`: the first
  /// 64 bits of the hash, modulo `count`. SHA-256 spreads them evenly.
  public static func index(ofHash hash: String, count: Int) -> Int {
    let prefix = UInt64(hash.prefix(16), radix: 16) ?? UInt64(Checksum.sha256(hash).prefix(16), radix: 16)!
    return Int(prefix % UInt64(count)) + 1
  }

  /// Whether this shard renders the source whose content hash is `hash`.
  public func owns(hash: String) -> Bool { Self.index(ofHash: hash, count: count) == index }

  public var description: String { "\(index)/\(count)" }
}

/// Why `--shard` was refused.
public struct ShardError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}
