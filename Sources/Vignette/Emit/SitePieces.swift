import Foundation

/// The site's JSON files (the manifest, Hugo's `images.json` and `first.json`) made from one
/// encoded piece per document and per image, so that watch mode's rebuild after a one-post
/// edit encodes that post's pieces alone and copies the rest (`PipelineMemo` keeps them
/// between builds). Each piece is kept under a fingerprint of all it is made from: a
/// document's under its output digest (`EmitDigest.of`, which covers its path, its bytes and
/// every reference's outcome), an image's under its file, content hash and rendition
/// (`EmitDigest.describe`). Pieces without a fingerprint (no memo, check mode) are made
/// every time.
///
/// The bytes are those `JSONEncoder` gives the whole file with `.prettyPrinted`,
/// `.sortedKeys` and `.withoutEscapingSlashes` (`PrettyJSON`); `SitePiecesTests` compares
/// the two.
public final class SitePieces {
  /// Which file, and which list in it, a piece belongs to.
  public enum Kind: Hashable, Sendable {
    case manifestImage, manifestPost, hugoImage, hugoFirstImage
  }

  /// A piece with what it is made from.
  public struct Known: Sendable {
    var fingerprint: String
    /// Nil when the document or image adds nothing to the file.
    var piece: Piece?
  }

  /// One encoded entry: an array element or an object member (key and value), already
  /// indented for where it goes, and the key it is sorted by.
  public struct Piece: Sendable {
    var key: String
    var bytes: [UInt8]
  }

  /// Each document's output digest (`EmitDigest.of`) by its relative path, when known.
  let digests: [String: String]
  private let memo: PipelineMemo?
  private let context: String
  private let known: [Kind: [String: Known]]
  /// The pieces of this build, which replace the memo's at `finish` (so a deleted post's
  /// pieces go).
  private var made: [Kind: [String: Known]] = [:]

  /// Pieces kept in `memo` from the previous build in `context` (the build's settings:
  /// `EmitDigest.context` and the output layout), if any.
  init(memo: PipelineMemo?, context: String, digests: [String: String]) {
    self.memo = memo
    self.context = context
    self.digests = digests
    known = memo?.sitePieces(context: context) ?? [:]
  }

  /// No memo and no digests: every piece is made.
  convenience init() { self.init(memo: nil, context: "", digests: [:]) }

  /// The piece `key` of `kind`, taken from the previous build when `fingerprint` is the one
  /// it was made with, else made by `make`.
  func piece(_ kind: Kind, _ key: String, fingerprint: String?, make: () throws -> Piece?) rethrows -> Piece? {
    guard let fingerprint else { return try make() }
    if let known = known[kind]?[key], known.fingerprint == fingerprint {
      made[kind, default: [:]][key] = known
      return known.piece
    }
    let piece = try make()
    made[kind, default: [:]][key] = Known(fingerprint: fingerprint, piece: piece)
    return piece
  }

  /// The piece of the document at `relativePath`, kept under its output digest.
  func document(_ kind: Kind, _ relativePath: String, make: () throws -> Piece?) rethrows -> Piece? {
    try piece(kind, relativePath, fingerprint: digests[relativePath], make: make)
  }

  /// The piece of the image `key` (its file, or a plan key), kept under its rendition.
  func image(_ kind: Kind, _ key: String, source: SourceImage, rendered: RenderedImage, make: () throws -> Piece?)
    rethrows -> Piece?
  {
    let fingerprint =
      memo == nil ? nil : source.file + "|" + source.hash + "|" + EmitDigest.describe(rendered)
    return try piece(kind, key, fingerprint: fingerprint, make: make)
  }

  /// Hands this build's pieces to the memo for the next build.
  func finish() { memo?.keepSitePieces(made, context: context) }
}

/// JSON as `JSONEncoder` writes it with `.prettyPrinted`, `.sortedKeys` and
/// `.withoutEscapingSlashes` (two spaces a level, `"key" : value`, an empty container as an
/// opening line, an empty line and a closing one), assembled from pieces encoded one by one.
/// Written by hand because `JSONEncoder` can only encode a whole value, and the site's files
/// are made of thousands of pieces of which one changes.
enum PrettyJSON {
  static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// `value` alone, as it would be at the top of a file (no final newline).
  static func encode(_ value: some Encodable, with encoder: JSONEncoder) throws -> [UInt8] {
    Array(try encoder.encode(value))
  }

  /// `value` as an element of an array at `depth - 1`: every line but empty ones moved `depth`
  /// levels in.
  static func element(_ value: some Encodable, depth: Int, with encoder: JSONEncoder) throws -> [UInt8] {
    indented(try encode(value, with: encoder), depth: depth, first: true)
  }

  /// `key : value` as a member of an object at `depth - 1`.
  static func member(_ key: String, _ value: some Encodable, depth: Int, with encoder: JSONEncoder) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0x20, count: 2 * depth)
    bytes += try encode(key, with: encoder)
    bytes += Array(" : ".utf8)
    bytes += indented(try encode(value, with: encoder), depth: depth, first: false)
    return bytes
  }

  /// An array at `depth` of `elements` made by `element(_:depth:with:)` with `depth + 1`.
  static func array(_ elements: [[UInt8]], depth: Int) -> [UInt8] {
    container(open: 0x5B, close: 0x5D, elements, depth: depth)
  }

  /// An object at `depth` of `members` made by `member(_:_:depth:with:)` with `depth + 1`,
  /// sorted by their keys as `.sortedKeys` sorts them (by their UTF-8 bytes).
  static func object(_ members: [SitePieces.Piece], depth: Int) -> [UInt8] {
    let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    return container(open: 0x7B, close: 0x7D, sorted.map(\.bytes), depth: depth)
  }

  /// An array written a piece at a time, with the bytes `array(_:depth:)` gives for the
  /// same elements: `open`, then `separator` between elements, then `close(depth:)`.
  static let open: [UInt8] = [0x5B, 0x0A]
  static let separator: [UInt8] = [0x2C, 0x0A]
  static func close(depth: Int) -> [UInt8] { [0x0A] + [UInt8](repeating: 0x20, count: 2 * depth) + [0x5D] }

  private static func container(open: UInt8, close: UInt8, _ items: [[UInt8]], depth: Int) -> [UInt8] {
    var bytes: [UInt8] = [open, 0x0A]
    bytes.reserveCapacity(items.reduce(2 * depth + 4) { $0 + $1.count + 2 })
    for (index, item) in items.enumerated() {
      if index > 0 { bytes += [0x2C, 0x0A] }
      bytes += item
    }
    // An empty container is its two lines with an empty one between.
    bytes.append(0x0A)
    bytes += [UInt8](repeating: 0x20, count: 2 * depth)
    bytes.append(close)
    return bytes
  }

  /// `bytes` with two spaces a level before each line that is not empty (the first one too
  /// when `first`). A JSON string holds no raw newline, so every newline ends a line.
  static func indented(_ bytes: [UInt8], depth: Int, first: Bool) -> [UInt8] {
    let indent = [UInt8](repeating: 0x20, count: 2 * depth)
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count + bytes.count / 8)
    var atStart = first
    for byte in bytes {
      if atStart && byte != 0x0A { result += indent }
      atStart = byte == 0x0A
      result.append(byte)
    }
    return result
  }
}
