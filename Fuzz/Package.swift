// swift-tools-version:6.0
// libFuzzer targets for Warden's model-file readers, kept out of the main build and test run.
// Run them with scripts/fuzz.sh (it builds this package with -sanitize=fuzzer and address).
import PackageDescription

let package = Package(
    name: "WardenFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "warden", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "WardenFuzz",
            dependencies: [
                "CFuzzer",
                .product(name: "WardenFormats", package: "warden"),
                .product(name: "WardenScan", package: "warden"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library", "-sanitize=fuzzer,address"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
