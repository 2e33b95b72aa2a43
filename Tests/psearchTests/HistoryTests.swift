import Foundation
import Testing
@testable import psearch

@Suite struct HistoryTests {
    /// A fresh folder per test, removed afterwards.
    final class Scratch {
        let folder: String
        init() {
            folder = NSTemporaryDirectory() + "psearch-history-\(UUID().uuidString)"
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ data: Data) -> String {
            let path = folder + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: data)
            return path
        }
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing>" }
        func files() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: folder))?.sorted() ?? [] }
    }

    final class Warnings {
        var messages: [String] = []
    }

    func open(_ path: String?) -> (History, Warnings) {
        let warnings = Warnings()
        return (History(path: path, warn: { warnings.messages.append($0) }), warnings)
    }

    @Test func pathPrecedence() {
        let all = ["PSEARCH_HISTORY": "/a/h", "XDG_STATE_HOME": "/state", "HOME": "/home/u"]
        #expect(History.defaultPath(environment: { all[$0] }) == "/a/h")
        let xdg = ["XDG_STATE_HOME": "/state", "HOME": "/home/u"]
        #expect(History.defaultPath(environment: { xdg[$0] }) == "/state/psearch/history")
        let relativeXDG = ["XDG_STATE_HOME": "state", "HOME": "/home/u", "PSEARCH_HISTORY": ""]
        #expect(History.defaultPath(environment: { relativeXDG[$0] }) == "/home/u/.local/state/psearch/history")
        #expect(History.defaultPath(environment: { _ in nil }) == nil)
    }

    @Test func createsFoldersAndSavesEachEntryAtOnce() {
        let scratch = Scratch()
        let path = scratch.folder + "/state/psearch/history"
        let (history, warnings) = open(path)
        history.add("1 + 2")
        #expect(scratch.read(path) == "1 + 2\n")
        history.add("let x = \"안녕\"")
        #expect(scratch.read(path) == "1 + 2\nlet x = \"안녕\"\n")
        #expect(warnings.messages.isEmpty)
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)
    }

    @Test func aMultiLineEntryRoundTripsThroughTheFile() {
        let scratch = Scratch()
        let path = scratch.folder + "/history"
        let (history, _) = open(path)
        history.add("fn f(x) {\n\n  return x\n}")
        // A carriage return typed at the end of a line must not read back as a line break.
        history.add("print(\"a\\n\")\r")
        history.add("1")
        #expect(Array(scratch.read(path).utf8) == Array("fn f(x) {\r\n\r\n  return x\r\n}\nprint(\"a\\n\")\n1\n".utf8))
        let (again, _) = open(path)
        #expect(again.entries == ["fn f(x) {\n\n  return x\n}", "print(\"a\\n\")", "1"])
        // A file cut off inside an entry keeps what it has.
        let cut = scratch.write("cut", Data("a\nb\r\nc\r\n".utf8))
        #expect(open(cut).0.entries == ["a", "b\nc"])
    }

    @Test func reloadsWhatAPreviousSessionSaved() {
        let scratch = Scratch()
        let path = scratch.folder + "/history"
        open(path).0.add("fib(20)")
        let (again, _) = open(path)
        #expect(again.entries == ["fib(20)"])
    }

    @Test func consecutiveDuplicatesAreDropped() {
        let scratch = Scratch()
        let path = scratch.write("history", Data("a\na\nb\na\n".utf8))
        let (history, _) = open(path)
        #expect(history.entries == ["a", "b", "a"])
        history.add("a")
        history.add("c")
        history.add("c")
        #expect(history.entries == ["a", "b", "a", "c"])
        #expect(scratch.read(path) == "a\nb\na\nc\n")
    }

    @Test func blankLinesAreNotEntries() {
        let scratch = Scratch()
        let path = scratch.folder + "/history"
        let (history, _) = open(path)
        history.add("   ")
        #expect(history.entries.isEmpty)
        #expect(scratch.read(path) == "<missing>")
    }

    @Test func cappedAtAThousandKeepingTheNewest() {
        let scratch = Scratch()
        let lines = (0..<1_500).map { "x = \($0)" }
        let path = scratch.write("history", Data((lines.joined(separator: "\n") + "\n").utf8))
        let (history, _) = open(path)
        #expect(history.entries.count == 1_000)
        #expect(history.entries.first == "x = 500")
        history.add("last")
        let saved = scratch.read(path).split(separator: "\n")
        #expect(saved.count == 1_000)
        #expect(saved.first == "x = 501")
        #expect(saved.last == "last")
    }

    @Test func saveReplacesTheFileAndLeavesNoTemporaryBehind() throws {
        let scratch = Scratch()
        let path = scratch.write("history", Data("old\n".utf8))
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        let (history, _) = open(path)
        history.add("new")
        let after = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        // A new inode proves the rename: writing in place would keep the old one.
        #expect(before != after)
        #expect(scratch.files() == ["history"])
        #expect(scratch.read(path) == "old\nnew\n")
    }

    @Test func linesSavedByAnotherSessionMeanwhileAreKept() {
        let scratch = Scratch()
        let path = scratch.folder + "/history"
        let (first, _) = open(path)
        let (second, _) = open(path)
        first.add("from first")
        second.add("from second")
        #expect(scratch.read(path) == "from first\nfrom second\n")
    }

    @Test func savesThroughASymlinkToItsTarget() throws {
        let scratch = Scratch()
        let target = scratch.write("real", Data("a\n".utf8))
        let link = scratch.folder + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        open(link).0.add("b")
        #expect(scratch.read(target) == "a\nb\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
    }

    @Test(arguments: [
        ("binary", Data([0x31, 0x00, 0x32, 0x0a])),
        ("invalid UTF-8", Data([0x61, 0xff, 0xfe, 0x0a])),
    ])
    func corruptFileWarnsOnceAndIsLeftAlone(name: String, data: Data) {
        let scratch = Scratch()
        let path = scratch.write("history", data)
        let (history, warnings) = open(path)
        #expect(history.entries.isEmpty)
        #expect(!history.isPersistent)
        history.add("1")
        history.add("2")
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("not UTF-8 text") == true)
        #expect(FileManager.default.contents(atPath: path) == data)
        // The session still remembers what was typed.
        #expect(history.entries == ["1", "2"])
    }

    @Test func hugeFileIsRefused() {
        let scratch = Scratch()
        let data = Data(repeating: UInt8(ascii: "x"), count: History.maxFileBytes + 1)
        let path = scratch.write("history", data)
        let (history, warnings) = open(path)
        #expect(!history.isPersistent)
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("too large") == true)
    }

    @Test func unreadablePathWarns() {
        let scratch = Scratch()
        let path = scratch.folder + "/history"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let (history, warnings) = open(path)
        history.add("1")
        #expect(!history.isPersistent)
        #expect(warnings.messages.count == 1)
    }

    @Test func unwritableFolderWarnsOnceAndCarriesOn() {
        // A folder that cannot be created (its parent is a file): tests may run as root, for
        // whom permission bits do not stop a write.
        let scratch = Scratch()
        let file = scratch.write("plain", Data("x".utf8))
        let (history, warnings) = open(file + "/psearch/history")
        history.add("1")
        history.add("2")
        #expect(!history.isPersistent)
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.hasSuffix("history will not be saved") == true)
        #expect(history.entries == ["1", "2"])
    }

    @Test func failedSaveWarnsOnce() {
        let scratch = Scratch()
        let folder = scratch.folder + "/gone"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let (history, warnings) = open(folder + "/history")
        try? FileManager.default.removeItem(atPath: folder)
        history.add("1")
        history.add("2")
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("cannot write") == true)
    }

    @Test func unsetHomeWarns() {
        let (history, warnings) = open(nil)
        history.add("1")
        #expect(warnings.messages == ["HOME is not set; history will not be saved"])
    }

    @Test func devNullMeansNoHistoryQuietly() {
        let (history, warnings) = open("/dev/null")
        history.add("1")
        #expect(warnings.messages.isEmpty)
        #expect(!history.isPersistent)
    }
}
