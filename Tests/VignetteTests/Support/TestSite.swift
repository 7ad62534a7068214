import Foundation
import Testing
import Vips

@testable import Vignette

/// A throwaway project folder for one test: posts, images and a `pipeline.json`, removed
/// when the value goes away.
final class TestSite {
  let root: String

  /// An empty project with `assets/posts` and `assets/images`.
  init(_ name: String = #function) throws {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    root =
      FileManager.default.temporaryDirectory.appendingPathComponent("vignette-\(safe)-\(UUID().uuidString.prefix(8))")
      .path
    try FileManager.default.createDirectory(atPath: root + "/assets/posts", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: root + "/assets/images", withIntermediateDirectories: true)
    try VipsLibrary.start()
  }

  /// A copy of the repository's example site (posts, images and pipeline.json).
  static func example(_ name: String = #function) throws -> TestSite {
    let site = try TestSite(name)
    let repo = TestSite.repositoryRoot
    for folder in ["assets/posts", "assets/images"] {
      for file in FileSystem.files(under: repo + "/" + folder) {
        try site.write(folder + "/" + file, FileManager.default.contents(atPath: repo + "/" + folder + "/" + file)!)
      }
    }
    // Tests reach no server but their own: the copy builds from the lockfile and cache only.
    let config = String(decoding: FileManager.default.contents(atPath: repo + "/pipeline.json")!, as: UTF8.self)
    try site.write("pipeline.json", config.replacingOccurrences(of: #""offline": false"#, with: #""offline": true"#))
    if let lock = FileManager.default.contents(atPath: repo + "/vignette.lock.json") {
      try site.write("vignette.lock.json", lock)
    }
    return site
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  /// The repository this test file lives in.
  static var repositoryRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().path
  }

  func path(_ relative: String) -> String { root + "/" + relative }

  func write(_ relative: String, _ data: Data) throws {
    let url = URL(fileURLWithPath: path(relative))
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
  }

  func write(_ relative: String, _ text: String) throws { try write(relative, Data(text.utf8)) }

  func read(_ relative: String) -> String? {
    FileManager.default.contents(atPath: path(relative)).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Writes a test image made with libvips' own CLI-free API: a gradient of the given size.
  func image(_ relative: String, width: Int, height: Int, alpha: Bool = false) throws {
    let format: EncodedFormat = relative.hasSuffix(".png") ? .png : relative.hasSuffix(".webp") ? .webp : .jpeg
    try write(relative, Data(TestImages.gradient(width: width, height: height, alpha: alpha, format: format)))
  }

  /// Writes `pipeline.json` (the object is merged over a minimal default config).
  func config(_ json: String = "{}") throws {
    try write("pipeline.json", json)
  }

  /// Runs a build (or a check) of this site.
  @discardableResult
  func build(check: Bool = false, configure: (inout BuildOptions) -> Void = { _ in }) async throws -> BuildReport {
    var options = BuildOptions(configPath: path("pipeline.json"))
    options.checkOnly = check
    options.jobs = 2
    configure(&options)
    return try await Pipeline.run(options)
  }

  /// The manifest of the last build.
  func manifest() throws -> Manifest {
    try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path("output/manifest.json"))))
  }
}

/// Test pictures drawn with libvips.
enum TestImages {
  static func gradient(width: Int, height: Int, alpha: Bool, format: EncodedFormat) throws -> [UInt8] {
    try VipsLibrary.start()
    return try VipsImage.testPattern(width: width, height: height, alpha: alpha).encoded(as: format, quality: 90)
  }
}

/// The built `vignette` executable, run as a user would.
enum CLI {
  /// Path of the binary SwiftPM built next to the test bundle.
  static var binary: String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundle, bundle.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("vignette").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return TestSite.repositoryRoot + "/.build/debug/vignette"
  }

  struct Result: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs `vignette arguments…` in `directory` and waits for it, on a thread of its own.
  static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) async throws
    -> Result
  {
    try await onOwnThread { try runBlocking(arguments, in: directory, environment: environment) }
  }

  private static func runBlocking(_ arguments: [String], in directory: String, environment: [String: String]) throws
    -> Result
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }
}
