import Testing
import WardenCore
import WardenTesting

@testable import WardenSBOM

struct SBOMWriterTests {
    func model(in folder: TemporaryDirectory) throws -> String {
        _ = try folder.write("m/config.json", #"{"architectures":["GPT2ForCausalLM"],"model_type":"gpt2","transformers_version":"4.44.0","torch_dtype":"float16"}"#)
        _ = try folder.write("m/model.safetensors", [1, 2, 3])
        _ = try folder.write("m/requirements.txt", "torch==2.3.1\nnumpy>=1.26\n")
        _ = try folder.write("m/.git/HEAD", "ref")
        return folder.url("m")
    }

    @Test func inventoryReadsFilesMetadataAndDependencies() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let inventory = try ModelInventory.collect(
            model: try model(in: folder), datasets: [("train", try folder.write("train.csv", "a\n"))], metrics: [("accuracy", "0.9")])
        #expect(inventory.files.map(\.path) == ["config.json", "model.safetensors", "requirements.txt"])  // .git ignored
        #expect(inventory.files[1].sha256 == Digest.sha256([1, 2, 3]).hex)
        #expect(inventory.architecture == "GPT2ForCausalLM" && inventory.task == "text-generation" && inventory.architectureFamily == "gpt2")
        #expect(Set(inventory.dependencies.map(\.purl)) == ["pkg:pypi/transformers@4.44.0", "pkg:pypi/torch@2.3.1", "pkg:pypi/numpy"])
        #expect(inventory.datasets.first?.sha256 == Digest.sha256("a\n").hex)
    }

    @Test func cycloneDXStructure() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let inventory = try ModelInventory.collect(model: try model(in: folder), datasets: [("train", try folder.write("t.csv", "x"))])
        let bom = CycloneDXWriter(toolVersion: "0.1.0", timestamp: "2026-01-01T00:00:00.000Z", serialNumber: "urn:uuid:00000000-0000-4000-8000-000000000000")
            .document(for: inventory)
        #expect(bom["specVersion"]?.stringValue == "1.6")
        let model = try #require(bom["metadata"]?["component"])
        #expect(model["type"]?.stringValue == "machine-learning-model")
        #expect(model["modelCard"]?["modelParameters"]?["task"]?.stringValue == "text-generation")
        #expect(model["modelCard"]?["modelParameters"]?["datasets"]?.arrayValue?.first?["ref"]?.stringValue == "data:train")
        let types = bom["components"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        #expect(types.filter { $0 == "file" }.count == 3 && types.contains("library") && types.contains("data"))
        // Deterministic for a fixed time and serial.
        let again = CycloneDXWriter(toolVersion: "0.1.0", timestamp: "2026-01-01T00:00:00.000Z", serialNumber: "urn:uuid:00000000-0000-4000-8000-000000000000")
            .document(for: inventory)
        #expect(again.canonicalString == bom.canonicalString)
    }

    @Test func spdxStructure() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let inventory = try ModelInventory.collect(model: try model(in: folder))
        let doc = SPDXWriter(toolVersion: "0.1.0", created: "2026-01-01T00:00:00Z", namespace: "https://warden.dev/spdx/m-1").document(for: inventory)
        #expect(doc["spdxVersion"]?.stringValue == "SPDX-2.3")
        let files = doc["files"]?.arrayValue ?? []
        #expect(files.count == 3)
        #expect(files.allSatisfy { ($0["checksums"]?.arrayValue ?? []).contains { $0["algorithm"]?.stringValue == "SHA1" } })
        let ids = (doc["packages"]?.arrayValue ?? []).compactMap { $0["SPDXID"]?.stringValue } + files.compactMap { $0["SPDXID"]?.stringValue }
        #expect(ids.allSatisfy { $0.hasPrefix("SPDXRef-") && $0.dropFirst(8).allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" } })
        #expect(Set(ids).count == ids.count)
        let kinds = (doc["relationships"]?.arrayValue ?? []).compactMap { $0["relationshipType"]?.stringValue }
        #expect(kinds.filter { $0 == "CONTAINS" }.count == 3 && kinds.contains("DESCRIBES") && kinds.contains("DEPENDS_ON"))
    }

    @Test func verificationCodeFollowsTheSpec() {
        // SPDX 2.3 §7.9: SHA-1 over the sorted, concatenated lowercase SHA-1s.
        let files = [
            ModelInventory.File(path: "b", size: 0, sha256: "", sha1: "bbbb", format: nil),
            ModelInventory.File(path: "a", size: 0, sha256: "", sha1: "aaaa", format: nil),
        ]
        #expect(SPDXWriter.verificationCode(files) == "c55e94247fbfc4f11842fc3bd979e5beb5ed1080")  // hashlib.sha1(b"aaaabbbb")
    }

    @Test func malformedConfigIsAWarningNotAFailure() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("m/config.json", "{broken")
        _ = try folder.write("m/w.bin", [0])
        let inventory = try ModelInventory.collect(model: folder.url("m"))
        #expect(inventory.warnings.count == 1)
        #expect(inventory.architecture == nil)
    }

    @Test func missingInputsAreErrors() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.self) { try ModelInventory.collect(model: folder.url("none")) }
        _ = try folder.write("m/w.bin", [0])
        #expect(throws: WardenError.self) { try ModelInventory.collect(model: folder.url("m"), datasets: [("d", folder.url("no.csv"))]) }
    }
}
