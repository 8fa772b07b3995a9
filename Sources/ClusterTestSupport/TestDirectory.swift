public import Foundation

/// A temporary directory for one test's servers, and the registry of the processes the harness started.
///
/// Every process started through `ManagedProcess` writes its PID to `$SWIFTKAFKA_TEST_PIDS/<pid>` (when the
/// variable is set, as `scripts/test` does), so that a test process that crashes before its cleanup still
/// leaves `scripts/test` the list of exactly what to stop.
public enum TestDirectory {
    /// Creates a fresh directory under the system's temporary directory.
    public static func make(prefix: String) throws -> URL {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        let url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    static var pidRegistry: URL? {
        guard let path = ProcessInfo.processInfo.environment["SWIFTKAFKA_TEST_PIDS"], !path.isEmpty else {
            return nil
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    static func register(pid: Int32) {
        guard let registry = pidRegistry else { return }
        try? FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: registry.appendingPathComponent("\(pid)").path, contents: nil)
    }

    static func unregister(pid: Int32) {
        guard let registry = pidRegistry else { return }
        try? FileManager.default.removeItem(at: registry.appendingPathComponent("\(pid)"))
    }
}
