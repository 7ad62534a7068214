import Foundation
import Vips

/// Renders one plan with libvips: one decode (shrink-on-load to the largest width), every
/// width resized from that in-memory image, every format encoded, metadata stripped. Runs
/// synchronously on a render thread; no libvips image leaves this call.
public enum ImageRenderer {
  /// Renders `plan`, storing each variant's bytes through `store` (keyed by variant key). AVIF
  /// encodes wait for a place in `avif`; each build has a gate of its own (`RenderStage`), so
  /// builds that share a process never queue behind each other's encodes.
  public static func render(
    _ plan: RenderPlan, avif: AVIFGate = AVIFGate(count: AVIFGate.defaultCount),
    store: (VariantPlan, Data) throws -> Void
  ) throws -> RenderedImage {
    var (rendered, warnings) = try VipsLibrary.capturingWarnings(file: plan.source.file) {
      switch plan.mode {
      case .passthrough: try renderPassthrough(plan, store: store)
      case .raster: try renderRaster(plan, avif: avif, store: store)
      }
    }
    if !warnings.isEmpty { rendered.warnings = warnings }
    return rendered
  }

  /// SVGs and animations, copied as they are (an `.svgz` decompressed, so it is served as
  /// the SVG it holds); opaque animations get a placeholder from their first frame.
  private static func renderPassthrough(
    _ plan: RenderPlan, store: (VariantPlan, Data) throws -> Void
  ) throws -> RenderedImage {
    let variant = plan.variants[0]
    let data =
      plan.source.compressed == true
      ? Data(try VipsImage.gunzipped(path: plan.source.file))
      : try Data(contentsOf: URL(fileURLWithPath: plan.source.file))
    try store(variant, data)
    var placeholder: Placeholder?
    var note: String?
    if variant.format != .svg {
      if let tiny = try? VipsImage.decoded(path: plan.source.file, width: 32), !tiny.hasAlpha {
        placeholder = try? makePlaceholder(tiny)
      }
      note = "animated (\(plan.source.pages) frames): copied unchanged, not resized or converted"
    }
    return RenderedImage(
      width: plan.source.width, height: plan.source.height,
      variants: [
        RenderedVariant(
          key: variant.key, fileName: variant.fileName, urlPath: variant.urlPath, width: plan.source.width,
          height: plan.source.height, format: variant.format, bytes: data.count)
      ], placeholder: placeholder, note: note)
  }

  private static func renderRaster(
    _ plan: RenderPlan, avif: AVIFGate, store: (VariantPlan, Data) throws -> Void
  ) throws -> RenderedImage {
    let widths = Set(plan.variants.map(\.width)).sorted(by: >)
    guard let largest = widths.first else { throw VipsError(operation: "plan", message: "no variants planned") }
    let base = try VipsImage.decoded(path: plan.source.file, width: largest)
    // The decode's buffers are free now; before an AVIF encoder (libaom takes 250–300 MB for
    // a 1920-px AVIF) hand them back so the two peaks do not stack. Without AVIF the next
    // image reuses them, and trimming would only make it fault them in again.
    if plan.encodesAVIF { VipsLibrary.releaseMemory() }
    var encoded: [VariantPlan: (Data, Int, Int)] = [:]
    var smallest = base
    for width in widths {
      let image = try working(base, width: width)
      smallest = image
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
        let source = format == .jpeg ? opaque ?? image : image
        let bytes =
          try format == .avif
          ? avif.run(bytes: AVIFGate.estimate(source)) {
            try source.encoded(as: format, quality: quality, effort: effort)
          }
          : source.encoded(as: format, quality: quality, effort: effort)
        // The width in the plan is the width in the file name and srcset: never publish another.
        guard image.width == width else {
          throw VipsError(operation: "resize", message: "came out \(image.width) pixels wide, not \(width)")
        }
        encoded[variant] = (Data(bytes), image.width, image.height)
      }
    }
    // A variant larger than a later format's at the same width is dropped: the browser
    // would download more for the same picture.
    var kept: [RenderedVariant] = []
    var outputs: [String: (VariantPlan, Data)] = [:]
    let formats = plan.variants.map(\.format).reduce(into: [VariantFormat]()) { if !$0.contains($1) { $0.append($1) } }
    for variant in plan.variants {
      guard let (data, width, height) = encoded[variant] else { continue }
      let later = formats.drop { $0 != variant.format }.dropFirst()
      let beaten = plan.variants.contains { other in
        other.width == variant.width && later.contains(other.format) && (encoded[other]?.0.count ?? .max) < data.count
      }
      if beaten { continue }
      outputs[variant.key] = (variant, data)
      kept.append(
        RenderedVariant(
          key: variant.key, fileName: variant.fileName, urlPath: variant.urlPath, width: width, height: height,
          format: variant.format, bytes: data.count))
    }
    // The placeholder comes from the smallest width, which is already in memory: 16 pixels
    // from 480 look the same as from 1920, for a sixteenth of the reading.
    var rendered = RenderedImage(
      width: plan.source.width, height: plan.source.height, variants: kept,
      placeholder: smallest.hasAlpha ? nil : try? makePlaceholder(smallest))
    // Never a set heavier than the source: where the variants are, the file itself fills in.
    if let original = plan.original, let copy = plan.source.copy,
      kept.contains(where: { Int64($0.bytes) > plan.source.bytes })
    {
      let data = try sourceCopy(plan.source.file, copy)
      let variant = RenderedVariant(
        key: original.key, fileName: original.fileName, urlPath: original.urlPath, width: plan.source.width,
        height: plan.source.height, format: original.format, bytes: data.count)
      if let budgeted = rendered.withinBudget(Int64(data.count), source: variant) {
        rendered = budgeted
        outputs[original.key] = (original, data)
        rendered.note = rendered.servedSourceNote
      }
    }
    for variant in rendered.variants {
      if let (planned, data) = outputs[variant.key] { try store(planned, data) }
    }
    return rendered
  }

  /// The source file's bytes as it is served in place of its variants: its own bytes when
  /// there is no metadata to strip (smaller than any re-save, and the very pixels), else a
  /// lossless PNG re-save without metadata.
  static func sourceCopy(_ file: String, _ copy: SourceCopy) throws -> Data {
    switch copy {
    case .original: try Data(contentsOf: URL(fileURLWithPath: file))
    case .strippedPNG: Data(try VipsImage.strippedPNG(path: file))
    }
  }

  /// The image the encoders of `width` read: the decode itself at its own width, else resized
  /// from it once, into memory. A lazy resize would be computed again by every encoder that
  /// reads it (twice with WebP and JPEG, three times with AVIF).
  static func working(_ base: VipsImage, width: Int) throws -> VipsImage {
    base.width == width ? base : try base.resized(width: width).inMemory()
  }

  /// Average colour and a 16-pixel-wide WebP preview, for opaque images only: the picture
  /// paints over it, so no script has to remove it (pages stay CSP-safe), whereas behind
  /// an image with transparency it would stay visible. The tiny image is made once, in
  /// memory, and both the mean and the encoder read that.
  static func makePlaceholder(_ image: VipsImage) throws -> Placeholder {
    let tiny = try working(image, width: min(16, image.width))
    let means = try tiny.bandMeans()
    let rgb = means.count >= 3 ? Array(means.prefix(3)) : Array(repeating: means.first ?? 0, count: 3)
    let color = "#" + rgb.map { String(format: "%02x", Int(max(0, min(255, $0.rounded())))) }.joined()
    let preview = try tiny.encoded(as: .webp, quality: 40, effort: 4)
    return Placeholder(color: color, preview: "data:image/webp;base64," + Data(preview).base64EncodedString())
  }
}
