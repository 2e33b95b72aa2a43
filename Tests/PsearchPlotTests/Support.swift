import Foundation
import Testing

/// Snapshot files beside this source file; PSEARCH_RECORD_SNAPSHOTS=1 rewrites them.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static var recording: Bool { ProcessInfo.processInfo.environment["PSEARCH_RECORD_SNAPSHOTS"] == "1" }

    /// Compares `text` with the stored snapshot `name`; on a mismatch the new text is left in
    /// the temporary folder so `diff` can show what changed.
    static func check(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        if recording {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let stored = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no snapshot \(name); record it with PSEARCH_RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
            return
        }
        if stored != text {
            let actual = Scratch.directory.appendingPathComponent(name)
            try text.write(to: actual, atomically: true, encoding: .utf8)
            Issue.record("snapshot \(name) differs: diff \(url.path) \(actual.path)", sourceLocation: sourceLocation)
        }
    }
}

/// Where PNGs and mismatching snapshots go: the system temporary folder, never the repo.
enum Scratch {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-plot")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
}

/// External command-line tools the SVG checks run.
enum Tool {
    static func path(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func available(_ name: String) -> Bool { path(name) != nil }

    /// Runs a tool; returns its exit status and standard error.
    static func run(_ name: String, _ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path(name)!)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
