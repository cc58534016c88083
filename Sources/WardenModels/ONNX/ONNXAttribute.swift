import WardenCore

/// A node attribute: the kinds the supported operators use; others are kept by name so an operator
/// that needs one can say so.
package enum ONNXAttribute: Sendable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXValue)
    case floats([Float])
    case ints([Int64])
    case strings([String])
    /// A graph, sparse tensor, type proto or a list of those: never used by supported operators.
    case other(String)
}

extension ONNXNode {
    func error(_ message: String) -> WardenError {
        .invalidInput("Node \(label): \(message)")
    }

    /// Whether the attribute is present.
    func has(_ name: String) -> Bool { attributes[name] != nil }

    func int(_ name: String) throws -> Int? {
        switch attributes[name] {
        case nil: return nil
        case .int(let value)?:
            guard let small = Int(exactly: value), abs(small) <= Int(Int32.max) else { throw error("attribute '\(name)' = \(value) is out of range") }
            return small
        default: throw error("attribute '\(name)' must be an integer")
        }
    }

    func int(_ name: String, default value: Int) throws -> Int { try int(name) ?? value }

    func float(_ name: String) throws -> Float? {
        switch attributes[name] {
        case nil: return nil
        case .float(let value)?: return value
        case .int(let value)?: return Float(value)
        default: throw error("attribute '\(name)' must be a float")
        }
    }

    func float(_ name: String, default value: Float) throws -> Float { try float(name) ?? value }

    func ints(_ name: String) throws -> [Int]? {
        switch attributes[name] {
        case nil: return nil
        case .ints(let values)?:
            return try values.map { value in
                guard let small = Int(exactly: value), abs(small) <= Int(Int32.max) else {
                    throw error("attribute '\(name)' holds \(value), out of range")
                }
                return small
            }
        case .int(let value)?: return [Int(value)]
        default: throw error("attribute '\(name)' must be a list of integers")
        }
    }

    func int64s(_ name: String) throws -> [Int64]? {
        switch attributes[name] {
        case nil: return nil
        case .ints(let values)?: return values
        case .int(let value)?: return [value]
        default: throw error("attribute '\(name)' must be a list of integers")
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        switch attributes[name] {
        case nil: return nil
        case .floats(let values)?: return values
        case .float(let value)?: return [value]
        default: throw error("attribute '\(name)' must be a list of floats")
        }
    }

    func string(_ name: String) throws -> String? {
        switch attributes[name] {
        case nil: return nil
        case .string(let value)?: return value
        default: throw error("attribute '\(name)' must be a string")
        }
    }

    func strings(_ name: String) throws -> [String]? {
        switch attributes[name] {
        case nil: return nil
        case .strings(let values)?: return values
        default: throw error("attribute '\(name)' must be a list of strings")
        }
    }

    func tensor(_ name: String) throws -> ONNXValue? {
        switch attributes[name] {
        case nil: return nil
        case .tensor(let value)?: return value
        default: throw error("attribute '\(name)' must be a tensor")
        }
    }

    /// Refuses attributes whose presence changes the result in a way Warden does not implement.
    func refuse(_ name: String, unless allowed: (ONNXAttribute) -> Bool, _ why: String) throws {
        if let value = attributes[name], !allowed(value) {
            throw WardenError.unsupported("Node \(label): \(why)")
        }
    }
}
