// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets, kept out of the main package so `swift build` / `swift test` never see
// them. Build and run through scripts/fuzz (it passes --sanitize=fuzzer --sanitize=address).
// `-parse-as-library`: libFuzzer brings its own `main`; each target only exports
// LLVMFuzzerTestOneInput.
let library: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "psearch-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "psearch", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "PsearchLang", package: "psearch")]),
        .executableTarget(name: "FuzzSyntax", dependencies: ["FuzzSupport", .product(name: "PsearchLang", package: "psearch")], swiftSettings: library),
        .executableTarget(name: "FuzzRun", dependencies: ["FuzzSupport", .product(name: "PsearchLang", package: "psearch")], swiftSettings: library),
        .executableTarget(name: "FuzzExpectations", dependencies: [.product(name: "PsearchLang", package: "psearch")], swiftSettings: library),
        .executableTarget(name: "FuzzLoad", dependencies: [.product(name: "PsearchCore", package: "psearch")], swiftSettings: library),
    ]
)
