import Foundation
import Vips

/// Why a source file gives no variants: it cannot be read, is too large, or failed to render.
public struct ImageFailure: Error, Sendable, Hashable, CustomStringConvertible {
  /// A sentence that names the file (or the video whose poster it is).
  public var message: String
  /// `invalid` for a real failure (an error at each reference); `skipped` for a source left
  /// as the document wrote it on purpose (site mode's animations).
  public var status: ResolvedTarget.Status = .invalid
  public var description: String { message }
}

/// The plan stage: for every source, once however many documents use it, its header
/// (from the cache when the file is unchanged) and its variants. A file that cannot be read,
/// or has more pixels than `images.maxPixels`, gets a failure instead and is never decoded.
/// Headers are read and changed sources hashed on the render threads, in parallel, off
/// Swift's cooperative pool.
struct PlanStage {
  var cache: BuildCache
  var workers: RenderWorkers

  /// The plan of each request, keyed as `sources` is (by file in markdown mode). Requests go
  /// to the render threads in batches (`RenderWorkers.batches`): an unchanged source costs a
  /// `stat` and a look-up.
  func run(_ sources: [String: SourceRequest]) async -> [String: Result<RenderPlan, ImageFailure>] {
    let requests = Array(sources)
    var plans: [String: Result<RenderPlan, ImageFailure>] = [:]
    plans.reserveCapacity(requests.count)
    do {
      try await workers.forEach(workers.batches(requests)) { [cache] batch in
        batch.map { key, request in (key, Self.plan(request, cache: cache)) }
      } receive: { planned in
        for (key, result) in planned { plans[key] = result }
      }
    } catch {
      // `plan` never throws; only a cancelled build ends here.
    }
    for (key, request) in requests where plans[key] == nil {
      plans[key] = .failure(ImageFailure(message: "\(request.name) could not be planned"))
    }
    return plans
  }

  private static func plan(_ request: SourceRequest, cache: BuildCache) -> Result<RenderPlan, ImageFailure> {
    let settings = request.settings
    let source: SourceImage
    do {
      source = try cache.source(file: request.file, urlPath: request.urlPath)
    } catch {
      return .failure(ImageFailure(message: "\(request.name) is not an image libvips can read: \(error)"))
    }
    if let refusal = VipsLibrary.refusal(loader: source.loader, allowing: settings.loaders) {
      return .failure(ImageFailure(message: "\(request.name) is not an image libvips can read: \(refusal)"))
    }
    guard source.width * source.height * source.pages <= settings.maxPixels else {
      return .failure(
        ImageFailure(
          message:
            "\(request.name) is \(source.width)×\(source.height) pixels, more than images.maxPixels (\(settings.maxPixels)); it was not decoded"
        ))
    }
    var plan = VariantPlanner.plan(source, settings: settings)
    if request.leavePassThrough {
      if plan.mode == .passthrough {
        return .failure(
          ImageFailure(
            message: "\(request.name) is kept as written (libvips would copy it unchanged)", status: .skipped))
      }
      // Where the variants are heavier, the page keeps the file it already links (site
      // mode's SiteRewriter), so no copy of it is made.
      plan.original = nil
    }
    return .success(plan)
  }
}
