// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "warden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
        .library(name: "WardenCore", targets: ["WardenCore"]),
        .library(name: "WardenCrypto", targets: ["WardenCrypto"]),
        .library(name: "WardenSBOM", targets: ["WardenSBOM"]),
        .library(name: "WardenFormats", targets: ["WardenFormats"]),
        .library(name: "WardenScan", targets: ["WardenScan"]),
        .library(name: "WardenTensor", targets: ["WardenTensor"]),
        .library(name: "WardenModels", targets: ["WardenModels"]),
        .library(name: "WardenData", targets: ["WardenData"]),
        .library(name: "WardenAnalysis", targets: ["WardenAnalysis"]),
        .library(name: "WardenRegistry", targets: ["WardenRegistry"]),
        .library(name: "WardenGuard", targets: ["WardenGuard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        .target(
            name: "WardenCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "WardenCrypto",
            dependencies: [
                "WardenCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "WardenSBOM", dependencies: ["WardenCore", "WardenCrypto"]),
        // The system's zlib (zlib1g-dev, a Swift build dependency), libbz2 and liblzma (declared in
        // shim.h and linked by runtime soname, so their -dev packages are not needed).
        .systemLibrary(name: "CCompression", path: "Sources/CCompression", providers: [.apt(["zlib1g-dev"])]),
        // WardenFormats holds the generated ONNX protobuf code (Sources/WardenFormats/ONNX/onnx.pb.swift).
        .target(
            name: "WardenFormats",
            dependencies: ["WardenCore", "CCompression", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            linkerSettings: [
                .linkedLibrary(":libbz2.so.1.0", .when(platforms: [.linux])),
                .linkedLibrary(":liblzma.so.5", .when(platforms: [.linux])),
                .linkedLibrary("bz2", .when(platforms: [.macOS])),
                .linkedLibrary("lzma", .when(platforms: [.macOS])),
            ]
        ),
        .target(name: "WardenScan", dependencies: ["WardenCore", "WardenFormats"]),
        // Per-ISA compute kernels: each is compiled for its CPU and chosen at run time from the CPU's
        // flags, so nothing else may live in these targets (an AVX-512 instruction elsewhere is a SIGILL).
        .target(name: "WardenKernelsGeneric", swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "WardenKernelsAVX2", swiftSettings: [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]),
        .target(name: "WardenKernelsAVX512", swiftSettings: [.unsafeFlags(["-Ounchecked", "-target-cpu", "skylake-avx512"])]),
        // cpuid/xgetbv for choosing the kernels (Swift cannot issue them); one C function, nothing else.
        .target(name: "CWardenCPU"),
        .target(
            name: "WardenTensor",
            dependencies: ["WardenCore", "CWardenCPU", "WardenKernelsGeneric", "WardenKernelsAVX2", "WardenKernelsAVX512"]
        ),
        .target(
            name: "WardenModels",
            dependencies: ["WardenCore", "WardenFormats", "WardenTensor"]
        ),
        .target(name: "WardenData", dependencies: ["WardenCore", "WardenCrypto", "WardenFormats"]),
        .target(name: "WardenAnalysis", dependencies: ["WardenCore", "WardenTensor", "WardenModels", "WardenData"]),
        .target(name: "WardenRegistry", dependencies: ["WardenCore", "WardenCrypto", "WardenScan"]),
        // Runtime protections of the inference gateway as plain logic (no HTTP).
        .target(name: "WardenGuard", dependencies: ["WardenCore", "WardenTensor", "WardenModels", "WardenAnalysis"]),
        .target(
            name: "WardenServer",
            dependencies: [
                "WardenCore", "WardenCrypto", "WardenScan", "WardenRegistry", "WardenRegistrySQLite", "WardenRegistryPostgres",
                "WardenGuard", "WardenModels", "WardenTensor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "WardenRegistrySQLite",
            dependencies: ["WardenCore", "WardenRegistry", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "WardenRegistryPostgres",
            dependencies: ["WardenCore", "WardenRegistry", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .target(
            name: "WardenCLI",
            dependencies: [
                "WardenCore", "WardenCrypto", "WardenSBOM", "WardenFormats", "WardenScan",
                "WardenTensor", "WardenModels", "WardenData", "WardenAnalysis", "WardenRegistry", "WardenRegistrySQLite", "WardenRegistryPostgres", "WardenServer",
                "WardenGuard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "warden", dependencies: ["WardenCLI"],
            // Release builds link with lld and pack the ~170 000 relative relocations of the static
            // binary as DT_RELR (glibc ≥ 2.36), and do not export its 73 000 Swift symbols
            // dynamically (the static stdlib's link arguments ask for -export-dynamic; nothing
            // looks our symbols up, and glibc's start-up `_dl_addr` scanned them all). Start-up
            // CPU of `warden --version` 15.3 → 8.7 ms (docs/BENCHMARKS.md, "Scanner speed").
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                    .when(platforms: [.linux], configuration: .release))
            ]
        ),
        .target(name: "WardenTesting", dependencies: ["WardenCore", "WardenCrypto", "WardenFormats", "CCompression"]),
        .testTarget(name: "WardenCoreTests", dependencies: ["WardenCore", "WardenTesting"]),
        .testTarget(
            name: "WardenCryptoTests", dependencies: ["WardenCrypto", "WardenTesting"], resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "WardenSBOMTests", dependencies: ["WardenSBOM", "WardenTesting"]),
        .testTarget(name: "WardenFormatsTests", dependencies: ["WardenFormats", "WardenTesting"], resources: [.copy("Fixtures")]),
        .testTarget(name: "WardenScanTests", dependencies: ["WardenScan", "WardenTesting"]),
        .testTarget(name: "WardenTensorTests", dependencies: ["WardenTensor", "WardenTesting"]),
        .testTarget(name: "WardenModelsTests", dependencies: ["WardenModels", "WardenFormats", "WardenTesting"]),
        .testTarget(name: "WardenGuardTests", dependencies: ["WardenGuard", "WardenModels", "WardenTensor", "WardenTesting"]),
        .testTarget(name: "WardenDataTests", dependencies: ["WardenData", "WardenTesting"]),
        .testTarget(name: "WardenAnalysisTests", dependencies: ["WardenAnalysis", "WardenModels", "WardenTensor", "WardenTesting"]),
        .testTarget(
            name: "WardenRegistryTests",
            dependencies: [
                "WardenRegistry", "WardenRegistrySQLite", "WardenRegistryPostgres", "WardenTesting", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "WardenServerTests",
            dependencies: [
                "WardenServer", "WardenRegistry", "WardenGuard", "WardenModels", "WardenTensor", "WardenCrypto", "WardenTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"), .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "WardenCLITests", dependencies: ["WardenCLI", "WardenServer", "WardenRegistry", "WardenCrypto", "WardenTesting", .product(name: "Logging", package: "swift-log")]),
    ],
    swiftLanguageModes: [.v6]
)

// Strict settings for every target (swift-log style: applied in one loop).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.unsafeFlags(["-require-explicit-sendable"]))
    // Concrete generic types (a `Set<String>`, a `[String: Int]` storage) are instantiated through
    // their metadata accessors, with the conformances passed in, instead of by mangled name: a
    // mangled-name instantiation checks each generic requirement (`String: Hashable`) with the
    // runtime's conformance lookup, whose first miss per type walks all ~14 500 conformance records
    // of this binary. Start-up and the first scan of every type paid that (docs/BENCHMARKS.md,
    // "Scanner speed").
    settings.append(.unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)))
    target.swiftSettings = settings
}
