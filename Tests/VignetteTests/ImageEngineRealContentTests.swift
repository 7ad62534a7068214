import Foundation
import Testing
import Vips

@testable import Vignette

/// What real sites and real image collections (issue 11) showed to be wrong in the image
/// engine: colours of untagged images, hostile files, animated sources, damaged profiles and
/// overviews, libvips' messages. Every source is generated here with libvips or by hand.
@Suite("Image engine: real content")
struct ImageEngineRealContentTests {
  /// A flat UI screenshot with no colour profile: white, a dark UI colour and a mid tone.
  static func screenshot(width: Int = 120, height: Int = 80) throws -> VipsImage {
    try TestSources.image(width: width, height: height) { x, _ in
      x < width / 3 ? (255, 255, 255, 255) : x < 2 * width / 3 ? (9, 12, 16, 255) : (200, 120, 40, 255)
    }
  }

  @Test("An untagged sRGB image keeps its pixel values: the lossless variant at its size is identical")
  func untaggedColours() async throws {
    let site = try TestSite()
    let source = try Self.screenshot()
    let png = try source.saved(as: ".png")
    #expect(!(try VipsImage.decode(png).fields.contains("icc-profile-data")))
    try site.write("assets/images/ui.png", Data(png))
    try site.write("assets/images/ui.jpg", Data(try source.saved(as: ".jpg[Q=95]")))
    try site.post(images: ["ui.png", "ui.jpg"])
    try site.imageConfig(widths: [480], formats: ["webp", "png"])
    #expect(try await site.build().errors == 0)
    let variant = try #require(try site.manifestImage("ui.png")?.variants.first { $0.format == .png })
    let output = try site.decode(variant)
    #expect((output.width, output.height, output.bands) == (120, 80, 3))
    #expect(try output.pixels() == (try source.pixels()), "PNG variant of an untagged PNG differs from the source")
    // The lossy formats stay within their own error of the source's values.
    for file in ["ui.png", "ui.jpg"] {
      for variant in try #require(try site.manifestImage(file)).variants {
        let output = try site.decode(variant)
        let pixels = try output.pixels()
        let white = output.pixel(10, 40, in: pixels)
        let dark = output.pixel(60, 40, in: pixels)
        #expect(white.prefix(3).allSatisfy { $0 >= 253 }, "\(variant.path): white is \(white)")
        #expect(zip(dark.prefix(3), [9, 12, 16]).allSatisfy { abs($0 - $1) <= 3 }, "\(variant.path): dark is \(dark)")
      }
    }
  }

  @Test("A truncated .svgz (libvips 8.14's sniffer loops forever on it) gets a located error; the build finishes")
  func truncatedSVGZ() async throws {
    let site = try TestSite()
    // libvips' own test image test/test-suite/images/truncated.svgz (LGPL-2.1+, 185 bytes).
    try site.write(
      "assets/images/cut.svgz",
      try Data(
        contentsOf: URL(
          fileURLWithPath: TestSite.repositoryRoot + "/Tests/VignetteTests/Fixtures/images/truncated.svgz")))
    let svg = Data(
      #"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30"/></svg>"#.utf8)
    try site.write("assets/images/whole.svgz", Data(Gzip.stored(Array(svg))))
    try site.image("assets/images/fine.jpg", width: 120, height: 80)
    try site.post(images: ["fine.jpg", "cut.svgz", "whole.svgz"])
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    var options = BuildOptions(configPath: site.path("pipeline.json"))
    options.jobs = 2
    let finished: BuildReport? = try await finishes(within: .seconds(240)) { [options] in
      try await Pipeline.run(options)
    }
    let report = try #require(finished, "the build hung")
    let errors = report.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1, "\(report.diagnostics)")
    #expect(errors.first?.line == 3 && errors.first?.message.contains("cut.svgz") == true, "\(errors)")
    // A whole .svgz is published as the SVG it holds, with its size.
    let whole = try #require(try site.manifestImage("whole.svgz"))
    #expect((whole.width, whole.height) == (40, 30))
    #expect(whole.variants.map(\.format) == [.svg])
    #expect(try Data(contentsOf: URL(fileURLWithPath: site.path("output/" + whole.variants[0].path))) == svg)
  }

  @Test("Loaders outside the web set (JPEG 2000) are refused with a located error unless images.loaders names them")
  func blockedLoaders() async throws {
    let site = try TestSite()
    try site.write("assets/images/scan.jp2", Data(try TestSources.photo(width: 320, height: 200).saved(as: ".jp2")))
    try site.image("assets/images/fine.jpg", width: 120, height: 80)
    try site.post(images: ["fine.jpg", "scan.jp2"])
    try site.imageConfig(widths: [160], formats: ["webp", "jpeg"])
    let report = try await site.build()
    let errors = report.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1 && errors.first?.line == 3, "\(report.diagnostics)")
    #expect(errors.first?.message.contains("images.loaders") == true, "\(errors)")
    #expect(try site.manifestImage("fine.jpg")?.variants.isEmpty == false)
    // Opting in: the same file renders, at the planned widths.
    try site.config(
      """
      {"version": 1, "assetRoots": ["assets"], "youtube": {"offline": true},
       "images": {"widths": [160], "formats": ["webp", "jpeg"], "loaders": ["jp2k"]}}
      """)
    let allowed = try await site.build()
    #expect(allowed.errors == 0, "\(allowed.diagnostics)")
    let scan = try #require(try site.manifestImage("scan.jp2"))
    #expect(!scan.variants.isEmpty && scan.variants.allSatisfy { $0.width == 160 })
    for variant in scan.variants { #expect(try site.decode(variant).width == 160) }
    try site.imageConfig(widths: [160], formats: ["webp", "jpeg"])
    #expect(try await site.build().errors == 1)
  }

  @Test("Errors of images processed at once each name their own file, say why, and are the same every build")
  func perThreadErrors() async throws {
    let site = try TestSite()
    var files: [String] = []
    let jpeg = try TestSources.photo(width: 300, height: 200).saved(as: ".jpg[Q=90]")
    for index in 0..<12 {
      // No name is part of another ("b1x" is not in "b11x").
      let name = "b\(index)x.\(index % 2 == 0 ? "png" : "jpg")"
      if index % 3 == 0 {
        try site.write("assets/images/" + name, "not a picture \(index)\n")
      } else {
        try site.write("assets/images/" + name, Data(jpeg.prefix(jpeg.count / 3 + index * 50)))
      }
      files.append(name)
    }
    try site.post(images: files)
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    let first = try await site.build { $0.jobs = 4 }
    let errors = first.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == files.count, "\(first.diagnostics)")
    for (index, file) in files.enumerated() {
      let error = errors.first { $0.line == 2 * index + 1 }
      let message = error?.message ?? ""
      #expect(message.contains(file), "\(file): \(message)")
      let others = files.filter { $0 != file && message.contains($0) }
      #expect(others.isEmpty, "\(file)'s error names \(others): \(message)")
      #expect(!message.hasSuffix("failed"), "\(file): no reason given: \(message)")
    }
    let manifest = try Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json")))
    for _ in 0..<3 {
      let again = try await site.build { $0.jobs = 4 }
      #expect(again.diagnostics == first.diagnostics)
      #expect(try Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json"))) == manifest)
    }
    #expect(try await site.build(check: true) { $0.jobs = 4 }.differences.isEmpty)
  }

  /// libvips 8.14 posts "<absolute path>: bad seek to <n>" on every AVIF it opens, successfully,
  /// and a render thread reads the headers of a batch of sources in one job (at one thread, a
  /// quarter of them). Pillow's and libvips' test images in one site: a PPM refused next in the
  /// batch carried an AVIF's message with its absolute path, and the next build, reading the
  /// AVIF headers from its cache, gave other messages, so `check` failed right after `build`.
  @Test("A message libvips posts while one file is read never reaches another file's error")
  func batchedHeaderErrors() async throws {
    let site = try TestSite()
    let (avif, ppm) = try await onOwnThread {
      let image = try TestSources.photo(width: 64, height: 48)
      return (try image.saved(as: ".avif"), try image.saved(as: ".ppm"))
    }
    var files: [String] = []
    for index in 0..<24 {
      try site.write("assets/images/a\(index)x.avif", Data(avif))
      try site.write("assets/images/p\(index)x.ppm", Data(ppm))
      files += ["a\(index)x.avif", "p\(index)x.ppm"]
    }
    try site.post(images: files)
    try site.imageConfig(widths: [480], formats: ["webp"])
    let report = try await site.build { $0.jobs = 1 }
    let errors = report.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 24, "\(report.diagnostics)")
    let refusal = try #require(VipsLibrary.refusal(loader: "ppmload", allowing: []))
    for error in errors {
      #expect(error.message.hasSuffix("is not an image libvips can read: " + refusal), "\(error)")
      #expect(!error.description.contains(site.path("")), "\(error)")
    }
    #expect(try await site.build(check: true) { $0.jobs = 1 }.differences.isEmpty)
  }

  /// What the corpus run put in one site, a few of each: AVIFs (every open of one posts a
  /// message naming its path), refused loaders, empty, unreadable and truncated files, a gzip
  /// file that holds no SVG, and one good photo.
  static func corpusLike() throws -> [(name: String, bytes: [UInt8])] {
    let photo = try TestSources.photo(width: 64, height: 48)
    let jpeg = try photo.saved(as: ".jpg")
    let avif = try photo.saved(as: ".avif")
    let png = try photo.saved(as: ".png")
    let tiff = try photo.saved(as: ".tif")
    var files: [(name: String, bytes: [UInt8])] = (0..<30).map { ("a\($0)x.avif", avif) }
    files.append(("c.ppm", try photo.saved(as: ".ppm")))
    files.append(("d.jp2", try photo.saved(as: ".jp2")))
    files.append(("e.png", []))
    files.append(("f.jpg", Array("my notes\n".utf8)))
    files.append(("g.jpg", Array(jpeg.prefix(jpeg.count / 2))))
    files.append(("h.avif", Array(avif.prefix(avif.count / 2))))
    files.append(("i.png", Array(png.prefix(png.count / 2))))
    files.append(("j.tif", Array(tiff.prefix(tiff.count / 2))))
    files.append(("k.svgz", [0x1F, 0x8B, 0x08, 0x00, 0x55, 0x55]))
    files.append(("ok.jpg", jpeg))
    return files
  }

  @Test("No output, cache record or report of a build over broken and refused files names the build folder")
  func noAbsolutePathAnywhere() async throws {
    let site = try TestSite()
    let files = try await onOwnThread { try Self.corpusLike() }
    for file in files { try site.write("assets/images/" + file.name, Data(file.bytes)) }
    try site.post(images: files.map(\.name))
    try site.imageConfig(widths: [480], formats: ["avif", "webp", "auto"])
    let build = try await CLI.run(["build", "--json", "--jobs", "1"], in: site.root)
    #expect(build.status == 1, "\(build.stderr)")
    let check = try await CLI.run(["check", "--json", "--jobs", "1"], in: site.root)
    let report = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
    #expect((report?["differences"] as? [Any])?.isEmpty == true, "\(check.stdout)")
    var texts = ["build --json": build.stdout + build.stderr, "check --json": check.stdout + check.stderr]
    for folder in ["output", ".vignette-cache"] {
      for file in FileSystem.files(under: site.path(folder)) where folder == "output" || file.hasSuffix(".json") {
        texts[folder + "/" + file] = String(
          decoding: try Data(contentsOf: URL(fileURLWithPath: site.path(folder + "/" + file))), as: UTF8.self)
      }
    }
    #expect(texts.keys.contains("output/manifest.json") && texts.keys.contains(".vignette-cache/sources.json"))
    let named = texts.filter { $0.value.contains(site.root) }.map(\.key).sorted()
    #expect(named.isEmpty, "\(site.root) is named in \(named)")
  }

  @Test("No absolute path of the build machine reaches the manifest: two folders, byte-identical output")
  func noAbsolutePaths() async throws {
    var manifests: [Data] = []
    for name in ["paths-one", "paths-two"] {
      let site = try TestSite(name)
      try site.write("assets/images/empty.png", Data())
      try site.write("assets/images/notes.jpg", "my notes\n")
      try site.image("assets/images/fine.jpg", width: 120, height: 80)
      try site.post(images: ["empty.png", "notes.jpg", "fine.jpg"])
      try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
      let report = try await site.build()
      #expect(report.errors == 2)
      let manifest = try Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json")))
      #expect(!String(decoding: manifest, as: UTF8.self).contains(site.path("")), "manifest names \(site.path(""))")
      #expect(report.diagnostics.allSatisfy { !$0.description.contains(site.path("")) }, "\(report.diagnostics)")
      manifests.append(manifest)
    }
    #expect(manifests[0] == manifests[1])
  }

  @Test("libvips' warnings (corrupt JPEG data) are reported at the reference, once per image, not printed unlocated")
  func locatedWarnings() async throws {
    let site = try TestSite()
    var jpeg = try TestSources.photo(width: 300, height: 200).saved(as: ".jpg[Q=90]")
    // 40 bytes cut from the middle of the scan: libjpeg warns "Corrupt JPEG data: premature end
    // of data segment" and decodes the rest (grey where the data is missing).
    jpeg.removeSubrange(jpeg.count / 2..<jpeg.count / 2 + 40)
    try site.write("assets/images/stray.jpg", Data(jpeg))
    try site.image("assets/images/fine.jpg", width: 120, height: 80)
    try site.post(images: ["fine.jpg", "stray.jpg"])
    try site.imageConfig(widths: [160], formats: ["webp", "jpeg"])
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    let warnings = report.diagnostics.filter { $0.severity == .warning && $0.message.contains("Corrupt JPEG data") }
    #expect(warnings.count == 1, "\(report.diagnostics)")
    #expect(warnings.first?.line == 3 && warnings.first?.message.contains("assets/images/stray.jpg") == true)
    // From the cache, the same warning.
    let again = try await site.build()
    #expect(again.rendered == 0 && again.diagnostics == report.diagnostics)
  }

  /// Turning a picture upright made vips_thumbnail compute the decode on libvips' worker
  /// threads (vips_image_copy_memory), whose warnings were printed unlocated and never
  /// reached the report: Pillow's damaged strip TIFFs with an orientation tag did so.
  @Test("A damaged JPEG stored a quarter turn round is reported at its reference and comes out upright")
  func locatedWarningsOfARotatedSource() async throws {
    let site = try TestSite()
    let jpeg = try await onOwnThread {
      var bytes = try TestSources.photo(width: 300, height: 200).setting(["orientation": 6]).saved(as: ".jpg[Q=90]")
      bytes.removeSubrange(bytes.count / 2..<bytes.count / 2 + 40)
      return bytes
    }
    try site.write("assets/images/turned.jpg", Data(jpeg))
    try site.post(images: ["turned.jpg"])
    try site.imageConfig(widths: [160], formats: ["webp", "jpeg"])
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    #expect(
      report.diagnostics.contains {
        $0.severity == .warning && $0.line == 1 && $0.message.contains("Corrupt JPEG data")
      },
      "\(report.diagnostics)")
    let image = try #require(try site.manifestImage("turned.jpg"))
    #expect(image.width == 200 && image.height == 300)
    for variant in image.variants {
      let decoded = try site.decode(variant)
      #expect(decoded.width == 160 && decoded.height == 240, "\(variant.path): \(decoded.width)×\(decoded.height)")
    }
  }

  @Test("Animated PNG and WebP pass through unchanged with a note in the manifest, never flattened")
  func animatedSources() async throws {
    let site = try TestSite()
    let frames = try [(220, 30, 30), (30, 220, 30)].map {
      try TestSources.solid(width: 32, height: 24, UInt8($0.0), UInt8($0.1), UInt8($0.2))
    }
    let webp = try VipsImage.animation(frames).saved(as: ".webp")
    try site.write("assets/images/spin.webp", Data(webp))
    let apng = try APNG.make(frames[0].saved(as: ".png"), frames[1].saved(as: ".png"))
    try site.write("assets/images/spin.png", Data(apng))
    try site.post(images: ["spin.webp", "spin.png"])
    try site.imageConfig(widths: [480], formats: ["avif", "webp", "auto"])
    #expect(try await site.build().errors == 0)
    let raw = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: site.path("output/manifest.json"))))
    let images = try #require((raw as? [String: Any])?["images"] as? [[String: Any]])
    for (file, bytes, format) in [("spin.webp", webp, VariantFormat.webp), ("spin.png", apng, .png)] {
      let image = try #require(try site.manifestImage(file))
      #expect(image.variants.map(\.format) == [format], "\(file): \(image.variants)")
      let output = try Data(contentsOf: URL(fileURLWithPath: site.path("output/" + image.variants[0].path)))
      #expect(output == Data(bytes), "\(file) was not passed through")
      let note = images.first { ($0["source"] as? String)?.hasSuffix(file) == true }?["note"] as? String
      #expect(note?.contains("animated") == true, "\(file): \(String(describing: note))")
    }
  }

  @Test("A JPEG whose embedded profile is damaged is shown as sRGB, with a warning, not refused")
  func damagedProfile() async throws {
    let site = try TestSite()
    // An APP2 ICC_PROFILE segment (one chunk of one) right after SOI, holding 600 bytes that
    // are not a profile: libvips' encoder would not write such a thing, so it is put in by hand.
    var jpeg = try TestSources.solid(200, 120, 40).saved(as: ".jpg[Q=95]")
    let payload = Array("ICC_PROFILE".utf8) + [0, 1, 1] + [UInt8](repeating: 0x5A, count: 600)
    let length = payload.count + 2
    jpeg.insert(contentsOf: [0xFF, 0xE2, UInt8(length >> 8), UInt8(length & 0xff)] + payload, at: 2)
    #expect(try VipsImage.decode(jpeg).fields.contains("icc-profile-data"))
    try site.write("assets/images/badicc.jpg", Data(jpeg))
    try site.post(images: ["badicc.jpg"])
    try site.imageConfig(widths: [480], formats: ["webp", "jpeg"])
    let report = try await site.build()
    #expect(report.errors == 0, "\(report.diagnostics)")
    #expect(report.diagnostics.contains { $0.severity == .warning && $0.message.contains("profile") && $0.line == 1 })
    for variant in try #require(try site.manifestImage("badicc.jpg")).variants {
      let means = try site.decode(variant).bandMeans()
      #expect(abs(means[0] - 200) < 6 && abs(means[1] - 120) < 6 && abs(means[2] - 40) < 6, "\(variant.path): \(means)")
    }
  }

  /// Peak resident memory (KiB) of `vignette build` in `folder`, measured by GNU time.
  static func peakKiB(buildingIn folder: String) throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
    process.arguments = ["-f", "peak %M", CLI.binary, "build", "--quiet", "--jobs", "1"]
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    let line = try #require(text.split(separator: "\n").last { $0.hasPrefix("peak ") })
    return try #require(Int(line.dropFirst(5)))
  }

  @Test("Checking a large PNG's alpha does not hold the decoded image: memory follows the working size")
  func boundedAlphaCheck() async throws {
    // 3000×3000 16-bit RGBA with an opaque alpha: 72 MB decoded, 17 kB as a PNG.
    let side = 3000
    var peaks: [Int] = []
    for (name, size) in [("alpha-small", 300), ("alpha-big", side)] {
      let site = try TestSite(name)
      let file = site.path("assets/images/wall.png")
      // Made on a thread of its own: encoding 9 megapixels is no work for the cooperative pool.
      try await onOwnThread {
        let image = try VipsImage.fromPixels(
          [UInt8](repeating: 255, count: size * size * 8), width: size, height: size, bands: 4, format: .ushort,
          interpretation: .rgb16)
        try FileManager.default.createDirectory(
          atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(image.saved(as: ".png")).write(to: URL(fileURLWithPath: file))
      }
      try site.post(images: ["wall.png"])
      try site.imageConfig(widths: [320], formats: ["webp"])
      let folder = site.path("")
      let peak = PeakBox()
      try await onOwnThread { peak.kib = try Self.peakKiB(buildingIn: folder) }
      peaks.append(peak.kib)
      #expect(try site.manifestImage("wall.png")?.variants.isEmpty == false)
    }
    let decodedKiB = side * side * 8 / 1024
    #expect(peaks[1] - peaks[0] < decodedKiB / 2, "peak \(peaks[1]) KiB vs \(peaks[0]) KiB for a small one")
  }
}

/// A measurement handed back from a thread of its own.
private final class PeakBox: @unchecked Sendable {
  var kib = 0
}

/// Waits for `work` at most `limit`; nil when it has not finished by then (it keeps running:
/// a hung libvips call cannot be cancelled, only outwaited).
func finishes<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws
  -> T?
{
  let first = FirstOutcome<T>()
  return try await withCheckedThrowingContinuation { continuation in
    first.set(continuation)
    Task {
      do { first.resume(.success(try await work())) } catch { first.resume(.failure(error)) }
    }
    Thread {
      Thread.sleep(forTimeInterval: Double(limit.components.seconds))
      first.resume(.success(nil))
    }.start()
  }
}

/// Resumes a continuation with whichever outcome comes first.
private final class FirstOutcome<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var continuation: CheckedContinuation<T?, Error>?
  func set(_ continuation: CheckedContinuation<T?, Error>) { lock.withLock { self.continuation = continuation } }
  func resume(_ result: Result<T?, Error>) {
    let waiting = lock.withLock { () -> CheckedContinuation<T?, Error>? in
      defer { continuation = nil }
      return continuation
    }
    waiting?.resume(with: result)
  }
}

/// Gzip data by hand (stored deflate blocks: no compression library needed in the tests).
enum Gzip {
  static func stored(_ data: [UInt8]) -> [UInt8] {
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xff) } }
    var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
    let length = UInt16(data.count)
    out += [1, UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8(~length >> 8)]
    return out + data + le32(TestSources.crc32(data)) + le32(UInt32(data.count))
  }
}

/// An animated PNG made from two same-sized PNGs (APNG: acTL, fcTL, IDAT, fcTL, fdAT).
enum APNG {
  static func make(_ first: [UInt8], _ second: [UInt8]) throws -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      let body = Array(type.utf8) + data
      return be(UInt32(data.count)) + body + be(TestSources.crc32(body))
    }
    func chunks(_ png: [UInt8]) -> [(String, [UInt8])] {
      var list: [(String, [UInt8])] = []
      var at = 8
      while at + 8 <= png.count {
        let length = Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3])
        let type = String(decoding: png[at + 4..<at + 8], as: UTF8.self)
        list.append((type, Array(png[at + 8..<at + 8 + length])))
        at += 12 + length
      }
      return list
    }
    let one = chunks(first)
    let two = chunks(second)
    let ihdr = try #require(one.first { $0.0 == "IHDR" }).1
    func frameControl(_ sequence: UInt32) -> [UInt8] {
      be(sequence) + Array(ihdr[0..<8]) + be(0) + be(0) + [0, 10, 0, 100, 0, 0]
    }
    var out: [UInt8] = Array(first[0..<8]) + chunk("IHDR", ihdr) + chunk("acTL", be(2) + be(0))
    out += chunk("fcTL", frameControl(0))
    for (type, data) in one where type == "IDAT" { out += chunk("IDAT", data) }
    out += chunk("fcTL", frameControl(1))
    var sequence: UInt32 = 2
    for (type, data) in two where type == "IDAT" {
      out += chunk("fdAT", be(sequence) + data)
      sequence += 1
    }
    return out + chunk("IEND", [])
  }
}
