import Foundation
import Testing
import WardenCore
import WardenCrypto
import WardenTesting

@testable import WardenCLI

struct ProvenanceRunCommandTests {
    @Test func aSuccessfulRunWritesAVerifyingAttestation() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--out", folder.url("k"), "--quiet"]) == 0)
        let input = try folder.write("in.csv", "a,b\n")
        let output = folder.url("model.bin")
        let attestation = folder.url("att.json")
        let code = await Warden.runMain(arguments: [
            "run", "--key", folder.url("k/private.pem"), "--attestation", attestation, "--input", input, "--output", output,
            "--param", "lr=0.1", "--json", "--", "sh", "-c", "cp '\(input)' '\(output)'",
        ])
        #expect(code == 0)
        #expect(await Warden.runMain(arguments: ["attest", "verify", attestation, "--key", folder.url("k/public.pem"), "--subject", output]) == 0)
        let envelope = try AttestationVerifier.envelope(from: try FileIO.readAll(attestation), source: "att")
        let statement = try InTotoStatement(payload: envelope.payload, source: "att")
        #expect(statement.predicate["buildDefinition"]?["externalParameters"]?["parameters"]?["lr"]?.stringValue == "0.1")
        #expect(statement.predicate["buildDefinition"]?["resolvedDependencies"]?.arrayValue?.first?["digest"]?["sha256"]?.stringValue == Digest.sha256("a,b\n").hex)

        _ = try folder.write("model.bin", "tampered")
        #expect(await Warden.runMain(arguments: ["attest", "verify", attestation, "--key", folder.url("k/public.pem"), "--subject", output]) == 1)
    }

    @Test func failuresWriteNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--out", folder.url("k"), "--quiet"]) == 0)
        let key = folder.url("k/private.pem")
        let attestation = folder.url("att.json")
        // The command fails.
        #expect(await Warden.runMain(arguments: ["run", "--key", key, "--attestation", attestation, "--output", folder.url("o"), "--", "false"]) == 1)
        // The command succeeds but the output is missing.
        #expect(await Warden.runMain(arguments: ["run", "--key", key, "--attestation", attestation, "--output", folder.url("o"), "--", "true"]) == 1)
        // Bad key, no command, bad --param, unknown program.
        #expect(await Warden.runMain(arguments: ["run", "--key", folder.url("nokey.pem"), "--attestation", attestation, "--output", key, "--", "true"]) == 2)
        #expect(await Warden.runMain(arguments: ["run", "--key", key, "--attestation", attestation, "--output", key]) == 2)
        #expect(await Warden.runMain(arguments: ["run", "--key", key, "--attestation", attestation, "--output", key, "--param", "novalue", "--", "true"]) == 2)
        #expect(await Warden.runMain(arguments: ["run", "--key", key, "--attestation", attestation, "--output", key, "--", "no-such-program-xyz"]) == 2)
        #expect(FileIO.kind(of: attestation) == .missing)
    }
}
