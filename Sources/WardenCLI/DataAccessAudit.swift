import Foundation
import WardenCore
import WardenData

/// Appends the access events of data commands that work on files anywhere (encrypt, decrypt, PII,
/// DP) to the audit chain of the data repository holding the file: `{actor, action, subject:
/// "PATH@sha256:…", details}`. Files outside every repository have no chain to append to. Details
/// never hold data values or key material.
enum DataAccessAudit {
    /// The repository whose chain an event about `file` goes to, if any.
    static func repository(for file: String) -> DataRepository? {
        try? DataRepository.open(containing: file)
    }

    /// Appends one event about `file` (the first of `files` inside a repository) and `digest`.
    static func record(_ action: String, file: String, alsoChecking others: [String] = [], digest: Digest?, details: [(String, JSONValue)]) throws {
        for candidate in [file] + others {
            guard let repository = repository(for: candidate) else { continue }
            let relative = (try? repository.relativePath(of: candidate)) ?? candidate
            try repository.audit.append(
                actor: repository.actor, action: action, subject: digest.map { "\(relative)@\($0)" } ?? relative,
                details: .object(details))
            return
        }
    }
}
