// swift-tools-version:6.0
import PackageDescription

// Release builds skip dynamic exclusivity checks in the interpreter's hot paths; the
// interpreter is single-threaded per session and never overlaps accesses to its stack.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "psearch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "psearch", targets: ["psearch"]),
        // For fuzz/Package.swift, which depends on this package by path.
        .library(name: "PsearchLang", targets: ["PsearchLang"]),
        .library(name: "PsearchCore", targets: ["PsearchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", exact: "2.5.2"),
        .package(url: "https://github.com/JohnSundell/Ink", exact: "0.6.0"),
        // HMAC-SHA256 signing of the Jupyter kernel's messages.
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .target(
            name: "PsearchCore",
            dependencies: ["CBLAS", .product(name: "CSV", package: "CSV.swift")],
            resources: [.copy("Resources")],
            swiftSettings: fast),
        // The fast autodiff tiers (scalar programs, machine code, fused descent), behind the
        // core's ObjectiveCompiler protocol; the core does not know this target.
        .target(name: "PsearchFast", dependencies: ["PsearchCore"], swiftSettings: fast),
        .target(name: "PsearchPlot", dependencies: ["PsearchCore"]),
        // Study files (search(..., study: FILE)) on the system's SQLite, behind the core's
        // TrialStore protocol; the core does not know this target.
        // SQLite loaded on first use (dlopen), so start-up does not pay for it.
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "PsearchStore", dependencies: ["PsearchCore", "CSQLite"]),
        // Remote/ray_bridge.py is the Python side of engine: "ray" (Ray's own API, JSON lines).
        .target(name: "PsearchLang", dependencies: ["PsearchCore", "PsearchFast", "PsearchPlot", "PsearchStore", .product(name: "Ink", package: "Ink")],
                resources: [.copy("Remote/ray_bridge.py")], swiftSettings: fast),
        .target(name: "CLibEdit", linkerSettings: [.linkedLibrary("edit")]),
        // The Jupyter kernel: ZeroMQ from the system's libzmq through a small C module, the
        // wire protocol (framing, signing, dispatch) in Swift; the language reaches it through
        // the KernelEngine protocol, so the protocol is tested without an interpreter.
        // ZeroMQ loaded on first use (dlopen, Sources/CZMQ/lazy.c): only `psearch kernel` needs it.
        .target(name: "CZMQ", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "PsearchKernel", dependencies: ["CZMQ", "PsearchCore", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "psearch",
            dependencies: [
                "PsearchLang",
                "CLibEdit",
                "PsearchKernel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The modules' public symbols are not exported from the executable: nothing loads
            // them, and at start-up the loader and the Swift runtime's backtracer (dladdr)
            // walked all 9,400 of them.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"])]),
        // csv-edge/ and the peers' answers (pandas', scikit-learn's, Optuna's, scipy's JSON) are read from the source tree too.
        .testTarget(name: "PsearchCoreTests", dependencies: ["PsearchCore"],
                    exclude: ["csv-edge", "metrics-sklearn.json", "tpe-optuna.json", "importance-optuna.json", "qn-scipy.json"]),
        .testTarget(name: "PsearchKernelTests", dependencies: ["PsearchKernel"]),
        .testTarget(name: "PsearchStoreTests", dependencies: ["PsearchStore", "PsearchCore"]),
        .testTarget(name: "PsearchFastTests", dependencies: ["PsearchFast", "PsearchCore"]),
        .testTarget(name: "PsearchPlotTests", dependencies: ["PsearchPlot", "PsearchCore"], exclude: ["Snapshots"]),
        // The .ps cases are read from the source tree (#filePath), so editing one needs no rebuild.
        .testTarget(name: "PsearchLangTests", dependencies: ["PsearchLang"], exclude: ["cases"]),
        // Depends on the executable only so `swift test` builds the binary these tests run.
        .testTarget(name: "psearchTests", dependencies: ["psearch"]),
    ]
)
