import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCLI

struct BenchCommandTests {
    @Test func everyWorkloadReportsItsFigures() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let gemm = try await WardenProcess.run(["bench", "gemm", "--size", "48", "--min-time", "0.01", "--json"], in: folder)
        #expect(gemm.status == 0)
        guard case .object(let fields)? = gemm.json else {
            Issue.record("not JSON: \(gemm.stdout)")
            return
        }
        let values = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        if case .double(let gflops)? = values["gflops"] { #expect(gflops > 0) } else { Issue.record("no gflops: \(gemm.stdout)") }
        #expect(values["size"] == .int(48))
        let mlp = try await WardenProcess.run(["bench", "mlp", "--size", "8", "--batch", "4", "--min-time", "0.01", "--json"], in: folder)
        #expect(mlp.status == 0)
        #expect(mlp.stdout.contains("\"seconds_per_batch\"") && mlp.stdout.contains("\"items_per_second\""))
        let conv = try await WardenProcess.run(["bench", "conv", "--size", "6", "--batch", "1", "--threads", "1", "--min-time", "0.01"], in: folder)
        #expect(conv.status == 0 && conv.stdout.contains("GFLOP/s"))
        let generic = try await WardenProcess.run(["bench", "gemm", "--size", "16", "--min-time", "0.01", "--json"], in: folder, environment: ["WARDEN_KERNELS": "generic"])
        #expect(generic.stdout.contains("\"kernels\" : \"generic\""))
    }

    @Test func badArgumentsExitTwo() async {
        #expect(await Warden.runMain(arguments: ["bench", "gemm", "--size", "0"]) == 2)
        #expect(await Warden.runMain(arguments: ["bench", "fft"]) == 2)
        #expect(await Warden.runMain(arguments: ["bench", "mlp", "--batch", "-3"]) == 2)
        #expect(await Warden.runMain(arguments: ["bench", "conv", "--threads", "0"]) == 2)
    }
}
