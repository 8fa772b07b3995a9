/// An error answer of the REST API: Confluent's `error_code` (the HTTP status is its first three digits) and its
/// message, in Confluent 6.2's words (`rest/exceptions/Errors.java`).
public struct SchemaRegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    public var httpStatus: Int { code >= 10_000 ? code / 100 : code }
    public var description: String { "\(code): \(message)" }

    static func subjectNotFound(_ subject: String) -> Self { Self(40401, "Subject '\(subject)' not found.") }
    static func versionNotFound(_ version: Int32) -> Self { Self(40402, "Version \(version) not found.") }
    static func schemaNotFound(_ id: Int32? = nil) -> Self {
        Self(40403, id.map { "Schema \($0) not found" } ?? "Schema not found")
    }
    static func subjectSoftDeleted(_ subject: String) -> Self {
        Self(40404, "Subject '\(subject)' was soft deleted.Set permanent=true to delete permanently")
    }
    static func subjectNotSoftDeleted(_ subject: String) -> Self {
        Self(40405, "Subject '\(subject)' was not deleted first before being permanently deleted")
    }
    static func versionSoftDeleted(_ subject: String, _ version: Int32) -> Self {
        Self(40406, "Subject '\(subject)' Version \(version) was soft deleted.Set permanent=true to delete permanently")
    }
    static func versionNotSoftDeleted(_ subject: String, _ version: Int32) -> Self {
        Self(40407, "Subject '\(subject)' Version \(version) was not deleted first before being permanently deleted")
    }
    static func subjectLevelCompatibilityNotConfigured(_ subject: String) -> Self {
        Self(40408, "Subject '\(subject)' does not have subject-level compatibility configured")
    }
    static func subjectLevelModeNotConfigured(_ subject: String) -> Self {
        Self(40409, "Subject '\(subject)' does not have subject-level mode configured")
    }
    static func incompatible(_ subject: String) -> Self {
        Self(409, "Schema being registered is incompatible with an earlier schema for subject \"\(subject)\"")
    }
    static func invalidSchema(_ reason: String) -> Self { Self(42201, "Invalid schema: \(reason)") }
    static func invalidVersion(_ text: String) -> Self {
        Self(
            42202,
            "The specified version '\(text)' is not a valid version id. Allowed values are between [1, 2^31-1] and "
                + "the string \"latest\""
        )
    }
    static let invalidCompatibilityLevel = Self(
        42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, "
            + "forward_transitive, and full_transitive"
    )
    static let invalidMode = Self(
        42204,
        "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT"
    )
    static func notPermitted(_ message: String) -> Self { Self(42205, message) }
    static func referenceExists(_ message: String) -> Self { Self(42206, message) }
    static func idDoesNotMatch(_ id: Int32) -> Self {
        Self(42207, "Overwrite new schema with id \(id) is not permitted.")
    }
}
