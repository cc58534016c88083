// swift-tools-version:6.0
// A release-only benchmark of the tensor engine and the ONNX runtime (GEMM, convolution forward and
// backward, max pooling, a CNN training step, ONNX inference), depending only on WardenTensor and
// WardenModels so it builds in minutes rather than the whole `warden`; kept out of `swift test`.
// Build: nice -n 19 swift build -c release --package-path Benchmarks --scratch-path .build-bench-tensor
import PackageDescription

let package = Package(
    name: "WardenBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "warden", path: "..")],
    targets: [
        .executableTarget(
            name: "TensorBench",
            dependencies: [
                .product(name: "WardenTensor", package: "warden"),
                .product(name: "WardenModels", package: "warden"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
