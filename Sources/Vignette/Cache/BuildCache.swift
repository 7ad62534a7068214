import Foundation
import Synchronization
import Vips

/// The content-addressed cache in the `cache` folder:
/// - `objects/<key>.<ext>`: encoded variant bytes, named by their variant key;
/// - `renders/<plan key>.json`: what rendering a source produced (variants, placeholder);
/// - `sources.json`: size and mtime of each source with its hash and header, so an
///   unchanged source is neither read nor hashed again.
/// Every entry is written atomically; a damaged entry is treated as missing.
public final class BuildCache: Sendable {
  public let folder: String
  /// The source index as loaded, with what this build added, and whether it changed.
  private let index: Mutex<(sources: [String: SourceRecord], changed: Bool)>

  struct SourceRecord: Codable, Sendable {
    var stamp: FileStamp
    var image: SourceImage
    /// `headerVersion` when written; records of an older header reader are read again.
    var version: Int?
  }

  /// Bumped when header reading learns something new (animated PNG frames, `.svgz`).
  static let headerVersion = 3

  public init(folder: String) {
    self.folder = folder
    let sources =
      (FileManager.default.contents(atPath: folder + "/sources.json")).flatMap {
        try? JSONDecoder().decode([String: SourceRecord].self, from: $0)
      }
      ?? [:]
    index = Mutex((sources, false))
  }

  func objectPath(_ key: String, _ format: VariantFormat) -> String {
    "\(folder)/objects/\(key.prefix(2))/\(key).\(format.fileExtension)"
  }

  func storeObject(_ variant: VariantPlan, _ data: Data) throws {
    try FileSystem.writeAtomically(data, to: objectPath(variant.key, variant.format))
  }

  func hasObject(_ variant: RenderedVariant) -> Bool {
    FileSystem.stamp(objectPath(variant.key, variant.format))?.size == Int64(variant.bytes)
  }

  /// The stored result for `plan`, named after `plan`'s source: the key covers only bytes and
  /// settings, so the same picture under another name (or a renamed file) shares the entry.
  func render(for plan: RenderPlan) -> RenderedImage? {
    guard let data = FileManager.default.contents(atPath: "\(folder)/renders/\(plan.key).json"),
      var rendered = try? JSONDecoder().decode(RenderedImage.self, from: data),
      rendered.variants.allSatisfy(hasObject)
    else { return nil }
    for index in rendered.variants.indices {
      guard let named = plan.outputs.first(where: { $0.key == rendered.variants[index].key }) else { return nil }
      rendered.variants[index].fileName = named.fileName
      rendered.variants[index].urlPath = named.urlPath
    }
    return rendered
  }

  func storeRender(_ rendered: RenderedImage, for key: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try FileSystem.writeAtomically(encoder.encode(rendered), to: "\(folder)/renders/\(key).json")
  }

  /// The source image at `file`: from the index when its size and mtime are unchanged,
  /// otherwise hashed and its header read anew.
  func source(file: String, urlPath: String) throws -> SourceImage {
    guard let stamp = FileSystem.stamp(file) else {
      throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file])
    }
    let cached = index.withLock { $0.sources[file] }
    if let cached, cached.stamp == stamp, cached.version == Self.headerVersion {
      var image = cached.image
      image.urlPath = urlPath
      return image
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
    let hash = Checksum.sha256(data)
    let (header, warnings) = try VipsLibrary.capturingWarnings(file: file) { try ImageHeader(path: file) }
    let size = header.orientedSize
    let image = SourceImage(
      file: file, urlPath: urlPath, hash: hash, width: size.width, height: size.height, hasAlpha: header.hasAlpha,
      pages: header.pages, loader: header.loader, bytes: Int64(data.count), compressed: header.compressed ? true : nil,
      warnings: warnings.isEmpty ? nil : warnings, copy: SourceCopy.allowed(by: header, warnings: warnings))
    index.withLock {
      $0.sources[file] = SourceRecord(stamp: stamp, image: image, version: Self.headerVersion)
      $0.changed = true
    }
    return image
  }

  /// Writes the source index when it changed.
  func save() throws {
    try index.withLock { index in
      guard index.changed else { return }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try FileSystem.writeAtomically(encoder.encode(index.sources), to: folder + "/sources.json")
      index.changed = false
    }
  }

  /// Drops the index entries of sources not in `files` and writes the index (for gc).
  func retainSources(_ files: Set<String>) throws {
    index.withLock { index in
      let before = index.sources.count
      index.sources = index.sources.filter { files.contains($0.key) }
      if index.sources.count != before { index.changed = true }
    }
    try save()
  }

  /// Copies (or hard-links) a cached variant to `path`, atomically. Returns whether it was
  /// written (not when the file was already there with the right size) and the file's stamp.
  func materialize(_ variant: RenderedVariant, at path: String) throws -> (written: Bool, stamp: FileStamp?) {
    if let stamp = FileSystem.stamp(path), stamp.size == Int64(variant.bytes) { return (false, stamp) }
    let object = objectPath(variant.key, variant.format)
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let temporary = (path as NSString).deletingLastPathComponent + "/.\(UUID().uuidString.prefix(8)).tmp"
    if link(object, temporary) != 0 {
      try FileManager.default.copyItem(atPath: object, toPath: temporary)
    }
    guard rename(temporary, path) == 0 else {
      try? FileManager.default.removeItem(atPath: temporary)
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
    return (true, FileSystem.stamp(path))
  }
}
