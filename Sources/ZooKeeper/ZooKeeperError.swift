import CZooKeeper

/// A failed ZooKeeper call: ZooKeeper's own return code, the path it concerned, and for a `multi` the index
/// of the operation that failed.
///
/// `Code` is a struct over the C library's integer codes rather than an enum, so that a code this file does not
/// name still arrives intact; the codes callers act on have names.
public struct ZooKeeperError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let systemError = Code(rawValue: ZSYSTEMERROR.rawValue)
        public static let runtimeInconsistency = Code(rawValue: ZRUNTIMEINCONSISTENCY.rawValue)
        public static let dataInconsistency = Code(rawValue: ZDATAINCONSISTENCY.rawValue)
        public static let connectionLoss = Code(rawValue: ZCONNECTIONLOSS.rawValue)
        public static let marshallingError = Code(rawValue: ZMARSHALLINGERROR.rawValue)
        public static let unimplemented = Code(rawValue: ZUNIMPLEMENTED.rawValue)
        public static let operationTimeout = Code(rawValue: ZOPERATIONTIMEOUT.rawValue)
        public static let badArguments = Code(rawValue: ZBADARGUMENTS.rawValue)
        public static let invalidState = Code(rawValue: ZINVALIDSTATE.rawValue)
        public static let noNode = Code(rawValue: ZNONODE.rawValue)
        public static let noAuth = Code(rawValue: ZNOAUTH.rawValue)
        public static let badVersion = Code(rawValue: ZBADVERSION.rawValue)
        public static let noChildrenForEphemerals = Code(rawValue: ZNOCHILDRENFOREPHEMERALS.rawValue)
        public static let nodeExists = Code(rawValue: ZNODEEXISTS.rawValue)
        public static let notEmpty = Code(rawValue: ZNOTEMPTY.rawValue)
        public static let sessionExpired = Code(rawValue: ZSESSIONEXPIRED.rawValue)
        public static let invalidACL = Code(rawValue: ZINVALIDACL.rawValue)
        public static let authFailed = Code(rawValue: ZAUTHFAILED.rawValue)
        public static let closing = Code(rawValue: ZCLOSING.rawValue)
        public static let nothing = Code(rawValue: ZNOTHING.rawValue)
        public static let sessionMoved = Code(rawValue: ZSESSIONMOVED.rawValue)

        /// ZooKeeper's own text for the code (`zerror`), e.g. "no node".
        public var description: String { String(cString: zerror(rawValue)) }

        /// True for the codes after which the same call may succeed on the same session once the
        /// connection is back (connection loss, operation timeout); false for session expiry and answers.
        public var isRetriable: Bool { self == .connectionLoss || self == .operationTimeout }
    }

    public var code: Code
    /// The path the call named, when it named one.
    public var path: String?
    /// For a failed `multi`: the index of the operation that failed.
    public var failedOperationIndex: Int?

    public init(_ code: Code, path: String? = nil, failedOperationIndex: Int? = nil) {
        self.code = code
        self.path = path
        self.failedOperationIndex = failedOperationIndex
    }

    public var description: String {
        var text = "ZooKeeper error \(code.rawValue) (\(code))"
        if let path { text += " at \(path)" }
        if let failedOperationIndex { text += " in multi operation \(failedOperationIndex)" }
        return text
    }
}
