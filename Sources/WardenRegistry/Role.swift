/// What a principal may be. Roles are global or granted per model.
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    case admin
    case maintainer
    case reviewer
    case reader
    case inferenceClient = "inference-client"

    /// The actions a role allows.
    public var actions: Set<RegistryAction> {
        switch self {
        case .admin: Set(RegistryAction.allCases)
        case .maintainer:
            [.readModel, .downloadArtefact, .createModel, .uploadVersion, .setTag, .moveAlias, .readAudit, .infer]
        case .reviewer: [.readModel, .downloadArtefact, .approve, .readAudit]
        case .reader: [.readModel, .downloadArtefact]
        case .inferenceClient: [.infer]
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Everything the registry can be asked to do; the authorisation matrix is over these.
public enum RegistryAction: String, Sendable, CaseIterable, Codable {
    case readModel = "model.read"
    case downloadArtefact = "artefact.download"
    case createModel = "model.create"
    case uploadVersion = "version.upload"
    case setTag = "tag.set"
    case moveAlias = "alias.move"
    case approve = "version.approve"
    case deleteVersion = "version.delete"
    case manageTokens = "token.manage"
    case manageGrants = "grant.manage"
    case readAudit = "audit.read"
    case infer = "model.infer"

    /// Actions about a particular model (the others are server-wide).
    public var isPerModel: Bool {
        switch self {
        case .manageTokens, .manageGrants, .readAudit, .createModel: false
        default: true
        }
    }
}
