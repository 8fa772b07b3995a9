public import Foundation
import Synchronization

/// Runs a command to completion (kcat and similar clients in tests), with standard input, and returns its exit
/// status, standard output and standard error. The blocking wait runs on a Dispatch thread.
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: Data? = nil,
        timeout: Duration = .seconds(120)
    )
        async throws -> Output
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    let stdout = Pipe()
                    let stderr = Pipe()
                    let stdin = Pipe()
                    process.standardOutput = stdout
                    process.standardError = stderr
                    process.standardInput = stdin
                    try process.run()
                    let out = Locked(Data())
                    let err = Locked(Data())
                    let group = DispatchGroup()
                    group.enter()
                    DispatchQueue.global().async {
                        out.set(stdout.fileHandleForReading.readDataToEndOfFile())
                        group.leave()
                    }
                    group.enter()
                    DispatchQueue.global().async {
                        err.set(stderr.fileHandleForReading.readDataToEndOfFile())
                        group.leave()
                    }
                    if let input { stdin.fileHandleForWriting.write(input) }
                    try? stdin.fileHandleForWriting.close()
                    let seconds = Double(timeout.components.seconds)
                    if group.wait(timeout: .now() + seconds) == .timedOut {
                        process.terminate()
                        group.wait()
                    }
                    process.waitUntilExit()
                    continuation.resume(
                        returning: Output(
                            status: process.terminationStatus,
                            stdout: String(decoding: out.get(), as: UTF8.self),
                            stderr: String(decoding: err.get(), as: UTF8.self)
                        )
                    )
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// A value behind a lock, for the reader threads above.
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func get() -> Value { value.withLock { $0 } }
}
