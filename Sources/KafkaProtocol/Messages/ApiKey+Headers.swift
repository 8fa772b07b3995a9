extension ApiKey {
    /// The request header version for `apiVersion`: 2 (flexible, with tagged fields) from the API's first
    /// flexible version, else 1; ControlledShutdown v0 alone uses header v0 (no client id).
    public func requestHeaderVersion(for apiVersion: Int16) -> Int16 {
        if self == .controlledShutdown && apiVersion == 0 { return 0 }
        guard let flexible = firstFlexibleVersion, apiVersion >= flexible else { return 1 }
        return 2
    }

    /// The response header version for `apiVersion`: 1 (with tagged fields) from the first flexible version,
    /// else 0. ApiVersions always answers with header v0, so that a client can read the answer before it knows
    /// which versions the broker speaks.
    public func responseHeaderVersion(for apiVersion: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        guard let flexible = firstFlexibleVersion, apiVersion >= flexible else { return 0 }
        return 1
    }
}
