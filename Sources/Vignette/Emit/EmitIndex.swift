import Foundation
import Synchronization
import Vips

/// What the last build wrote for each document, kept in the cache folder (`emits.bin`, see `CacheIndex`): a
/// digest of everything the document's outputs are made from (`EmitDigest`) and the size and
/// mtime of each output file as written. A later build whose digest and output stamps match
/// takes the outputs as they are, so an unchanged post is neither rendered again nor compared
/// with `output/`; an output deleted or edited by hand no longer matches its stamp and is
/// written again. Watch mode keeps one index in memory across its builds, and takes the
/// outputs it wrote or checked itself in this session as they are, without a `stat` each
/// (`verified`); an output edited by hand while it watches is written again when its post
/// changes, or by the next `vignette build`. Only front ends
/// that give a document's input digest (`FrontEnd.inputDigest`, markdown mode) use it; site
/// mode keeps its own index of pages (`site/pages.bin`).
final class EmitIndex: Sendable {
  struct Entry: CacheRecord, Sendable, Equatable {
    var digest: String
    /// Each output's path (relative to the output folder) and stamp when it was written.
    var outputs: [String: FileStamp]

    init(digest: String, outputs: [String: FileStamp]) {
      self.digest = digest
      self.outputs = outputs
    }

    init(from reader: inout CacheRecordReader) throws {
      digest = try reader.string()
      let pairs = try reader.array { reader in (try reader.string(), try reader.record(FileStamp.self)) }
      outputs = Dictionary(pairs) { first, _ in first }
    }

    func write(to writer: inout CacheRecordWriter) {
      writer.string(digest)
      writer.array(outputs.sorted { $0.key < $1.key }) { writer, pair in
        writer.string(pair.key)
        writer.record(pair.value)
      }
    }
  }

  private let entries: CacheIndex<Entry>
  /// The outputs (sorted) of each document this index wrote or found as recorded, with their
  /// digest: an index kept across builds (watch mode) takes them as they are, since nothing
  /// but Vignette is meant to write the output folder, and `stat`ing every output of a large
  /// site cost a one-post rebuild more than writing the post.
  private let verified = Mutex<[String: (digest: String, outputs: [String])]>([:])

  /// The index stored in `folder` (the cache folder); empty when missing or damaged.
  init(folder: String) {
    entries = CacheIndex(path: folder + "/emits.bin", context: EmitDigest.version)
  }

  /// The outputs of `document` when they are still what `digest` makes and nobody changed
  /// them since; nil when they must be made again.
  func kept(_ document: String, digest: String, outputFolder: String) -> [String]? {
    if let known = verified.withLock({ $0[document] }), known.digest == digest { return known.outputs }
    guard let entry = entries[document], entry.digest == digest,
      entry.outputs.allSatisfy({ relative, stamp in FileSystem.stamp(outputFolder + "/" + relative) == stamp })
    else { return nil }
    let outputs = entry.outputs.keys.sorted()
    verified.withLock { $0[document] = (digest, outputs) }
    return outputs
  }

  /// Records the outputs just written for `document` (forgets it when one cannot be read).
  func remember(_ document: String, digest: String, outputs: [String], outputFolder: String) {
    var stamps: [String: FileStamp] = [:]
    for relative in outputs {
      guard let stamp = FileSystem.stamp(outputFolder + "/" + relative) else {
        entries.set(document, nil)
        verified.withLock { $0[document] = nil }
        return
      }
      stamps[relative] = stamp
    }
    entries.set(document, Entry(digest: digest, outputs: stamps))
    verified.withLock { $0[document] = (digest, stamps.keys.sorted()) }
  }

  /// Drops the entries of documents `isDocument` does not know (posts deleted or renamed).
  func retain(documents isDocument: (String) -> Bool) {
    entries.retain { $0 == Self.site || isDocument($0) }
    verified.withLock { $0 = $0.filter { $0.key == Self.site || isDocument($0.key) } }
  }

  /// The key of the files of the whole site (manifest, Hugo's templates and data), made
  /// from every document's outcome and every image: `/`, which no document's path is.
  static let site = "/"

  /// Writes the index when it changed since it was loaded or last saved.
  func save() throws { try entries.save() }
}

/// The digest of everything a document's outputs are made from: the build's context (the
/// settings that shape every page, the base path, and the Vignette binary itself, so an
/// upgraded Vignette writes every page again), the document's path and its front end's digest
/// of it (markdown: the post's bytes), whether the site has videos, and what became of each of
/// its references (status, file, message, the rendered image's variants and placeholder, the
/// video's metadata and poster).
///
/// Written out field by field rather than through `JSONEncoder` or `Hasher`: `Hasher` is
/// seeded per process, and encoding every reference's outcome as JSON on every build would
/// cost a no-op rebuild of a large site more than rendering the pages did.
enum EmitDigest {
  /// Bumped when what is written for a document changes without the binary changing.
  static let version = "emit-2"

  /// The part of every document's digest that is the same for the whole build.
  static func context(_ project: Project) -> String {
    var parts = [version, "engine-\(VariantPlanner.engineVersion)", "vips-\(VipsLibrary.version)"]
    parts.append(executableStamp)
    parts.append(String(reflecting: project.config.images))
    parts.append(project.config.frontMatterImageKeys.joined(separator: ","))
    parts.append("base:" + project.basePath)
    parts.append("content:" + project.content)
    parts.append("root:" + project.root)
    return parts.joined(separator: "\n")
  }

  /// Size and mtime of the running executable: any rebuilt or upgraded Vignette rewrites
  /// every document once, so a change in how pages are written never leaves stale ones.
  static let executableStamp: String = {
    let path = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
    guard let stamp = FileSystem.stamp(path) else { return "executable:unknown" }
    return "executable:\(stamp.size):\(stamp.modified)"
  }()

  /// The digest of `document`'s outputs in a build with `context`.
  static func of<Document: ScannedDocument>(
    _ document: DocumentOutcome<Document>, input: String, siteHasVideos: Bool, context: String
  ) -> String {
    var text = context
    text += "\ndocument:" + document.document.relativePath
    text += "\ninput:" + input
    text += "\nvideos:\(siteHasVideos)"
    for item in document.references { append(item, to: &text) }
    return Checksum.sha256(text)
  }

  /// The digest of everything the manifest is made from (`Manifest.init(_:frontEnd:…)`):
  /// the build's context, the project folder its paths are relative to, the output layout,
  /// every rendered source with its hash, every document's paths and each reference as the
  /// manifest lists it, and every video. Equal digests make byte-identical manifests, so a
  /// build whose digest the index still holds neither encodes the manifest nor compares it.
  static func manifest<F: FrontEnd>(
    _ build: BuildOutcome<F.Document>, frontEnd: F, context: String, root: String
  ) -> String {
    let layout = frontEnd.layout
    var text = context
    text += "\nmanifest-1\nroot:" + root + "\nvariants:" + layout.variantFolder
    for (key, rendered) in build.images.sorted(by: { $0.key < $1.key }) {
      text += "\nsource:" + key + "|" + rendered.source.file + "|" + rendered.source.hash
      text += "|\(rendered.image.servedSourceJoins != nil)"
      append(rendered.image, to: &text)
    }
    for (id, file) in build.posters.sorted(by: { $0.key < $1.key }) { text += "\nposter:" + id + "|" + file }
    // Hashed as it goes: the text of a large site's references is megabytes.
    var digest = Checksum.Running()
    for document in build.documents {
      if text.utf8.count >= 1 << 14 {
        digest.add(text)
        text = ""
      }
      let paths = frontEnd.outputPaths(of: document.document)
      text += "\ndocument:" + document.document.path + "|" + paths.output + "|" + paths.html
      for item in document.references {
        let reference = item.reference
        text += "\nref:\(reference.kind.rawValue)@\(reference.line):\(reference.column)|" + reference.target
        text += "|\(item.status.rawValue)|" + (item.file ?? "\u{0}") + "|" + (item.message ?? "\u{0}")
        text += "|" + (item.video?.id ?? "\u{0}")
      }
    }
    for video in build.videos.values.sorted(by: { $0.id < $1.id }) { append(video, to: &text) }
    digest.add(text)
    return digest.hex
  }

  private static func append(_ item: ReferenceOutcome, to text: inout String) {
    let reference = item.reference
    text += "\nref:\(reference.kind.rawValue)@\(reference.offset)|\(item.status.rawValue)|"
    text += (item.file ?? "") + "|" + (item.message ?? "")
    if let image = item.image { append(image, to: &text) }
    if let video = item.video { append(video, to: &text) }
  }

  /// The digest of the files of the whole site (`EmitIndex.site`): what the manifest and the
  /// front end's site files are made from, which is every document's own digest in order
  /// (`documents`). Those cover each document's path and bytes and what each reference
  /// became: every image and video of the build is some reference's outcome, and each
  /// variant's key covers its source's content hash.
  static func ofSite(documents: [String], context: String) -> String {
    Checksum.sha256(context + "\nsite\n" + documents.joined(separator: "\n"))
  }

  private static func append(_ video: Video, to text: inout String) {
    text += "\nvideo:\(video.id)|\(video.title ?? "\u{0}")|\(video.author ?? "\u{0}")|\(video.authorURL ?? "\u{0}")"
    text += "|\(video.posterURL ?? "\u{0}")|\(video.unavailable)"
    if let poster = video.poster { append(poster, to: &text) }
  }

  /// `image` as the digests describe it: everything an output or the manifest shows of it.
  static func describe(_ image: RenderedImage) -> String {
    var text = ""
    append(image, to: &text)
    return text
  }

  private static func append(_ image: RenderedImage, to text: inout String) {
    text += "\nimage:\(image.width)x\(image.height)|\(image.note ?? "\u{0}")"
    text += "|\(image.servedSourceJoins?.rawValue ?? "\u{0}")|\((image.warnings ?? []).joined(separator: "\u{1}"))"
    if let placeholder = image.placeholder {
      text += "|" + placeholder.color + "|" + (placeholder.preview ?? "\u{0}")
    }
    for variant in image.variants {
      text += "\nvariant:\(variant.key)|\(variant.fileName)|\(variant.urlPath)|\(variant.width)x\(variant.height)"
      text += "|\(variant.format.rawValue)|\(variant.bytes)|\(variant.servedSource == true)"
    }
  }
}
