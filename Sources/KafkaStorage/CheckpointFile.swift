#if canImport(Glibc)
import Glibc
#endif

/// Kafka's small text checkpoint files, written atomically: the new contents go to `<file>.tmp`, are fsynced,
/// and replace the old file by rename, and the directory is fsynced; a crash leaves either the old or the new file,
/// never a mixture.
///
/// Format (`CheckpointFile`): a version line (0), a count line, then one entry per line.
enum CheckpointFile {
    static func write(_ path: String, lines: [String]) throws(StorageError) {
        let text = (["0", String(lines.count)] + lines).joined(separator: "\n") + "\n"
        try writeAtomically(path, contents: text)
    }

    static func writeAtomically(_ path: String, contents: String) throws(StorageError) {
        try writeAtomically(path, bytes: Array(contents.utf8))
    }

    static func writeAtomically(_ path: String, bytes: [UInt8]) throws(StorageError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "open", path: temporary, errno: errno) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                throw .io(operation: "write", path: temporary, errno: code)
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw .io(operation: "fsync", path: temporary, errno: code)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw .io(operation: "rename", path: temporary, errno: errno) }
        syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    /// The entry lines of a checkpoint, or nil when there is no file; throws when the file is malformed.
    static func read(_ path: String) throws(StorageError) -> [String]? {
        guard let text = readText(path) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), count >= 0, lines.count >= 2 + count else {
            throw .inconsistentDirectory(path: path, reason: "malformed checkpoint file")
        }
        return Array(lines[2..<(2 + count)])
    }

    static func readText(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The whole file, or nil when it cannot be opened.
    static func readBytes(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }
}
