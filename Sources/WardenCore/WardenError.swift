/// The error thrown by WardenCore.
///
/// `description` is one line, "<Code>: <message>", and never carries secrets. Equality compares
/// `code` only, so tests match on the kind of failure, not the wording.
public struct WardenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Internal: String, Sendable {
            case io, invalidInput, notFound, unsupported, internalError
        }
        private let value: Internal
        private init(_ value: Internal) { self.value = value }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// The input is malformed.
        public static let invalidInput = Code(.invalidInput)
        /// A named thing does not exist.
        public static let notFound = Code(.notFound)
        /// The input is well formed but uses something Warden does not support.
        public static let unsupported = Code(.unsupported)
        /// A bug in Warden.
        public static let internalError = Code(.internalError)

        public var description: String {
            switch value {
            case .io: "I/O error"
            case .invalidInput: "Invalid input"
            case .notFound: "Not found"
            case .unsupported: "Unsupported"
            case .internalError: "Internal error"
            }
        }
    }

    public var code: Code
    /// What failed and how to fix it.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?
    public var location: SourceLocation

    public init(
        code: Code, message: String, cause: (any Error)? = nil,
        fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = SourceLocation(fileID: fileID, line: line)
    }

    public var description: String { "\(code): \(message)" }

    /// The error and its chain of causes, one per line.
    public func detailedDescription() -> String {
        var lines = ["\(description) (\(location))"]
        var next = cause
        var depth = 1
        while let error = next {
            let indent = String(repeating: "  ", count: depth)
            if let warden = error as? WardenError {
                lines.append("\(indent)\(warden.description) (\(warden.location))")
                next = warden.cause
            } else {
                lines.append("\(indent)\(error)")
                next = nil
            }
            depth += 1
        }
        return lines.joined(separator: "\n")
    }

    public static func == (lhs: WardenError, rhs: WardenError) -> Bool { lhs.code == rhs.code }

    public static func io(_ message: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line)
        -> WardenError
    { WardenError(code: .io, message: message, cause: cause, fileID: fileID, line: line) }

    public static func invalidInput(
        _ message: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line
    ) -> WardenError {
        WardenError(code: .invalidInput, message: message, cause: cause, fileID: fileID, line: line)
    }

    public static func notFound(
        _ message: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line
    ) -> WardenError {
        WardenError(code: .notFound, message: message, cause: cause, fileID: fileID, line: line)
    }

    public static func unsupported(
        _ message: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line
    ) -> WardenError {
        WardenError(code: .unsupported, message: message, cause: cause, fileID: fileID, line: line)
    }

    public static func internalError(
        _ message: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line
    ) -> WardenError {
        WardenError(code: .internalError, message: message, cause: cause, fileID: fileID, line: line)
    }
}

/// Where an error was created.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var fileID: String
    public var line: Int
    public init(fileID: String, line: Int) {
        self.fileID = fileID
        self.line = line
    }
    public var description: String { "\(fileID):\(line)" }
}
