internal import CVipsShim
import Foundation
import Synchronization

/// Process-wide libvips setup. libvips must be initialised once, from one thread, before any
/// image call; `start` does that (idempotently) and turns off the operation cache, which only
/// costs memory when every image of a batch is different.
public enum VipsLibrary {
  private static let initialisation: Result<Void, VipsError> = {
    if cvips_init("vignette") != 0 {
      return .failure(VipsError.take(operation: "vips_init"))
    }
    cvips_disable_operation_cache()
    started.store(true, ordering: .releasing)
    return .success(())
  }()

  private static let started = Atomic<Bool>(false)

  /// Initialises libvips (once per process) and sets its worker-thread count when given.
  public static func start(threads: Int? = nil) throws {
    try initialisation.get()
    if let threads { cvips_set_concurrency(Int32(threads)) }
  }

  /// Whether libvips runs liborc's run-time compiled vector code. Always false once
  /// started: liborc 0.4.33 frees compiled code without a lock and crashed large builds.
  public static var usesVectorCode: Bool { cvips_vector_enabled() != 0 }

  /// The number of threads libvips uses inside one pipeline.
  public static var threads: Int { Int(cvips_get_concurrency()) }

  /// libvips' version, e.g. "8.14.1"; part of every cache key.
  public static var version: String { String(cString: cvips_version_string()) }

  /// Releases libvips' per-thread state. Call it from threads libvips did not create once
  /// they have finished a job, or libvips leaks per-thread buffers. Before `start` there is
  /// nothing to release (and libvips' locks do not exist yet), so it does nothing.
  public static func threadDidFinishWork() {
    guard started.load(ordering: .acquiring) else { return }
    cvips_thread_shutdown()
  }

  /// libvips loaders beyond the web set, by the name `images.loaders` uses: the class each
  /// name unblocks. JPEG, PNG, WebP, GIF, HEIF/AVIF, SVG and TIFF are always allowed.
  public static let optionalLoaders: [String: String] = [
    "jp2k": "VipsForeignLoadJp2k", "jxl": "VipsForeignLoadJxl", "ppm": "VipsForeignLoadPpm",
    "rad": "VipsForeignLoadRad", "fits": "VipsForeignLoadFits", "openexr": "VipsForeignLoadOpenexr",
    "pdf": "VipsForeignLoadPdf", "openslide": "VipsForeignLoadOpenslide", "magick": "VipsForeignLoadMagick",
    "vips": "VipsForeignLoadVips", "matrix": "VipsForeignLoadMatrix", "csv": "VipsForeignLoadCsv",
    "analyze": "VipsForeignLoadAnalyze", "mat": "VipsForeignLoadMat",
  ]

  /// Loader nicknames' prefixes always allowed: the web formats.
  static let webLoaders = ["jpegload", "pngload", "webpload", "gifload", "heifload", "svgload", "tiffload"]

  private static let unblocked = Mutex<Set<String>>([])

  /// Blocks every libvips loader except the web set and the optional ones named (from
  /// `optionalLoaders`), and all loaders libvips marks untrusted unless named. libvips' block
  /// flags are process-wide, so once unblocked a loader stays so for the process (builds
  /// with other settings may run at once in one process); `refusal` applies each build's
  /// own list.
  public static func allowLoaders(_ extra: [String]) {
    // Applied the first time and whenever the set grows, under the lock: never undone.
    unblocked.withLock { names in
      let wanted = names.union(extra.filter { optionalLoaders[$0] != nil })
      guard wanted != names || !applied else { return }
      names = wanted
      applied = true
      apply(names.sorted().compactMap { optionalLoaders[$0] })
    }
  }

  nonisolated(unsafe) private static var applied = false

  private static func apply(_ classes: [String]) {
    var pointers = classes.map { strdup($0) }
    defer { for pointer in pointers { free(pointer) } }
    pointers.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buffer.count)) {
        cvips_allow_loaders($0, Int32(classes.count))
      }
    }
  }

  /// Why a source read by `loader` (a nickname such as `jp2kload`) is not used when only the
  /// web loaders and `extra` are allowed; nil when it is allowed.
  public static func refusal(loader: String, allowing extra: [String]) -> String? {
    let allowed = webLoaders + extra.map { $0 + "load" }
    guard !allowed.contains(where: { loader.hasPrefix($0) }) else { return nil }
    let family = loader.hasSuffix("load") ? String(loader.dropLast(4)) : loader
    return
      "the file is for libvips' \(loader) loader, which is not used by default (not a web image format); add \"\(family)\" to images.loaders to read such files"
  }

  /// Runs `body` with libvips' warnings on this thread collected instead of printed, and
  /// returns them (distinct, in order) with the result. The shim's own notes (a damaged
  /// profile treated as sRGB…) arrive the same way. `file` is replaced by "the file".
  public static func capturingWarnings<T>(file: String, _ body: () throws -> T) rethrows -> (T, [String]) {
    cvips_capture_begin()
    let result: T
    do {
      result = try body()
    } catch {
      free(cvips_capture_end())
      throw error
    }
    let raw = cvips_capture_end()
    defer { free(raw) }
    let text = raw.map { String(cString: $0) } ?? ""
    // "read gave 2 warnings" only counts the ones that follow it.
    let warnings = text.split(separator: "\n").map(String.init).filter {
      !($0.hasPrefix("read gave ") && ($0.hasSuffix(" warnings") || $0.hasSuffix(" warning")))
    }
    return (result, warnings.map { VipsError.naming($0, file: file) })
  }

  /// Hands memory freed by the last image back to the system. glibc keeps freed pages in
  /// per-thread arenas; after decoding large images that would grow a build's peak with
  /// the number of images seen rather than the number in flight.
  public static func releaseMemory() { cvips_release_memory() }

  /// Runs `body` on a new thread that libvips treats as one of its own workers, so images
  /// computed there reuse libvips' per-thread region buffers (on other threads every strip
  /// of every stage is a new zeroed allocation). For long-lived threads that do libvips work.
  public static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    // Before `start`, libvips' thread machinery does not exist yet: an ordinary thread.
    if started.load(ordering: .acquiring) {
      let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
      let status = cvips_thread_start(
        name, { context in Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body() }, context)
      if status == 0 { return }
      // libvips could not make a thread: an ordinary one (slower, still correct).
      Unmanaged<ThreadBody>.fromOpaque(context).release()
      free(cvips_error_take())
    }
    let thread = Thread { body() }
    thread.stackSize = 8 << 20
    thread.start()
  }
}

/// A thread's work, carried through C as an opaque pointer.
private final class ThreadBody: Sendable {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// A libvips failure, with the operation and libvips' own message.
public struct VipsError: Error, CustomStringConvertible, Sendable {
  /// What Vignette asked libvips to do.
  public var operation: String
  /// libvips' explanation, taken from its error buffer.
  public var message: String

  public var description: String { message.isEmpty ? "\(operation) failed" : message }

  public init(operation: String, message: String) {
    self.operation = operation
    self.message = message
  }

  /// Reads and clears this thread's libvips error text (the shim keeps one buffer per
  /// thread). `file`, when given, is replaced by "the file": messages never carry a path of
  /// the build machine, and callers name the file themselves, relative to the project.
  static func take(operation: String, file: String? = nil) -> VipsError {
    let raw = cvips_error_take()
    defer { free(raw) }
    let text = raw.map { String(cString: $0) } ?? ""
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    var seen: Set<String> = []
    let distinct = lines.filter { !$0.isEmpty && seen.insert($0).inserted }
    let message = distinct.joined(separator: "; ")
    return VipsError(operation: operation, message: file.map { naming(message, file: $0) } ?? message)
  }

  /// `text` with the path `file` (quoted or not) replaced by "the file".
  static func naming(_ text: String, file: String) -> String {
    guard !file.isEmpty else { return text }
    return text.replacingOccurrences(of: "\"\(file)\"", with: "the file").replacingOccurrences(
      of: file, with: "the file")
  }
}

/// What a file's header says, read without decoding pixels.
public struct ImageHeader: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var bands: Int
  /// Frames in an animated or multi-page file; 1 otherwise.
  public var pages: Int
  /// EXIF orientation, 1...8.
  public var orientation: Int
  public var hasAlpha: Bool
  public var hasICCProfile: Bool
  /// libvips' loader nickname, such as `jpegload`, `pngload`, `svgload`.
  public var loader: String
  /// An SVG stored gzip-compressed (`.svgz`): read through a bounded inflate.
  public var compressed: Bool
  /// The file carries EXIF, XMP, IPTC or text comments.
  public var hasMetadata: Bool
  /// Its pixels are 8-bit sRGB (with or without alpha): not grey, 16-bit, CMYK or another space.
  public var isSRGB8: Bool

  /// Width and height as displayed, after EXIF orientation is applied.
  public var orientedSize: (width: Int, height: Int) {
    orientation >= 5 ? (height, width) : (width, height)
  }

  /// Reads the header of the file at `path`.
  public init(path: String) throws {
    var raw = cvips_header()
    guard cvips_read_header(path, &raw) == 0 else { throw VipsError.take(operation: "header", file: path) }
    width = Int(raw.width)
    height = Int(raw.height)
    bands = Int(raw.bands)
    pages = max(1, Int(raw.pages))
    orientation = Int(raw.orientation)
    hasAlpha = raw.has_alpha != 0
    hasICCProfile = raw.has_icc != 0
    loader = withUnsafeBytes(of: raw.loader) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    compressed = raw.compressed != 0
    hasMetadata = raw.has_metadata != 0
    // VIPS_INTERPRETATION_sRGB is 22 and VIPS_FORMAT_UCHAR 0 (the shim's header keeps libvips'
    // own headers out of Swift).
    isSRGB8 = raw.interpretation == 22 && raw.band_format == 0
  }
}

/// How strict decoding is about damaged files.
public enum FailOn: Int32, Sendable {
  case none = 0
  case truncated = 1
  case error = 2
  case warning = 3
}

/// An encoded image format Vignette writes.
public enum EncodedFormat: String, Sendable, CaseIterable {
  case avif, webp, jpeg, png
}

/// One libvips image. Owns its reference: released when the wrapper goes. Never share one
/// across tasks; a render job opens, processes and releases inside one synchronous call.
public final class VipsImage {
  let pointer: OpaquePointer

  init(taking pointer: OpaquePointer) { self.pointer = pointer }
  deinit { cvips_unref(pointer) }

  static func make(
    _ operation: String, _ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32
  ) throws -> VipsImage {
    var out: OpaquePointer?
    guard body(&out) == 0, let out else { throw VipsError.take(operation: operation) }
    return VipsImage(taking: out)
  }

  /// The file at `path` decoded at `width` (never upscaled; shrink-on-load where the format
  /// has it) into memory as 8-bit sRGB without metadata: EXIF orientation applied, embedded
  /// profiles and CMYK converted, untagged images kept as they are. Exactly `width` (or the
  /// source's width) wide, or an error. A damaged profile or reduced-size copy falls back to
  /// the full image, with a note for `capturingWarnings`.
  public static func decoded(path: String, width: Int, failOn: FailOn = .truncated) throws -> VipsImage {
    var out: OpaquePointer?
    guard cvips_decode(path, Int32(width), failOn.rawValue, &out) == 0, let out else {
      throw VipsError.take(operation: "decode", file: path)
    }
    return VipsImage(taking: out)
  }

  /// The gzip file at `path` inflated (at most `limit` bytes): the SVG inside an `.svgz`.
  public static func gunzipped(path: String, limit: Int = 64 << 20) throws -> [UInt8] {
    var buffer: UnsafeMutableRawPointer?
    var length = 0
    guard cvips_gunzip_file(path, limit, &buffer, &length) == 0, let buffer else {
      throw VipsError.take(operation: "gunzip", file: path)
    }
    defer { cvips_free(buffer) }
    return Array(UnsafeRawBufferPointer(start: buffer, count: length))
  }

  /// This image resized to `width` with lanczos3, keeping its aspect ratio.
  public func resized(width: Int) throws -> VipsImage {
    try VipsImage.make("resize") { cvips_thumbnail_image(pointer, Int32(width), $0) }
  }

  /// 8-bit sRGB (alpha kept), with every metadata field removed.
  public func srgb8() throws -> VipsImage {
    try VipsImage.make("colourspace") { cvips_to_srgb8(pointer, $0) }
  }

  /// This image flattened onto white when it has alpha (for JPEG), else itself.
  public func flattenedOnWhite() throws -> VipsImage {
    hasAlpha ? try VipsImage.make("flatten") { cvips_flatten_white(pointer, $0) } : self
  }

  /// The image fully computed into memory (on this thread), so several encoders can read it
  /// without computing it again.
  public func inMemory() throws -> VipsImage {
    try VipsImage.make("copy_memory") { cvips_materialize(pointer, $0) }
  }

  public var width: Int { Int(cvips_image_width(pointer)) }
  public var height: Int { Int(cvips_image_height(pointer)) }
  public var bands: Int { Int(cvips_image_bands(pointer)) }
  public var hasAlpha: Bool { cvips_image_has_alpha(pointer) != 0 }
  /// Whether the pixels are already computed and held in memory; otherwise every reader runs
  /// the operations that make them again.
  public var isInMemory: Bool { cvips_image_in_memory(pointer) != 0 }

  /// The mean of each band.
  public func bandMeans() throws -> [Double] {
    var means = [Double](repeating: 0, count: 4)
    let count = cvips_band_means(pointer, &means, 4)
    guard count > 0 else { throw VipsError.take(operation: "stats") }
    return Array(means.prefix(Int(count)))
  }

  /// The share of the picture (0–1) that libaom would code with intra block copy: flat
  /// artwork, where its AVIF encoder needs about four times the memory of a photo (see
  /// `cvips_av1_copy_blocks`). Above 1/12, libaom turns the tool on.
  public func av1IntraCopyShare() throws -> Double {
    var share = 0.0
    guard cvips_av1_copy_blocks(pointer, &share) == 0 else { throw VipsError.take(operation: "av1 copy blocks") }
    return share
  }

  /// Raw interleaved pixel bytes.
  package func pixels() throws -> [UInt8] {
    var size = 0
    guard let raw = cvips_write_to_memory(pointer, &size) else {
      throw VipsError.take(operation: "write_to_memory")
    }
    defer { cvips_free(raw) }
    return Array(UnsafeRawBufferPointer(start: raw, count: size))
  }

  /// Encodes the image, metadata stripped. `effort` applies to WebP (0–6) and AVIF (0–9);
  /// `quality` is ignored for PNG.
  public func encoded(as format: EncodedFormat, quality: Int, effort: Int? = nil) throws -> [UInt8] {
    var buffer: UnsafeMutableRawPointer?
    var length = 0
    let status: Int32
    switch format {
    case .jpeg: status = cvips_save_jpeg(pointer, Int32(quality), &buffer, &length)
    case .webp: status = cvips_save_webp(pointer, Int32(quality), Int32(effort ?? 4), &buffer, &length)
    case .avif: status = cvips_save_avif(pointer, Int32(quality), Int32(effort ?? 4), &buffer, &length)
    case .png: status = cvips_save_png(pointer, 6, &buffer, &length)
    }
    guard status == 0, let buffer else { throw VipsError.take(operation: "\(format.rawValue)save") }
    defer { cvips_free(buffer) }
    return Array(UnsafeRawBufferPointer(start: buffer, count: length))
  }

  /// The PNG at `path` saved again without metadata, losslessly: the same pixels at the same
  /// bit depth, its EXIF, XMP and text chunks gone.
  public static func strippedPNG(path: String) throws -> [UInt8] {
    var buffer: UnsafeMutableRawPointer?
    var length = 0
    guard cvips_png_stripped(path, &buffer, &length) == 0, let buffer else {
      throw VipsError.take(operation: "pngsave", file: path)
    }
    defer { cvips_free(buffer) }
    return Array(UnsafeRawBufferPointer(start: buffer, count: length))
  }

  /// A smooth colour test pattern of the given size, optionally with an alpha ramp.
  package static func testPattern(width: Int, height: Int, alpha: Bool = false) throws -> VipsImage {
    try make("test pattern") { cvips_test_pattern(Int32(width), Int32(height), alpha ? 1 : 0, $0) }
  }

  /// Opens (lazily) an image file for inspection: size, bands, pixels.
  package static func open(path: String) throws -> VipsImage {
    try make("load") { cvips_open(path, $0) }
  }

  /// Decodes every pixel of the file at `path`; throws when it cannot.
  package static func verifyDecodes(path: String, failOn: FailOn = .truncated) throws {
    guard cvips_decode_check(path, failOn.rawValue) == 0 else {
      throw VipsError.take(operation: "decode")
    }
  }
}
