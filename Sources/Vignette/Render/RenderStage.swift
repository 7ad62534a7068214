import Foundation
import Synchronization
import Vips

/// A source file's rendering, with the source it was made from.
public struct RenderedSource: Sendable, Hashable {
  public var source: SourceImage
  public var image: RenderedImage
}

/// What the render stage hands on: one result per source file.
struct Rendered: Sendable {
  /// Every plan, keyed as the plans were (by file in markdown mode): its rendering, or why
  /// there is none (planning failures included).
  var images: [String: Result<RenderedSource, ImageFailure>] = [:]
  /// Sources decoded and encoded in this run, and sources taken from the cache.
  var rendered = 0
  var reused = 0
  /// Sources whose renders came from the remote cache.
  var downloaded = 0
  /// Shards: sources the remote cache already held (asked with `HEAD`), so they were
  /// neither downloaded nor rendered; they have no entry in `images`.
  var onRemote = 0
  /// Check mode: the SHA-256 of each variant rendered in this run, by variant key, for the
  /// emit stage to compare with what `output/` holds.
  var digests: [String: String] = [:]
}

/// The render stage: each plan's result from the cache, or rendered with libvips on the
/// render threads, largest sources first. One renderer, two modes: a build stores every
/// variant and result in the cache; a check renders in memory (proving the source decodes)
/// and keeps only a digest of each variant, writing nothing, not even to the cache.
///
/// With a remote cache (builds only), what the local cache lacks is fetched from it before
/// anything is rendered, and what is rendered here is published to it. `publishReused`
/// (shards) also publishes what the local cache had, so a shard leaves its whole share on the
/// server, and only asks (`HEAD`) for what the local cache lacks, downloading nothing.
struct RenderStage {
  enum Mode: Sendable { case build, check }

  var mode: Mode
  var cache: BuildCache
  var workers: RenderWorkers
  /// The AVIF encodes allowed at once, shared by every render thread.
  var avif: AVIFGate
  var display: @Sendable (String) -> String
  var progress: (@Sendable (BuildOptions.Progress) -> Void)?
  var remote: RemoteCache?
  var publishReused = false

  func run(_ plans: [String: Result<RenderPlan, ImageFailure>]) async throws -> Rendered {
    var result = Rendered()
    var pending: [(key: String, plan: RenderPlan)] = []
    var planned: [(key: String, plan: RenderPlan)] = []
    for (key, outcome) in plans {
      switch outcome {
      case .failure(let failure): result.images[key] = .failure(failure)
      case .success(let plan): planned.append((key, plan))
      }
    }
    // Each look-up reads and decodes a render record and checks its objects: on the render
    // threads, in batches, off Swift's cooperative pool.
    try await workers.forEach(workers.batches(planned)) { [cache] batch in
      batch.map { key, plan in (key, plan, cache.render(for: plan)) }
    } receive: { found in
      for (key, plan, cached) in found {
        if let cached {
          result.images[key] = .success(RenderedSource(source: plan.source, image: cached))
          result.reused += 1
        } else {
          pending.append((key, plan))
        }
      }
    }
    if let remote, !pending.isEmpty, publishReused {
      // A shard writes no output: what the server holds already is its share done, and
      // re-running a shard on a fresh runner costs a HEAD per source, not a download.
      let held = Found<Bool>()
      await remote.forEach(pending) { item in
        if await remote.hasRender(item.plan) == true { held.add(item.key, true) }
      }
      let keys = held.items
      result.onRemote = keys.count
      pending.removeAll { keys[$0.key] != nil }
    } else if let remote, !pending.isEmpty {
      let found = Found<(RenderPlan, RenderedImage)>()
      await remote.forEach(pending) { [cache] item in
        if let image = await remote.fetch(item.plan, into: cache) { found.add(item.key, (item.plan, image)) }
      }
      for (key, (plan, image)) in found.items {
        result.images[key] = .success(RenderedSource(source: plan.source, image: image))
      }
      result.downloaded = found.items.count
      let fetched = found.items
      pending.removeAll { fetched[$0.key] != nil }
    }
    let reused = publishReused ? Self.successes(result.images, plans) : []
    try await renderPending(pending, into: &result)
    if let remote, !remote.readOnly {
      let published =
        reused
        + pending.compactMap { key, plan in (try? result.images[key]?.get()).map { (plan, $0.image) } }
      await remote.forEach(published) { [cache] plan, image in await remote.publish(plan, image, from: cache) }
    }
    return result
  }

  /// The plans whose renders are in `images`, with those renders.
  private static func successes(
    _ images: [String: Result<RenderedSource, ImageFailure>], _ plans: [String: Result<RenderPlan, ImageFailure>]
  ) -> [(RenderPlan, RenderedImage)] {
    images.compactMap { key, result in
      guard let plan = try? plans[key]?.get(), let rendered = try? result.get() else { return nil }
      return (plan, rendered.image)
    }
  }

  /// Renders `pending` on the render threads, largest first, into `result`.
  private func renderPending(_ pending: [(key: String, plan: RenderPlan)], into result: inout Rendered) async throws {
    var pending = pending
    guard !pending.isEmpty else { return }
    let total = pending.count
    var done = 0
    progress?(.image(done: 0, total: total, file: ""))
    // Largest sources first, so one big image does not finish alone at the end.
    pending.sort { $0.plan.source.width * $0.plan.source.height > $1.plan.source.width * $1.plan.source.height }
    try await withThrowingTaskGroup(of: (String, RenderPlan, Result<(RenderedImage, [String: String]), Error>).self) {
      group in
      var iterator = pending.makeIterator()
      func submit() {
        guard let (key, plan) = iterator.next() else { return }
        group.addTask { [mode, cache, workers, avif] in
          do {
            return (
              key, plan,
              .success(
                try await workers.run(releasingMemory: plan.encodesAVIF) {
                  try Self.render(plan, mode: mode, cache: cache, avif: avif)
                })
            )
          } catch {
            return (key, plan, .failure(error))
          }
        }
      }
      for _ in 0..<workers.count { submit() }
      while let (key, plan, outcome) = try await group.next() {
        let file = plan.source.file
        done += 1
        progress?(.image(done: done, total: total, file: display(file)))
        switch outcome {
        case .success(let (image, digests)):
          result.images[key] = .success(RenderedSource(source: plan.source, image: image))
          result.digests.merge(digests) { first, _ in first }
          result.rendered += 1
        case .failure(let error):
          result.images[key] = .failure(ImageFailure(message: "\(display(file)) could not be processed: \(error)"))
        }
        submit()
      }
    }
  }

  /// What the remote cache gave, by plan key (requests run concurrently).
  private final class Found<Value: Sendable>: Sendable {
    private let found = Mutex<[String: Value]>([:])
    var items: [String: Value] { found.withLock { $0 } }
    func add(_ key: String, _ value: Value) { found.withLock { $0[key] = value } }
  }

  /// One plan on a render thread: its variants into the cache (build) or into digests (check).
  private static func render(
    _ plan: RenderPlan, mode: Mode, cache: BuildCache, avif: AVIFGate
  ) throws -> (RenderedImage, [String: String]) {
    switch mode {
    case .build:
      let rendered = try ImageRenderer.render(plan, avif: avif) { variant, data in try cache.storeObject(variant, data)
      }
      try cache.storeRender(rendered, for: plan.key)
      return (rendered, [:])
    case .check:
      var digests: [String: String] = [:]
      let rendered = try ImageRenderer.render(plan, avif: avif) { variant, data in
        digests[variant.key] = Checksum.sha256(data)
      }
      return (rendered, digests)
    }
  }
}
