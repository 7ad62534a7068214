import Foundation
import Vips

/// Renders one plan with libvips: one decode (shrink-on-load to the largest width), every
/// width resized from that in-memory image, every format encoded, metadata stripped. Runs
/// synchronously on a render thread; no libvips image leaves this call.
public enum ImageRenderer {
  /// AVIF encodes running at once in one build. libaom's encoder holds 100–250 MB for a
  /// 1920-px picture and runs on one core, so half the cores (at least one) bounds memory
  /// without idling the machine: the other render threads decode and encode WebP/JPEG
  /// meanwhile. Each build has a gate of its own (`RenderStage`), so builds that share a
  /// process (tests, a library user) never queue behind each other's encodes.
  public static var avifEncodesAtOnce: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / 2) }

  /// Renders `plan`, storing each variant's bytes through `store` (keyed by variant key);
  /// AVIF encodes wait for `avifGate`.
  public static func render(
    _ plan: RenderPlan, avifGate: DispatchSemaphore = DispatchSemaphore(value: avifEncodesAtOnce),
    store: (VariantPlan, Data) throws -> Void
  ) throws -> RenderedImage {
    switch plan.mode {
    case .passthrough:
      let data = try Data(contentsOf: URL(fileURLWithPath: plan.source.file))
      let variant = plan.variants[0]
      try store(variant, data)
      var placeholder: Placeholder?
      if plan.variants[0].format != .svg {
        placeholder = try? makePlaceholder(VipsImage.thumbnail(path: plan.source.file, width: 32).srgb8())
      }
      return RenderedImage(
        width: plan.source.width, height: plan.source.height,
        variants: [
          RenderedVariant(
            key: variant.key, fileName: variant.fileName, urlPath: variant.urlPath, width: plan.source.width,
            height: plan.source.height, format: variant.format, bytes: data.count)
        ], placeholder: placeholder)
    case .raster:
      return try renderRaster(plan, avifGate: avifGate, store: store)
    }
  }

  private static func renderRaster(
    _ plan: RenderPlan, avifGate: DispatchSemaphore, store: (VariantPlan, Data) throws -> Void
  ) throws -> RenderedImage {
    let widths = Set(plan.variants.map(\.width)).sorted(by: >)
    guard let largest = widths.first else { throw VipsError(operation: "plan", message: "no variants planned") }
    let base = try VipsImage.thumbnail(path: plan.source.file, width: largest).srgb8().inMemory()
    // The decode's buffers are free now; hand them back before the encoders (libaom takes
    // 250–300 MB for a 1920-px AVIF) so the two peaks do not stack.
    VipsLibrary.releaseMemory()
    var encoded: [VariantPlan: (Data, Int, Int)] = [:]
    for width in widths {
      let image = base.width == width ? base : try base.resized(width: width)
      // JPEG has no alpha: transparent areas go on white rather than libvips' black.
      var opaque: VipsImage?
      for variant in plan.variants where variant.width == width {
        guard let format = variant.format.encoded else { continue }
        if format == .jpeg && image.hasAlpha && opaque == nil { opaque = try image.flattenedOnWhite() }
        let quality: Int
        let effort: Int?
        switch format {
        case .avif: (quality, effort) = (plan.quality.avif, plan.effort.avif)
        case .webp: (quality, effort) = (plan.quality.webp, plan.effort.webp)
        case .jpeg: (quality, effort) = (plan.quality.jpeg, nil)
        case .png: (quality, effort) = (0, nil)
        }
        if format == .avif { avifGate.wait() }
        defer { if format == .avif { avifGate.signal() } }
        let bytes = try (format == .jpeg ? opaque ?? image : image).encoded(
          as: format, quality: quality, effort: effort)
        encoded[variant] = (Data(bytes), image.width, image.height)
      }
    }
    // A variant larger than a later format's at the same width is dropped: the browser
    // would download more for the same picture.
    var kept: [RenderedVariant] = []
    let formats = plan.variants.map(\.format).reduce(into: [VariantFormat]()) { if !$0.contains($1) { $0.append($1) } }
    for variant in plan.variants {
      guard let (data, width, height) = encoded[variant] else { continue }
      let later = formats.drop { $0 != variant.format }.dropFirst()
      let beaten = plan.variants.contains { other in
        other.width == variant.width && later.contains(other.format) && (encoded[other]?.0.count ?? .max) < data.count
      }
      if beaten { continue }
      try store(variant, data)
      kept.append(
        RenderedVariant(
          key: variant.key, fileName: variant.fileName, urlPath: variant.urlPath, width: width, height: height,
          format: variant.format, bytes: data.count))
    }
    return RenderedImage(
      width: plan.source.width, height: plan.source.height, variants: kept, placeholder: try? makePlaceholder(base))
  }

  /// Average colour and a 16-pixel-wide WebP preview.
  static func makePlaceholder(_ image: VipsImage) throws -> Placeholder {
    let tiny = try image.resized(width: min(16, image.width))
    let means = try tiny.bandMeans()
    let rgb = means.count >= 3 ? Array(means.prefix(3)) : Array(repeating: means.first ?? 0, count: 3)
    let color = "#" + rgb.map { String(format: "%02x", Int(max(0, min(255, $0.rounded())))) }.joined()
    let preview = try tiny.encoded(as: .webp, quality: 40, effort: 4)
    return Placeholder(color: color, preview: "data:image/webp;base64," + Data(preview).base64EncodedString())
  }
}
