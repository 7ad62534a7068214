import Foundation

/// `vignette.lock.json`: what the network said about each video, meant to be committed so
/// that a CI build (with the cache restored) needs no network and writes the same output.
/// Keys are sorted and there are no timestamps, so an unchanged site gives the same bytes.
public struct VideoLockfile: Codable, Sendable, Equatable {
  public var version = 1
  /// By video id.
  public var videos: [String: Entry] = [:]

  public init() {}

  public struct Entry: Codable, Sendable, Equatable {
    public var title: String?
    public var author: String?
    public var authorURL: String?
    /// The chosen thumbnail; nil when YouTube had none worth using.
    public var poster: Poster?
    /// `oembed` when fetched; `hand` when typed in by a person. A build that can reach
    /// YouTube replaces `hand` entries with what oEmbed says.
    public var origin: Origin
    /// Free text for people reading the file.
    public var note: String?
    /// The status YouTube answered (401, 403 or 404) for a private, removed or
    /// non-embeddable video: it is shown as a link, and an offline build does the same
    /// without asking. Delete the entry to ask again.
    public var unavailable: Int?

    public init(
      title: String?, author: String? = nil, authorURL: String? = nil, poster: Poster? = nil, origin: Origin,
      note: String? = nil, unavailable: Int? = nil
    ) {
      self.title = title
      self.author = author
      self.authorURL = authorURL
      self.poster = poster
      self.origin = origin
      self.note = note
      self.unavailable = unavailable
    }
  }

  public enum Origin: String, Codable, Sendable {
    case oembed, hand
  }

  public struct Poster: Codable, Sendable, Equatable {
    public var url: String
    public var sha256: String
    public var width: Int
    public var height: Int
  }

  /// Reads the lockfile; a missing file is an empty lockfile, a damaged one is an error
  /// that names the file.
  public static func load(path: String, display: String) throws(LockfileError) -> VideoLockfile {
    guard let data = FileManager.default.contents(atPath: path) else { return VideoLockfile() }
    do {
      let lockfile = try JSONDecoder().decode(VideoLockfile.self, from: data)
      guard lockfile.version == 1 else {
        throw LockfileError(file: display, message: "version \(lockfile.version) is not supported (expected 1)")
      }
      return lockfile
    } catch let error as LockfileError {
      throw error
    } catch {
      throw LockfileError(file: display, message: "is not a valid lockfile: \(error)")
    }
  }

  /// Pretty, key-sorted JSON with a final newline.
  public func encoded() -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = (try? encoder.encode(self)) ?? Data()
    data.append(0x0A)
    return data
  }
}

/// A lockfile that cannot be read.
public struct LockfileError: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var message: String
  public var description: String { "\(file): error: \(message)" }
}
