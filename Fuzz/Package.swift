// swift-tools-version:6.0
// libFuzzer targets for Warden's model-file readers (scripts/fuzz.sh), and a thin release scan
// executable for scripts/bench/scan.sh; kept out of the main build and test run.
import PackageDescription

let package = Package(
    name: "WardenFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "warden", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(name: "ScanBench", dependencies: [.product(name: "WardenScan", package: "warden")]),
        .executableTarget(
            name: "WardenFuzz",
            dependencies: [
                "CFuzzer",
                .product(name: "WardenFormats", package: "warden"),
                .product(name: "WardenScan", package: "warden"),
            ],
            // scripts/fuzz.sh adds -sanitize=fuzzer,address to every Swift module (-Xswiftc), so the
            // readers themselves carry coverage instrumentation, not only this harness.
            swiftSettings: [.unsafeFlags(["-parse-as-library", "-sanitize=fuzzer,address"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
