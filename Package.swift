// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "Vignette",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "vignette", targets: ["VignetteCLI"]),
    .library(name: "Vignette", targets: ["Vignette"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
  ],
  targets: [
    // System libraries: headers and link flags come from pkg-config.
    .systemLibrary(
      name: "CVips", pkgConfig: "vips",
      providers: [.apt(["libvips-dev"])]),
    .systemLibrary(
      name: "CCmarkGFM", pkgConfig: "libcmark-gfm",
      providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
    .systemLibrary(name: "CGumbo", pkgConfig: "gumbo", providers: [.apt(["libgumbo-dev"])]),
    // Non-variadic wrappers over libvips' NULL-terminated option calls.
    .target(
      name: "CVipsShim", dependencies: ["CVips"],
      linkerSettings: [.linkedLibrary("webpmux"), .linkedLibrary("webp"), .linkedLibrary("z")]),
    // Swift owners of the C pointers: the only modules that import the C libraries.
    .target(name: "Vips", dependencies: ["CVipsShim", "CVips"]),
    .target(name: "Markdown", dependencies: ["CCmarkGFM"]),
    .target(name: "HTML", dependencies: ["CGumbo"]),
    .target(
      name: "Vignette",
      dependencies: [
        "Vips", "Markdown", "HTML",
        .product(name: "TOMLKit", package: "TOMLKit"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      // The Hugo templates written under output/layouts, as the files Hugo reads.
      resources: [.copy("Resources/hugo")]),
    .executableTarget(
      name: "VignetteCLI",
      dependencies: [
        "Vignette",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "VignetteTests", dependencies: ["Vignette", "Vips", "Markdown", "HTML"], exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v6]
)
